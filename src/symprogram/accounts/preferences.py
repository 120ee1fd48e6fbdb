"""Notification preferences: "manage notifications you may or may not want to receive"."""

from __future__ import annotations

import attrs

from symprogram._checks import check_enum
from symprogram.accounts import rules
from symprogram.accounts._base import FlowBase, candidate_key
from symprogram.accounts.events import NotificationPreferenceChanged
from symprogram.accounts.models import (
    MARKETING_CATEGORIES,
    Candidate,
    NotificationCategory,
    NotificationSetting,
)
from symprogram.accounts.storage import AccountsStorage
from symprogram.ids import CandidateId

__all__ = ["Preferences"]


class Preferences(FlowBase):
    """Notification preferences of :class:`~symprogram.accounts.AccountsService`."""

    def notification_setting(
        self, candidate_id: str | CandidateId, category: NotificationCategory | str
    ) -> NotificationSetting:
        """Whether messages of ``category`` go to the candidate, and why.

        Newsletters and offers are effectively off (reason ``consent_withheld``)
        whenever the consent context says no, whatever the candidate chose.
        """
        chosen = check_enum(NotificationCategory, category, "category")
        key = candidate_key(candidate_id)
        return self._setting(self._read(lambda s: s.candidates.get(key)), chosen)

    def notification_settings(
        self, candidate_id: str | CandidateId
    ) -> tuple[NotificationSetting, ...]:
        """Every category as the candidate sees it ("manage notifications")."""
        key = candidate_key(candidate_id)
        candidate = self._read(lambda s: s.candidates.get(key))
        return tuple(self._setting(candidate, category) for category in NotificationCategory)

    def set_notification_preference(
        self,
        candidate_id: str | CandidateId,
        category: NotificationCategory | str,
        enabled: bool,
    ) -> NotificationSetting:
        """Switch a category on or off and return its resulting setting.

        Raises:
            ValidationError: unknown category (``invalid_category``), switching
                off program notices (``notification_mandatory``), a non-bool
                ``enabled`` (``invalid_type``).
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = candidate_key(candidate_id)
        chosen = check_enum(NotificationCategory, category, "category")
        rules.check_enabled(enabled)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            rules.require_open(candidate)
            preferences = rules.set_preference(candidate.preferences, chosen, enabled)
            if preferences != candidate.preferences:
                candidate = store.candidates.save(attrs.evolve(candidate, preferences=preferences))
                self._record(
                    tx,
                    NotificationPreferenceChanged(key, now, category=str(chosen), enabled=enabled),
                )
        return self._setting(candidate, chosen)

    def _setting(self, candidate: Candidate, category: NotificationCategory) -> NotificationSetting:
        consent = None
        if (
            self._consent is not None
            and category in MARKETING_CATEGORIES
            and candidate.preferences.chosen(category)
        ):
            consent = bool(
                self._consent.may_contact(candidate.candidate_id, str(category), self._now())
            )
        return rules.notification_setting(candidate, category, consent)
