"""Rules of expiry reminders: which grants are due one, to whom, and how to renew.

Pure functions, re-exported by :mod:`symprogram.awards.rules`.

The candidate may "manage notifications you may or may not want to receive"
(Terms of Use v.2007.507): expiry reminders are the accounts context's
``expiry_reminders`` notification category, on by default. A reminder is sent

* for a **live** grant: granted, not revoked, not yet expired, with an expiry
  (an award that never expires is never reminded of);
* whose expiry, as known at the instant of the run, falls **within** the window
  asked for (``expiry - at <= within``);
* **once per grant and expiry**: the grant keeps the expiry it was reminded of
  (:attr:`~symprogram.awards.models.AwardGrant.reminded_expiry`); a renewal moves
  the expiry, so the new one is reminded of again when it comes near;
* never once the candidate's awards data was erased (:func:`reminders_due`), nor
  to a closed account or a candidate whose ``expiry_reminders`` notification is
  off (:func:`expiry_reminder_notice`). A suspended account is reminded: the
  ``achievement_kits`` notices treat it the same way (only a closed account's
  notifications are off), and a suspension may be lifted before the award expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from symprogram.awards._models_catalogue import (
    AllOf,
    AnyOf,
    AtLeast,
    AwardDefinition,
    Requirement,
)
from symprogram.awards._rules_kits import category_notice
from symprogram.awards.models import AwardGrant, AwardStatus, CandidateAwards
from symprogram.clock import start_of_day
from symprogram.decisions import Decision, Reason
from symprogram.errors import ValidationError

__all__ = [
    "DEFAULT_REMINDER_WINDOW",
    "EXPIRY_REMINDERS_CHOSEN",
    "EXPIRY_REMINDERS_OFF",
    "MAX_REMINDER_BATCH",
    "REMINDER_ACCOUNT_CLOSED",
    "RenewalAdvice",
    "check_reminder_window",
    "describe_requirement",
    "expiry_reminder_notice",
    "reminded",
    "reminders_due",
    "renewal_advice",
]

DEFAULT_REMINDER_WINDOW = timedelta(days=60)
"""How far ahead :meth:`~symprogram.awards.AwardsService.send_expiry_reminders` looks
by default: awards expiring within 60 days (two months to renew)."""

MAX_REMINDER_BATCH = 10_000
"""The most candidates read per page by ``send_expiry_reminders``."""

EXPIRY_REMINDERS_CHOSEN = "expiry_reminders_chosen"
"""Reason of an allowed :func:`expiry_reminder_notice`: the candidate gets reminders."""

EXPIRY_REMINDERS_OFF = "expiry_reminders_off"
"""Reason of a denied :func:`expiry_reminder_notice`: the notification is switched off."""

REMINDER_ACCOUNT_CLOSED = "account_closed"
"""Reason of a denied :func:`expiry_reminder_notice`: the account is closed."""


def check_reminder_window(within: object) -> timedelta:
    """``within`` checked: a positive :class:`~datetime.timedelta`.

    Raises:
        ValidationError: ``invalid_within``.

    Example:
        >>> check_reminder_window(timedelta(days=30)).days
        30
    """
    if not isinstance(within, timedelta) or within <= timedelta(0):
        raise ValidationError(
            "within must be a positive timedelta", field="within", code="invalid_within"
        )
    return within


def _due(grant: AwardGrant, at: datetime, within: timedelta) -> bool:
    if grant.status_at(at) is not AwardStatus.ACTIVE:
        return False
    expiry = grant.expiry_as_of(at)
    return expiry is not None and expiry - at <= within and grant.reminded_expiry != expiry


def reminders_due(
    state: CandidateAwards, at: datetime, within: timedelta
) -> tuple[AwardGrant, ...]:
    """The grants of ``state`` due an expiry reminder at ``at``, oldest first.

    A grant is due one when it is active at ``at`` (granted, not revoked, not
    expired), its expiry as known at ``at`` falls within ``within`` of ``at``, and
    it was not reminded of that expiry yet. None once the awards data was erased.
    """
    if state.erased_at is not None:
        return ()
    return tuple(g for g in state.grants if _due(g, at, within))


def reminded(state: CandidateAwards, grant_id: str, expiry: datetime) -> CandidateAwards:
    """``state`` with the grant ``grant_id`` marked reminded of ``expiry``."""
    grants = tuple(
        attrs.evolve(g, reminded_expiry=expiry) if g.grant_id == grant_id else g
        for g in state.grants
    )
    return attrs.evolve(state, grants=grants)


def expiry_reminder_notice(to: str | None, *, closed: bool = False) -> Decision:
    """Whether an expiry reminder goes to the candidate (``to``: their address).

    Denied with ``account_closed`` for a closed account; with
    ``expiry_reminders_off`` when ``to`` is ``None`` (the candidate switched the
    ``expiry_reminders`` notification off: "manage notifications you may or may
    not want to receive", Terms of Use v.2007.507); otherwise allowed with
    ``expiry_reminders_chosen`` and the address in ``details["to"]``.

    Example:
        >>> expiry_reminder_notice(None).codes
        ('expiry_reminders_off',)
    """
    if closed:
        return Decision.deny(Reason(REMINDER_ACCOUNT_CLOSED, "the account is closed"))
    return category_notice(
        to, "expiry_reminders", off=EXPIRY_REMINDERS_OFF, chosen=EXPIRY_REMINDERS_CHOSEN
    )


def describe_requirement(node: Requirement) -> str:
    """A readable description of a requirements tree, every leaf named.

    Example:
        >>> from symprogram.awards.models import ExamPassed, ExamRef
        >>> describe_requirement(AnyOf((ExamPassed((ExamRef("250-315"),)),
        ...                             ExamPassed((ExamRef("250-316"),)))))
        'pass exam 250-315 or pass exam 250-316'
    """
    if isinstance(node, AllOf):
        return " and ".join(_part(child) for child in node.children)
    if isinstance(node, AnyOf):
        return " or ".join(_part(child) for child in node.children)
    if isinstance(node, AtLeast):
        return f"{node.n} of: " + "; ".join(_part(child) for child in node.children)
    return node.describe()


def _part(node: Requirement) -> str:
    text = describe_requirement(node)
    return f"({text})" if isinstance(node, AllOf | AnyOf | AtLeast) else text


@attrs.frozen
class RenewalAdvice:
    """How an award can be renewed, as an expiry reminder says it.

    Attributes:
        renewable: whether it can be renewed at all (``False``: retired, or no
            longer in the catalogue).
        opens_at: when the renewal window opens, if that is still ahead.
        requirement: what renewing takes (``None``: only that the award is active).
        retired: the award is retired: "no longer issued", so it can be neither
            renewed nor earned again; it is held until it expires.
    """

    renewable: bool
    opens_at: datetime | None = None
    requirement: str | None = None
    retired: bool = False


def renewal_advice(award: AwardDefinition | None, expiry: datetime, at: datetime) -> RenewalAdvice:
    """How ``award`` (``None``: not in the catalogue) expiring at ``expiry`` can be
    renewed, as of ``at``: the catalogue's renewal window and requirements."""
    if award is None or award.validity is None:
        return RenewalAdvice(False)
    if award.retired_on is not None and at >= start_of_day(award.retired_on):
        return RenewalAdvice(False, retired=True)
    window = award.renewal_window
    opens = None if window is None or at >= expiry - window else expiry - window
    needs = None if award.renewal is None else describe_requirement(award.renewal)
    return RenewalAdvice(True, opens, needs)
