"""Notification preferences: "manage notifications you may or may not want to receive".

When the consent context keeps the marketing choices (a
:class:`~symprogram.accounts.ports.MarketingChoices` is wired, as
:class:`~symprogram.Program` does), the newsletter and offer switches are a view
of the consent ledger: switching one records the choice there, in the same unit
of work, and reading one asks consent. Otherwise the candidate's stored choice
decides, gated by :class:`~symprogram.accounts.ports.MarketingConsent` if any.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from symprogram._checks import check_enum
from symprogram._deprecation import deprecated_alias
from symprogram.accounts import rules
from symprogram.accounts._base import SINCE, FlowBase, candidate_key
from symprogram.accounts.events import NotificationPreferenceChanged
from symprogram.accounts.models import (
    MARKETING_CATEGORIES,
    Candidate,
    NotificationCategory,
    NotificationSetting,
)
from symprogram.accounts.ports import MarketingChoices
from symprogram.accounts.storage import AccountsStorage
from symprogram.ids import CandidateId

__all__ = ["Preferences"]


class Preferences(FlowBase):
    """Notification preferences of :class:`~symprogram.accounts.AccountsService`."""

    def get_notification_setting(
        self, candidate_id: str | CandidateId, category: NotificationCategory | str
    ) -> NotificationSetting:
        """Whether messages of ``category`` go to the candidate, and why.

        Newsletters and offers are effectively off (reason ``consent_withheld``)
        whenever the consent context says no, whatever the candidate chose; when
        the consent context keeps the choices they are exactly what it allows.
        """
        chosen = check_enum(NotificationCategory, category, "category")
        key = candidate_key(candidate_id)
        return self._setting(self._read(lambda s: s.candidates.get(key)), chosen)

    def get_notification_settings(
        self, candidate_id: str | CandidateId
    ) -> tuple[NotificationSetting, ...]:
        """Every category as the candidate sees it ("manage notifications")."""
        key = candidate_key(candidate_id)
        candidate = self._read(lambda s: s.candidates.get(key))
        return tuple(self._setting(candidate, category) for category in NotificationCategory)

    notification_setting = deprecated_alias(
        "get_notification_setting", old="notification_setting", since=SINCE
    )
    notification_settings = deprecated_alias(
        "get_notification_settings", old="notification_settings", since=SINCE
    )

    def set_notification_preference(
        self,
        candidate_id: str | CandidateId,
        category: NotificationCategory | str,
        enabled: bool,
    ) -> NotificationSetting:
        """Switch a category on or off and return its resulting setting.

        For newsletters and offers with the consent context keeping the choices,
        the switch is recorded in the consent ledger in the same unit of work:
        on is a grant, off an opt-out (a withdrawal when it was granted), so
        ``consent.may_use``, ``consent.iter_audience`` and this setting agree.

        Raises:
            ValidationError: unknown category (``invalid_category``), switching
                off program notices (``notification_mandatory``), a non-bool
                ``enabled`` (``invalid_type``).
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = candidate_key(candidate_id)
        chosen = check_enum(NotificationCategory, category, "category")
        rules.check_enabled(enabled)
        choices = self._choices(chosen)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get_for_update(key)
            rules.require_open(candidate)
            preferences = rules.set_preference(candidate.preferences, chosen, enabled)
            recorded = choices is not None and choices.record_choice(key, str(chosen), enabled, now)
            changed = preferences != candidate.preferences
            if changed:
                candidate = store.candidates.save(attrs.evolve(candidate, preferences=preferences))
            if changed or recorded:
                self._record(
                    tx,
                    NotificationPreferenceChanged(key, now, category=str(chosen), enabled=enabled),
                )
            # answered inside the unit of work, at its instant: nothing after the
            # commit can fail a call whose switch is saved
            return self._setting(candidate, chosen, now)

    def _choices(self, category: NotificationCategory) -> MarketingChoices | None:
        """The consent port that keeps ``category``'s choices, if any."""
        if category in MARKETING_CATEGORIES and isinstance(self._consent, MarketingChoices):
            return self._consent
        return None

    def _setting(
        self, candidate: Candidate, category: NotificationCategory, now: datetime | None = None
    ) -> NotificationSetting:
        consent = self._consent
        if consent is None or category not in MARKETING_CATEGORIES:
            return rules.notification_setting(candidate, category, None)
        subject = candidate.candidate_id
        at = self._now() if now is None else now
        if self._choices(category) is not None:
            allowed = bool(consent.may_contact(subject, str(category), at))
            return rules.marketing_setting(candidate, category, allowed)
        answer = None
        if candidate.preferences.chosen(category):
            answer = bool(consent.may_contact(subject, str(category), at))
        return rules.notification_setting(candidate, category, answer)
