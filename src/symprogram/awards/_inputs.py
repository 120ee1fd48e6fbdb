"""Checks of what callers hand the awards context: IDs, reasons, tracking numbers, codes.

Private, re-exported by :mod:`symprogram.awards.rules`. Built on
:mod:`symprogram._checks`; every failure keeps the context's historic code,
``invalid_<field>``, whatever was wrong (type, blank, length, characters).
"""

from __future__ import annotations

from symprogram._checks import TextCodes, check_text
from symprogram.persistence import MAX_KEY_LENGTH

__all__ = [
    "MAX_CODE_LENGTH",
    "MAX_REASON_LENGTH",
    "MAX_TRACKING_LENGTH",
    "check_code",
    "check_id",
    "check_reason",
    "check_tracking",
]

MAX_REASON_LENGTH = 500
"""The longest revocation reason accepted."""

MAX_TRACKING_LENGTH = 100
"""The longest carrier tracking number accepted."""

MAX_CODE_LENGTH = 200
"""The longest verification code accepted (longer ones match nothing anyway)."""


def _codes(field: str) -> TextCodes:
    """``invalid_<field>`` for every kind of bad text."""
    return TextCodes.same(f"invalid_{field}")


_CODES = {
    field: _codes(field)
    for field in ("candidate_id", "kit_id", "disclosure_id", "reason", "tracking", "code")
}


def _text(value: object, field: str, limit: int) -> str:
    codes = _CODES.get(field) or _codes(field)
    return check_text(value, field, limit=limit, controls=True, codes=codes)


def check_id(value: object, field: str) -> str:
    """An identifier: a non-blank string of at most ``MAX_KEY_LENGTH`` characters, no NUL.

    Raises:
        ValidationError: ``invalid_<field>``.
    """
    return _text(value, field, MAX_KEY_LENGTH)


def check_reason(reason: object) -> str:
    """A revocation reason, stripped.

    Raises:
        ValidationError: ``invalid_reason`` (blank, not a string, or longer than
            :data:`MAX_REASON_LENGTH` characters).
    """
    return _text(reason, "reason", MAX_REASON_LENGTH).strip()


def check_tracking(tracking: object) -> str | None:
    """A carrier tracking number, or ``None``.

    Raises:
        ValidationError: ``invalid_tracking`` (empty, not a string, or longer than
            :data:`MAX_TRACKING_LENGTH` characters).
    """
    return None if tracking is None else _text(tracking, "tracking", MAX_TRACKING_LENGTH)


def check_code(code: object) -> str:
    """A verification code as typed (surrounding whitespace stripped).

    Raises:
        ValidationError: ``invalid_code`` (not a non-empty string of at most
            :data:`MAX_CODE_LENGTH` characters, or a lone surrogate in it).
    """
    return _text(code, "code", MAX_CODE_LENGTH).strip()
