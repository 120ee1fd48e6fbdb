"""Turning symprogram models and decisions into JSON-friendly data and readable text."""

from __future__ import annotations

import enum
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import attrs

from symprogram.decisions import Decision
from symprogram.serialization import make_converter

__all__ = [
    "decision_data",
    "dump_json",
    "escape_controls",
    "explain_decision",
    "jsonable",
    "printable_text",
    "when",
]

_CONVERTER = make_converter()
_SURROGATE = re.compile("[\ud800-\udfff]")


def jsonable(value: Any) -> Any:
    """Unstructure ``value`` (attrs models, enums, instants, ...) into JSON-friendly data."""
    if isinstance(value, Decision):
        return decision_data(value)
    if attrs.has(type(value)):
        return _CONVERTER.unstructure(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return _CONVERTER.unstructure(value)


def _default(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dump_json(value: Any) -> str:
    """Serialize ``value`` as indented JSON (keys sorted, non-ASCII kept).

    A lone surrogate (a byte of a file name that was not UTF-8, as Python decodes
    it) is written as a ``\\udcXX`` escape: the output is always valid UTF-8 and
    valid JSON, and reads back to the same text.
    """
    text = json.dumps(
        jsonable(value), indent=2, sort_keys=True, ensure_ascii=False, default=_default
    )
    return _SURROGATE.sub(_escape_surrogate, text)


def _escape_char(ch: str) -> str:
    if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"):
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` from an untrusted file, safe to print on a terminal.

    Control and format characters (ESC, BEL, the C1 controls, bidirectional
    overrides, line breaks) and lone surrogates are written as ``\\xNN`` /
    ``\\uNNNN`` escapes, so that no escape sequence in a CSV header reaches the
    terminal that shows the import's summary.
    """
    return "".join(_escape_char(ch) for ch in text)


def printable_text(text: str) -> str:
    """``text`` with each lone surrogate written as a ``\\udcXX`` escape (valid UTF-8)."""
    return _SURROGATE.sub(_escape_surrogate, text)


def decision_data(decision: Decision) -> dict[str, Any]:
    """A :class:`~symprogram.decisions.Decision` as a JSON-friendly mapping."""
    return {
        "allowed": decision.allowed,
        "codes": list(decision.codes),
        "reasons": [
            {
                "code": r.code,
                "message": r.message,
                "facts": {k: jsonable(v) for k, v in r.facts},
            }
            for r in decision.reasons
        ],
        "hint": decision.hint,
        "at": None if decision.at is None else decision.at.isoformat(),
        "details": {k: jsonable(v) for k, v in decision.details},
    }


def explain_decision(decision: Decision) -> str:
    """``allowed``/``denied`` with the reason codes and the hint, on one line."""
    answer = "allowed" if decision.allowed else "denied"
    text = f"{answer} ({', '.join(decision.codes)})"
    if decision.hint:
        text += f"; hint: {decision.hint}"
    return text


def when(value: datetime | date | None) -> str:
    """A short readable instant: ``2011-01-15 09:00 UTC`` (or the date alone)."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()
