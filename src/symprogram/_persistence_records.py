"""The records of the storage port and the checks of what adapters store: keys,
versions, data text and stream positions (re-exported by :mod:`symprogram.persistence`)."""

from __future__ import annotations

import attrs

from symprogram.errors import LimitExceeded, ValidationError

__all__ = [
    "MAX_KEY_LENGTH",
    "Record",
    "check_key",
    "check_position",
    "check_text",
    "check_version",
]

MAX_KEY_LENGTH = 255
"""Longest kind, key, index name, index value or stream name, in characters."""


@attrs.frozen
class Record:
    """A stored aggregate: its kind, key, version (1 after the first save) and JSON data."""

    kind: str
    key: str
    version: int
    data: str


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_key(value: object, field: str) -> str:
    """Validate a storage key component and return it.

    Raises:
        ValidationError: not a non-empty string, or contains NUL.
        LimitExceeded: longer than :data:`MAX_KEY_LENGTH`.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{field} must be a non-empty string", field=field, code="invalid_key"
        )
    if "\x00" in value:
        raise ValidationError(f"{field} may not contain NUL", field=field, code="invalid_key")
    if not value.isascii() and not _encodable(value):
        raise ValidationError(f"{field} contains a lone surrogate", field=field, code="invalid_key")
    if len(value) > MAX_KEY_LENGTH:
        raise LimitExceeded(
            f"{field} is longer than {MAX_KEY_LENGTH} characters",
            field=field,
            code="key_too_long",
            details={"limit": MAX_KEY_LENGTH, "length": len(value)},
        )
    return value


def check_version(value: object) -> int:
    """Validate an expected version (a non-negative int)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            "expected_version must be a non-negative integer",
            field="expected_version",
            code="invalid_version",
        )
    return value


def check_text(value: object, field: str) -> str:
    """Validate stored data text (a string encodable as UTF-8)."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", field=field, code="invalid_data")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"{field} contains a lone surrogate", field=field, code="invalid_data"
            ) from exc
    return value


def check_position(value: object, field: str = "position") -> int:
    """Validate a stream position (>= 0 for ``after``, >= 1 for an entry)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"{field} must be a non-negative integer", field=field, code="invalid_position"
        )
    return value
