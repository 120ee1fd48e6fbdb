"""Domain events, who reacts to them, and (re-exported from :mod:`symprogram.ledger`) the
ledger that records them.

A :class:`DomainEvent` is a fact that happened to a subject (a candidate, a
consent subject, ...) at an instant. Services append events to a :class:`Ledger`
(the account history, the consent ledger, the entitlements audit): one
hash-chained stream per subject. The ledger lives in :mod:`symprogram.ledger`;
its names stay importable from here. :class:`Subscriptions` is the one registry
of reactions to events: a program builds one, and the events recorded in a unit
of work are published to it there (see ``docs/explanation-architecture.md``,
"How to react to another context's event").

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
import inspect
import re
import threading
import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeAlias, TypeVar

import attrs

from symprogram.errors import ValidationError

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
    "EventFilter",
    "EventHandler",
    "Ledger",
    "LedgerEntry",
    "Problem",
    "Subscriptions",
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


E = TypeVar("E", bound="DomainEvent")

#: A subscriber: called with every recorded event of its type (``subscribe``).
EventHandler: TypeAlias = Callable[[E], object]
#: A subscriber's condition: the handler runs for the events it answers ``True`` for.
EventFilter: TypeAlias = Callable[[E], bool]

# One subscription: the event class, the handler, the condition (``None``: always).
_Subscription = tuple[type, Callable[[Any], object], Callable[[Any], bool] | None]


def _makes_coroutine(value: object) -> bool:
    """Whether calling ``value`` makes a coroutine (an ``async def``, a partial of one,
    or an object whose ``__call__`` is one), which a synchronous caller never awaits."""
    call = inspect.getattr_static(type(value), "__call__", None)
    return inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(call)


class Subscriptions:
    """The reactions to domain events: which handler runs when an event is recorded.

    A :class:`~symprogram.Program` builds one and hands it to every place where
    its services record their events (the account history, the consent ledger,
    the entitlements audit); every event recorded there is :meth:`publish` ed to
    it inside the same unit of work. So a handler runs synchronously, with the
    transaction: what it writes through a service joins that unit of work, and if
    it raises, the whole change is rolled back (the event, the change that caused
    it and whatever earlier handlers wrote).

    Handlers of an event run in the order they were subscribed. An event is
    delivered to the subscriptions of its class and of every base class of it
    (``DomainEvent``: every event).

    Example:
        >>> from datetime import datetime, timezone
        >>> @attrs.frozen
        ... class Moved(DomainEvent):
        ...     city: str
        >>> seen = []
        >>> subscriptions = Subscriptions()
        >>> subscriptions.subscribe(Moved, lambda e: seen.append(e.city))
        >>> far = lambda e: e.city != "Ockham"
        >>> subscriptions.subscribe(Moved, lambda e: seen.append("far"), when=far)
        >>> at = datetime(2011, 1, 15, tzinfo=timezone.utc)
        >>> subscriptions.publish([Moved("SP-1", at, "Ockham"), Moved("SP-1", at, "Oslo")])
        >>> seen
        ['Ockham', 'Oslo', 'far']
    """

    __slots__ = ("_lock", "_plans", "_subscriptions")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: tuple[_Subscription, ...] = ()
        # Per event class: its (handler, condition) pairs, in subscription order.
        self._plans: dict[type, tuple[tuple[Callable[[Any], object], Any], ...]] = {}

    def subscribe(
        self, event_type: type[E], handler: EventHandler[E], *, when: EventFilter[E] | None = None
    ) -> None:
        """Call ``handler(event)`` for every recorded event of ``event_type`` (or a subclass).

        Args:
            event_type: a :class:`DomainEvent` subclass (or ``DomainEvent``: all).
            handler: called with the event, inside the unit of work recording it;
                its return value is ignored; what it raises rolls the unit back.
            when: optional condition: the handler runs only for events it is true of.

        Raises:
            ValidationError: ``invalid_event_type`` (not a ``DomainEvent`` class),
                ``invalid_handler`` (``handler`` or ``when`` not callable, or a
                coroutine function, which would never be awaited).
        """
        if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
            raise ValidationError(
                "event_type must be a DomainEvent class",
                field="event_type",
                code="invalid_event_type",
            )
        for field, given in (("handler", handler), ("when", when)):
            if not callable(given) and not (field == "when" and given is None):
                raise ValidationError(
                    f"{field} must be callable", field=field, code="invalid_handler"
                )
            if _makes_coroutine(given):
                raise ValidationError(
                    f"{field} must be a synchronous callable, not a coroutine function: "
                    "it runs inside the unit of work, where nothing awaits it",
                    field=field,
                    code="invalid_handler",
                )
        with self._lock:
            self._subscriptions = (*self._subscriptions, (event_type, handler, when))
            self._plans = {}

    def handlers(self, event_type: type[DomainEvent]) -> tuple[Callable[[Any], object], ...]:
        """The handlers an event of ``event_type`` may reach, in the order they run."""
        return tuple(handler for handler, _ in self._plan(event_type))

    def reaches(self, events: Iterable[DomainEvent]) -> bool:
        """Whether any of ``events`` has a handler (conditions aside)."""
        return bool(self._subscriptions) and any(self._plan(e.__class__) for e in events)

    def publish(self, events: Iterable[DomainEvent], *, tx: object = None) -> None:
        """Run the handlers of each of ``events``, event by event, in subscription order.

        The one publishing port: called where the events are recorded, inside
        their unit of work ``tx``; what a handler raises propagates (and so rolls
        that unit of work back). When ``tx`` gathers writes to send them later (a
        :class:`~symprogram.persistence.WriteBuffer`, which has ``flush()``) and
        one of the events has a handler, it is flushed first, so that handlers
        read everything written before the events.
        """
        if not self._subscriptions:
            return
        plans = self._plans
        handled = []
        for event in events:
            plan = plans.get(event.__class__)
            if plan is None:
                plan = self._plan(event.__class__)
            if plan:
                handled.append((event, plan))
        if not handled:
            return
        flush = getattr(tx, "flush", None)
        if callable(flush):
            flush()
        for event, plan in handled:
            for handler, when in plan:
                if when is None or when(event):
                    handler(event)

    def __len__(self) -> int:
        """How many subscriptions there are."""
        return len(self._subscriptions)

    def _plan(self, cls: type) -> tuple[tuple[Callable[[Any], object], Any], ...]:
        plans = self._plans
        plan = plans.get(cls)
        if plan is None:
            plan = plans[cls] = tuple(
                (handler, when)
                for event_type, handler, when in self._subscriptions
                if issubclass(cls, event_type)
            )
        return plan
