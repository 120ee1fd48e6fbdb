"""Domain events, and (re-exported from :mod:`symprogram.ledger`) the ledger that records them.

A :class:`DomainEvent` is a fact that happened to a subject (a candidate, a
consent subject, ...) at an instant. Services append events to a :class:`Ledger`
(the account history, the consent ledger, the entitlements audit): one
hash-chained stream per subject. The ledger lives in :mod:`symprogram.ledger`;
its names stay importable from here.

Example (appending to a ledger: see :mod:`symprogram.ledger`):
    >>> from datetime import datetime, timezone
    >>> @attrs.frozen
    ... class EmailConfirmed(DomainEvent):
    ...     email: str
    >>> event = EmailConfirmed("SP-1", datetime(2011, 1, 15, tzinfo=timezone.utc), "a@example.com")
    >>> event.event_name(), event.payload()
    ('email_confirmed', {'email': 'a@example.com'})
"""

from __future__ import annotations

import functools
import re
import types
import typing
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

# The ledger's names, importable from here as before (``GENESIS``; ``_canonical``,
# ``_chain_body`` and ``_entry_text`` for the tests that build entries as it does).
from symprogram.ledger import GENESIS as GENESIS
from symprogram.ledger import Ledger, LedgerEntry, Problem, Verification
from symprogram.ledger import _canonical as _canonical
from symprogram.ledger import _chain_body as _chain_body
from symprogram.ledger import _entry_text as _entry_text
from symprogram.serialization import make_converter

__all__ = [
    "DomainEvent",
    "Ledger",
    "LedgerEntry",
    "Problem",
    "Verification",
]

_CONVERTER = make_converter()


@functools.lru_cache(maxsize=1024)
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@attrs.frozen
class DomainEvent:
    """Base of every domain event: something that happened to ``subject`` at ``at``.

    Subclasses are frozen attrs classes adding their own fields; :attr:`name`
    defaults to the class name in ``snake_case``.
    """

    name: ClassVar[str] = ""

    subject: str
    at: datetime

    @classmethod
    def event_name(cls) -> str:
        """The stable name recorded in the ledger."""
        return cls.name or _snake(cls.__name__)

    def payload(self) -> dict[str, Any]:
        """The event's own fields (without subject and instant) as JSON-friendly data.

        What the shared converter's ``unstructure`` gives, less ``subject`` and
        ``at``. When every own field is annotated ``str``, ``int``, ``bool``,
        ``datetime``, ``Any`` or ``X | None`` of those and holds a value of exactly
        such a class (a ``datetime`` in UTC), which the converter returns as is (an
        instant as its ISO text), the dict is built directly; anything else takes
        the converter.
        """
        cls = self.__class__
        plan = _PAYLOAD_PLANS.get(cls, _UNPLANNED)
        if plan is _UNPLANNED:
            plan = _PAYLOAD_PLANS[cls] = _payload_plan(cls)
        if plan is not None:
            fast: dict[str, Any] = {}
            for name, kinds in plan:
                value = getattr(self, name)
                kind = value.__class__
                if kind not in kinds:
                    break
                if kind is datetime:
                    if value.tzinfo is not UTC:
                        break
                    value = value.isoformat()
                fast[name] = value
            else:
                return fast
        raw: dict[str, Any] = _CONVERTER.unstructure(self)
        raw.pop("subject", None)
        raw.pop("at", None)
        return raw


_NONE = type(None)
_PLAIN: dict[Any, frozenset[type]] = {
    str: frozenset({str}),
    int: frozenset({int}),
    bool: frozenset({bool}),
    datetime: frozenset({datetime}),
    Any: frozenset({str, int, bool, _NONE}),
}
_UNPLANNED: Any = object()
# Per event class: ``(field name, value classes taken as is)`` of its own fields, or
# ``None`` when a field is of another type (the converter always answers then).
_PAYLOAD_PLANS: dict[type, tuple[tuple[str, frozenset[type]], ...] | None] = {}


def _field_kinds(tp: Any) -> frozenset[type] | None:
    plain = _PLAIN.get(tp)
    if plain is not None:
        return plain
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = typing.get_args(tp)
        if len(args) == 2 and _NONE in args:
            inner = _PLAIN.get(args[0] if args[1] is _NONE else args[1])
            if inner is not None:
                return inner | {_NONE}
    return None


def _payload_plan(cls: type) -> tuple[tuple[str, frozenset[type]], ...] | None:
    try:
        fields = attrs.fields(attrs.resolve_types(cls))
    except Exception:  # unresolvable annotations: the converter answers
        return None
    plan: list[tuple[str, frozenset[type]]] = []
    for field in fields:
        if field.name in ("subject", "at"):
            continue
        kinds = _field_kinds(field.type)
        if kinds is None or not field.init or field.alias != field.name:
            return None
        plan.append((field.name, kinds))
    return tuple(plan)
