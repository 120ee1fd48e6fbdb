"""Text as the SQL databases hold it: data escaped where a column cannot hold it,
keys checked, and the bounds of code-point ordered listings."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from symprogram.errors import IntegrityError

# -- data text ---------------------------------------------------------------------
#
# U+0001 is the escape character: "\x01\x01" is U+0001, "\x010" is NUL and
# "\x01uXXXX" a lone surrogate. Valid JSON never holds a raw control character, so
# JSON data is stored byte for byte as given.

_ESCAPE = "\x01"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED = re.compile("\x01(?:(\x01)|(0)|u([0-9a-f]{4}))")


def encode_data(text: str) -> str:
    if "\x00" in text or _ESCAPE in text:
        text = text.replace(_ESCAPE, _ESCAPE * 2).replace("\x00", _ESCAPE + "0")
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"{_ESCAPE}u{ord(m.group()):04x}", text)
    return text


def decode_data(text: str) -> str:
    if _ESCAPE not in text:
        return text
    pieces: list[str] = []
    at = 0
    for match in _ESCAPED.finditer(text):
        if _ESCAPE in text[at : match.start()]:
            break
        pieces.append(text[at : match.start()])
        if match.group(1):
            pieces.append(_ESCAPE)
        elif match.group(2):
            pieces.append("\x00")
        else:
            pieces.append(chr(int(match.group(3), 16)))
        at = match.end()
    rest = text[at:]
    if _ESCAPE in rest:
        raise IntegrityError("stored data holds a broken escape", code="database_corrupt")
    pieces.append(rest)
    return "".join(pieces)


def lower_bound(prefix: str, after: str | None) -> tuple[str | None, bool] | None:
    """Where a code-point ordered listing starts: (bound, inclusive), or None if empty.

    Stored names never hold NUL or lone surrogates; a bound that does is replaced
    by an equivalent one the database can compare.
    """
    if after is not None and after >= prefix:
        bound, inclusive = after, False
    elif prefix:
        bound, inclusive = prefix, True
    else:
        return (None, True)
    for i, char in enumerate(bound):
        if char == "\x00":
            if inclusive:  # a prefix holding NUL matches nothing
                return None
            return (bound[:i], False)
        if "\ud800" <= char <= "\udfff":
            if inclusive:
                return None
            return (bound[:i] + "\ue000", True)
    return (bound, inclusive)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (None: no bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def name_range(column: sa.ColumnElement[Any], prefix: str, after: str | None) -> Any:
    """The WHERE condition for names starting with ``prefix`` and sorting after ``after``."""
    if "\x00" in prefix or _SURROGATE.search(prefix):
        return None  # no stored name holds NUL or a lone surrogate
    lower = lower_bound(prefix, after)
    if lower is None:
        return None
    conditions: list[Any] = []
    bound, inclusive = lower
    if bound:
        conditions.append(column >= bound if inclusive else column > bound)
    if prefix:
        upper = prefix_upper_bound(prefix)
        if upper is not None:
            conditions.append(column < upper)
    return sa.and_(sa.true(), *conditions)
