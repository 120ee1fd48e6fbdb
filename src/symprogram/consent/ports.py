"""What the consent service needs from storage, and what it offers other contexts.

Storage: the service keeps five kinds of versioned records on the generic
port (:class:`symprogram.persistence.Repository` satisfies :class:`Aggregates`)
and one hash-chained ledger stream per subject (:class:`symprogram.events.Ledger`):

* ``consent_state`` — the projection of a subject's ledger (:class:`ConsentState`);
* ``consent_file`` — the personal information held and the requests (:class:`SubjectFile`);
* ``consent_policy`` — policy versions published through the service;
* ``consent_granted`` — the audience index: one small record per subject and purpose
  the subject ever granted, keyed ``<purpose>\x1f<subject>``, saved in the same unit
  of work as the projection and deleted on erasure;
* ``consent_meta`` — the ``audience_index`` marker: every subject's entries exist.

Other contexts ask consent questions through the two small protocols below;
:class:`~symprogram.consent.service.ConsentService` satisfies both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol, TypeVar, runtime_checkable

from symprogram import persistence
from symprogram.decisions import Decision

__all__ = [
    "AUDIENCE_KIND",
    "AUDIENCE_MARKER",
    "FILE_KIND",
    "META_KIND",
    "POLICY_KIND",
    "STATE_KIND",
    "Aggregates",
    "ConsentChecker",
    "ContactPreferences",
]

STATE_KIND = "consent_state"
"""Record kind of the per-subject projection."""

FILE_KIND = "consent_file"
"""Record kind of the personal information held about a subject."""

POLICY_KIND = "consent_policy"
"""Record kind of published policy versions (keyed by zero-padded sequence)."""

AUDIENCE_KIND = "consent_granted"
"""Record kind of the audience index, keyed ``<purpose>\x1f<subject>``.

A subject has an entry for a purpose from the first time it granted it until it is
erased (:func:`symprogram.consent.rules.audience_entry` gives the data); the entry is
written in the unit of work that updates the subject's projection. Purpose ids (at
most 64 characters) and subjects (at most 128) always fit the 255-character key."""

META_KIND = "consent_meta"
"""Record kind of the consent context's bookkeeping records."""

AUDIENCE_MARKER = "audience_index"
"""Key of the ``consent_meta`` record saying every subject's audience entries exist."""

T = TypeVar("T")


class Aggregates(persistence.Aggregates[T], Protocol[T]):
    """The repository operations the service uses (satisfied by ``Repository``)."""

    def remove(self, obj: T) -> None:
        """Delete the aggregate at its version."""
        ...

    def iter_all(self, *, prefix: str = "", batch: int = 500) -> Iterator[T]:
        """Yield every aggregate in key order, in batches."""
        ...


@runtime_checkable
class ConsentChecker(Protocol):
    """Asked by other contexts (e.g. entitlements before remote access)."""

    def has_consented(self, subject: str, purpose: str, at: datetime | None = None) -> bool:
        """Whether ``purpose`` may be pursued for ``subject`` at ``at`` (default: now)."""
        ...


@runtime_checkable
class ContactPreferences(Protocol):
    """Asked by other contexts before contacting someone (newsletters, offers)."""

    def may_contact(
        self,
        subject: str,
        category: str,
        at: datetime | None = None,
        *,
        channel: str = "email",
    ) -> Decision:
        """May ``subject`` be contacted about ``category`` through ``channel``?"""
        ...
