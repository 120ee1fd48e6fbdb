"""Flow: reminding candidates that an award expires soon, and how to renew it.

"manage notifications you may or may not want to receive" (Terms of Use
v.2007.507): the ``expiry_reminders`` notification category (on by default). The
host runs :meth:`Reminders.send_expiry_reminders` from its scheduler (say daily);
every rule is in :mod:`symprogram.awards._rules_reminders`.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from symprogram._checks import check_int
from symprogram.awards import messages, rules
from symprogram.awards._base import FlowBase
from symprogram.awards.events import ExpiryReminderSent
from symprogram.awards.models import AwardGrant
from symprogram.errors import Conflict, NotFound
from symprogram.notify import Message
from symprogram.persistence import Transaction

__all__ = ["Reminders"]


class Reminders(FlowBase):
    """Expiry reminders of held awards."""

    def send_expiry_reminders(
        self, *, within: timedelta = rules.DEFAULT_REMINDER_WINDOW, batch: int = 500
    ) -> int:
        """Remind every candidate whose live award expires within ``within`` of now.

        One ``award_expiry_reminder`` message per grant and expiry, naming the
        award, its expiry and how to renew it (the catalogue's renewal window and
        requirements), with an ``expiry_reminder_sent`` history entry; the grant
        keeps the expiry reminded of (``AwardGrant.reminded_expiry``). Running it
        again sends nothing new; a renewal moves the expiry, so the new one is
        reminded of once it comes within ``within``. Nothing is sent for a revoked,
        expired or never-expiring award, once the candidate's awards data was
        erased, to a closed account, nor while the candidate's ``expiry_reminders``
        notification is off (``CandidateDirectory.expiry_reminders_to``; a
        directory without it sends to the ``contact_details`` e-mail). A suspended
        account is reminded, as it gets kit notices. Such a grant is not marked: it
        is reminded of once its candidate may be.

        Each candidate's reminders are written in a unit of work of their own,
        messages in the transactional outbox (all or nothing per candidate); an
        error stops the run, and running it again resumes where it stopped.

        Args:
            within: how far ahead to look (a positive ``timedelta``; default
                :data:`~symprogram.awards.rules.DEFAULT_REMINDER_WINDOW`, 60 days).
            batch: candidate records read per page (1 to 10,000).

        Returns:
            How many reminders were sent.

        Raises:
            ValidationError: ``invalid_within``, ``invalid_batch``.
        """
        window = rules.check_reminder_window(within)
        size = check_int(batch, "batch", minimum=1, maximum=rules.MAX_REMINDER_BATCH)
        sent = 0
        after: str | None = None
        while True:
            due, after, more = self._read(
                functools.partial(self._due_page, after=after, size=size, window=window)
            )
            for candidate_id in due:
                sent += self._remind(candidate_id, window)
            if not more:
                return sent

    def _due_page(
        self, tx: Transaction, *, after: str | None, size: int, window: timedelta
    ) -> tuple[list[str], str | None, bool]:
        """The candidates due a reminder among the next ``size`` records after ``after``."""
        states, last, more = self._repo.candidate_page(tx, after=after, limit=size)
        now = self._now()
        due = [s.candidate_id for s in states if rules.reminders_due(s, now, window)]
        return due, last, more

    def _reminders_to(self, candidate_id: str) -> str | None:
        """Where the candidate's expiry reminders go (``None``: not wanted, or nowhere).

        A directory without ``expiry_reminders_to`` has every candidate want them,
        at the e-mail of ``contact_details``.
        """
        ask = getattr(self._candidates, "expiry_reminders_to", None)
        try:
            if ask is None:
                return self._candidates.contact_details(candidate_id).email
            found: str | None = ask(candidate_id)
        except (NotFound, Conflict):
            return None
        return found

    def _remind(self, candidate_id: str, window: timedelta) -> int:
        """Send the candidate's due reminders in one unit of work; how many were sent."""
        if not self._candidates.exists(candidate_id):
            return 0
        with self._store.transaction() as tx:
            state = self._locked(tx, candidate_id)
            now = self._now()
            due = rules.reminders_due(state, now, window)
            if not due:
                return 0
            decision = rules.expiry_reminder_notice(
                self._reminders_to(candidate_id), closed=self._account_closed(candidate_id)
            )
            if not decision:
                return 0
            to: str = decision.detail("to")
            notices = []
            for grant in due:
                expiry = grant.expiry_as_of(now)
                assert expiry is not None  # reminders_due: every due grant expires
                state = rules.reminded(state, grant.grant_id, expiry)
                self._record(
                    tx,
                    ExpiryReminderSent(candidate_id, now, grant.award_id, grant.grant_id, expiry),
                )
                notices.append(self._reminder(to, grant, expiry, now))
            self._repo.save_candidate(tx, state)
            self._send(tx, candidate_id, *notices)
        return len(due)

    def _reminder(self, to: str, grant: AwardGrant, expiry: datetime, now: datetime) -> Message:
        award = self._catalogue.awards.get(grant.award_id)
        return messages.expiry_reminder_message(
            to=to,
            award_name=grant.award_id if award is None else award.name,
            award_id=grant.award_id,
            grant_id=grant.grant_id,
            expires_at=expiry,
            advice=rules.renewal_advice(award, expiry, now),
        )
