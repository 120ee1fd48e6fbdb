"""Explainable yes/no answers.

Every rule that answers "may this happen?" returns a :class:`Decision`: whether
it is allowed, the stable reason codes that made it so (each with a readable
message and facts), and an optional ``hint`` of what would change the answer.

Example:
    >>> d = Decision.deny(Reason("not_logged_in", "log in to read this document"),
    ...                   hint="log in to your account")
    >>> bool(d), d.codes
    (False, ('not_logged_in',))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from symprogram.errors import ValidationError

__all__ = ["Decision", "Reason"]

_new = object.__new__


def _freeze_reasons(value: Iterable[Reason]) -> tuple[Reason, ...]:
    try:
        return tuple(value)
    except TypeError:
        raise ValidationError(
            "reasons are a sequence of Reason", field="reasons", code="invalid_reasons"
        ) from None


def _freeze_facts(
    value: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> tuple[tuple[str, Any], ...]:
    if not value:
        return ()
    if isinstance(value, tuple):
        return value
    try:
        if isinstance(value, Mapping):
            return tuple(sorted((str(k), v) for k, v in value.items()))
        return tuple(sorted((str(k), v) for k, v in value))
    except (TypeError, ValueError):  # not (name, value) pairs, or names twice over
        raise ValidationError(
            "facts and details are a mapping of names to values",
            field="details",
            code="invalid_details",
        ) from None


@attrs.frozen
class Reason:
    """One reason behind a decision.

    Attributes:
        code: stable machine-readable code, e.g. ``"agreement_expired"``.
        message: readable explanation, e.g. ``"the agreement expired on 2011-01-14"``.
        facts: sorted ``(name, value)`` pairs backing the message (dates, versions, ...).
    """

    code: str
    message: str = ""
    facts: tuple[tuple[str, Any], ...] = attrs.field(default=(), converter=_freeze_facts)

    def fact(self, name: str, default: Any = None) -> Any:
        """Return the fact called ``name``, or ``default``."""
        for key, value in self.facts:
            if key == name:
                return value
        return default


@attrs.frozen
class Decision:
    """An explainable answer.

    Attributes:
        allowed: the answer.
        reasons: every reason that made it, in the order the rule found them.
        hint: what would change the answer, when something would.
        at: the instant the question was asked about.
        details: sorted ``(name, value)`` pairs with extra results (e.g. a served language).
    """

    allowed: bool
    reasons: tuple[Reason, ...] = attrs.field(default=(), converter=_freeze_reasons)
    hint: str | None = None
    at: datetime | None = None
    details: tuple[tuple[str, Any], ...] = attrs.field(default=(), converter=_freeze_facts)

    @classmethod
    def allow(
        cls,
        *reasons: Reason,
        hint: str | None = None,
        at: datetime | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Build a positive decision."""
        return cls(True, reasons, hint, at, _freeze_facts(details))

    @classmethod
    def deny(
        cls,
        *reasons: Reason,
        hint: str | None = None,
        at: datetime | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Build a negative decision."""
        return cls(False, reasons, hint, at, _freeze_facts(details))

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, in order."""
        return tuple(r.code for r in self.reasons)

    def has(self, code: str) -> bool:
        """Whether a reason with ``code`` is among the reasons."""
        return any(r.code == code for r in self.reasons)

    def detail(self, name: str, default: Any = None) -> Any:
        """Return the detail called ``name``, or ``default``."""
        for key, value in self.details:
            if key == name:
                return value
        return default

    def explain(self) -> str:
        """A one-paragraph readable explanation."""
        head = "allowed" if self.allowed else "denied"
        parts = [r.message or r.code for r in self.reasons]
        text = head + (": " + "; ".join(parts) if parts else "")
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def restamped(self, at: datetime) -> Decision:
        """The same decision asked about instant ``at`` (an aware UTC datetime).

        For services replaying a remembered answer: the fields are already frozen
        and validated, so they are copied without running the initializer again.
        """
        out = _new(Decision)
        _SET_ALLOWED(out, self.allowed)
        _SET_REASONS(out, self.reasons)
        _SET_HINT(out, self.hint)
        _SET_AT(out, at)
        _SET_DETAILS(out, self.details)
        return out

    def with_reasons(self, reasons: Iterable[Reason]) -> Decision:
        """Return a copy with ``reasons`` appended."""
        return attrs.evolve(self, reasons=self.reasons + tuple(reasons))


# The slots' own setters: what ``restamped`` uses to fill a copy without the
# frozen class's ``__setattr__`` guard (a plain call each, no attribute lookup).
_SET_ALLOWED = Decision.__dict__["allowed"].__set__
_SET_REASONS = Decision.__dict__["reasons"].__set__
_SET_HINT = Decision.__dict__["hint"].__set__
_SET_AT = Decision.__dict__["at"].__set__
_SET_DETAILS = Decision.__dict__["details"].__set__
