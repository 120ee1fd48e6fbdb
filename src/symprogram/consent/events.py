"""Domain events the consent context appends to a subject's consent ledger.

Every write of :class:`~symprogram.consent.service.ConsentService` is one of
these, decided by :mod:`symprogram.consent.rules` and appended to the subject's
hash-chained stream; the projection (:func:`symprogram.consent.rules.apply`) is a
fold of them. :meth:`ConsentEvent.ledger_data` is exactly what the ledger keeps
(an entry's data); the ledger entry kinds are the events' names.
"""

from __future__ import annotations

from typing import Any

import attrs

from symprogram.consent import _kinds
from symprogram.consent._kinds import *  # noqa: F403
from symprogram.events import DomainEvent

__all__ = [
    "ConsentEvent",
    "ConsentRecorded",
    "CorrectionCompleted",
    "CorrectionRequested",
    "DataCollected",
    "NoticeRecorded",
    "SubjectErased",
    # The ledger entry kinds, as _kinds.py declares them.
    *_kinds.__all__,
]


@attrs.frozen
class ConsentEvent(DomainEvent):
    """Base of the consent events: something recorded about ``subject`` at ``at``."""

    def ledger_data(self) -> dict[str, Any]:
        """The data of the ledger entry: the event's own fields, an absent ``site`` and a
        ``makes_known`` that is true (the default) left out."""
        data = self.payload()
        if data.get("site", "") is None:
            del data["site"]
        if data.get("makes_known") is True:
            del data["makes_known"]  # as entries written before the field existed
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


@attrs.frozen
class ConsentRecorded(ConsentEvent):
    """A choice (granted, refused, withdrawn, opted out) on a topic was recorded."""

    topic: str
    choice: str
    channel: str
    policy_version: str
    evidence: str
    site: str | None = None
    #: Whether the person was shown ``policy_version`` when choosing (a grant or
    #: refusal, made on a form that shows it): only then does the choice count as
    #: notice of that version. A withdrawal, an opt-out (an unsubscribe reply, a
    #: browser's Global Privacy Control) shows nothing. ``True`` for entries
    #: written before the field existed, which counted.
    shown: bool = True
    #: Whether a grant makes its subject known (:func:`symprogram.consent.rules.makes_known`):
    #: not a grant of a purpose of kind ``terms`` (express consent to service terms,
    #: e.g. the Remote Access Standard Terms), which gathers nothing and is no
    #: marketing choice. Left out of the ledger data when true, as for entries
    #: written before the field existed.
    makes_known: bool = True


@attrs.frozen
class NoticeRecorded(ConsentEvent):
    """The subject was notified of a policy version."""

    policy_version: str
    channel: str


@attrs.frozen
class DataCollected(ConsentEvent):
    """Personal information was gathered during an activity (the items, never the values)."""

    activity: str
    items: tuple[str, ...]
    channel: str
    policy_version: str
    site: str | None = None
    #: Whether gathering showed the person ``policy_version``: never for what is
    #: gathered now (a contact update, an incident shows no policy), but the data
    #: that makes a person known marks the version they joined under (see
    #: :func:`symprogram.consent.rules.apply`). ``True`` for entries written
    #: before the field existed, which counted.
    shown: bool = True
    #: Whether the gathering makes its subject known: not what a registration
    #: gathered while the account waits for activation (anyone can register
    #: someone else's address); the activation's own record does. Left out of the
    #: ledger data when true, as for entries written before the field existed.
    makes_known: bool = True


@attrs.frozen
class CorrectionRequested(ConsentEvent):
    """The subject asked to correct personal information."""

    request: str
    items: tuple[str, ...]
    channel: str


@attrs.frozen
class CorrectionCompleted(ConsentEvent):
    """A correction request was applied."""

    request: str
    items: tuple[str, ...]


@attrs.frozen
class SubjectErased(ConsentEvent):
    """The subject's personal data was erased (a pseudonymous proof stays)."""
