"""The records of the storage port, the checks of what adapters store (keys,
versions, data text and stream positions; re-exported by
:mod:`symprogram.persistence`) and the errors every adapter raises the same way."""

from __future__ import annotations

import threading

import attrs

from symprogram._checks import check_int, check_length
from symprogram.errors import (
    ConcurrencyError,
    Conflict,
    NotFound,
    StorageError,
    ValidationError,
)

__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_STORED_INT",
    "WRITE_METHODS",
    "Record",
    "check_key",
    "check_position",
    "check_text",
    "check_version",
    "check_writable",
    "entry_not_found",
    "position_taken",
    "record_not_found",
    "stale_version",
    "value_taken",
    "writes_in_thread",
]

MAX_KEY_LENGTH = 255
"""Longest kind, key, index name, index value or stream name, in characters."""

MAX_STORED_INT = 2**63 - 1
"""Largest version, stream position or page size: every SQL database stores (and
takes as a parameter) a signed 64-bit integer, and every adapter refuses larger
ones the same way (``invalid_version``, ``invalid_position``, ``invalid_limit``)."""


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
    # The common case first: a plain ASCII string of 1 to MAX_KEY_LENGTH
    # characters without NUL passes every check below.
    if (
        isinstance(value, str)
        and 0 < len(value) <= MAX_KEY_LENGTH
        and value.isascii()
        and "\x00" not in value
    ):
        return value
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{field} must be a non-empty string", field=field, code="invalid_key"
        )
    if "\x00" in value:
        raise ValidationError(f"{field} may not contain NUL", field=field, code="invalid_key")
    if not value.isascii() and not _encodable(value):
        raise ValidationError(f"{field} contains a lone surrogate", field=field, code="invalid_key")
    check_length(value, field, limit=MAX_KEY_LENGTH, code="key_too_long")
    return value


def check_version(value: object) -> int:
    """Validate an expected version: an int from 0 to ``MAX_STORED_INT - 1`` (the
    version a save writes, one more, must fit a signed 64-bit column too)."""
    return check_int(
        value, "expected_version", minimum=0, maximum=MAX_STORED_INT - 1, code="invalid_version"
    )


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
    """Validate a stream position (>= 0 for ``after``, >= 1 for an entry; at most
    :data:`MAX_STORED_INT`)."""
    return check_int(value, field, minimum=0, maximum=MAX_STORED_INT, code="invalid_position")


class _Writes(threading.local):
    """How many writes this thread's units of work have attempted (every adapter's
    writes pass :func:`check_writable`): a nested unit of work that fails after
    writing dooms the one it joined (:class:`symprogram.storage._base.Units`)."""

    count = 0


_writes = _Writes()


WRITE_METHODS = frozenset(
    {
        "save",
        "delete",
        "index_put",
        "index_delete",
        "append",
        "rewrite",
        "save_many",
        "index_put_many",
        "append_many",
    }
)
"""The methods of a unit of work (the port's, the batch ones included) that write."""


def writes_in_thread() -> int:
    """The number of writes attempted in this thread so far (it only grows)."""
    return _writes.count


def check_writable(readonly: bool) -> None:
    """Refuse a write in a read-only unit of work (``read_only_transaction``); count
    the write otherwise (:func:`writes_in_thread`)."""
    if readonly:
        raise StorageError("this unit of work is read-only", code="read_only_transaction")
    _writes.count += 1


def stale_version(kind: str, key: str, current: int, expected: int) -> ConcurrencyError:
    """The error of a write based on ``expected`` while the record is at ``current``."""
    if current == expected:
        message = f"{kind} {key!r} was changed by a concurrent unit of work"
    else:
        message = f"{kind} {key!r} is at version {current}, not {expected}"
    return ConcurrencyError(message, details={"kind": kind, "key": key, "current": current})


def record_not_found(kind: str, key: str) -> NotFound:
    """The error of a delete of a record that does not exist."""
    return NotFound(f"no {kind} {key!r}", code="record_not_found")


def value_taken(index: str, value: str) -> Conflict:
    """The error of an index entry whose value another key holds."""
    return Conflict(
        f"{index} {value!r} is already taken", code="duplicate", details={"index": index}
    )


def position_taken(stream: str, length: int, position: int) -> ConcurrencyError:
    """The error of an append at ``position`` to a stream of ``length`` entries."""
    return ConcurrencyError(
        f"stream {stream!r} has {length} entries; cannot append at {position}",
        code="stream_position_taken",
        details={"stream": stream, "length": length},
    )


def entry_not_found(stream: str, position: int) -> NotFound:
    """The error of a rewrite of a stream entry that does not exist."""
    return NotFound(f"no entry {position} in {stream!r}", code="stream_entry_not_found")
