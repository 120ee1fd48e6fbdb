"""Small adapters through which one context answers another's protocol.

The contexts never import each other (see DESIGN.md); :class:`~symprogram.Program`
wires them with these adapters.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from symprogram.errors import Conflict, NotFound, ValidationError

if TYPE_CHECKING:
    from symprogram._anchors import AggregateDifference, AggregateMismatch
    from symprogram._persistence_records import Record
    from symprogram.accounts import AccountsService
    from symprogram.accounts._stand_ins import StandInStore
    from symprogram.accounts.events import ContactDetailsUpdated
    from symprogram.awards.models import KitAddress
    from symprogram.consent import ConsentService
    from symprogram.ledger import Ledger, LedgerEntry
    from symprogram.persistence import Transaction

__all__ = [
    "GATHERING_ACTIVITIES",
    "PREFERENCE_CHANNEL",
    "REMOTE_ACCESS_PURPOSE",
    "UNCONFIRMED_ACTIVITIES",
    "AccountsCandidateDirectory",
    "ConsentMarketing",
    "ConsentRemoteAccess",
    "AWARDS_ANCHOR_KINDS",
    "CANDIDATE_ANCHOR_KINDS",
    "HISTORY_OWNER_CHECKS",
    "awards_anchors",
    "candidate_anchors",
    "postal_address_recorded",
    "remote_access_evidence",
    "score_report_checks",
]

REMOTE_ACCESS_PURPOSE = "remote_access"
"""The consent purpose under which express consent to the Remote Access Standard Terms is kept."""

_MARKETING_PURPOSES = {"newsletters": "newsletters", "offers": "special_offers"}
_DENIALS = frozenset({"refused", "withdrawn", "opted_out"})

PREFERENCE_CHANNEL = "profile_form"
"""The consent channel of choices made with the account's notification switches."""

NOBODY = "SP-0000-0000-0000-1"
"""The subject of a recording done for nobody: shaped as a candidate ID, none's
(its check digit is wrong), and never written to (its writes are stand-ins)."""

GATHERING_ACTIVITIES: Mapping[str, str] = {
    "registration": "other_activities",
    "activation": "other_activities",
    "contact_update": "other_activities",
    "support_incident": "service_request",
}
"""Accounts activities -> the privacy policy's activities under which their data is recorded.

"We request personal information when you place an order, register a product,
request a service, answer a survey, enter a contest, correspond with us or engage
in certain other activities on our website." A support incident is a service
request (``service_request``). A registration in the certification program, and
keeping its contact details current, are not activities the policy lists by
name; they are "certain other activities on our website" (the open-ended
activity ``other_activities``), as is activating the account (its owner
confirming the address)."""

UNCONFIRMED_ACTIVITIES = frozenset({"registration"})
"""Accounts activities whose gathering makes nobody known (``makes_known=False``).

A registration leaves the account pending activation: anyone can register someone
else's address, so until its owner follows the activation link nothing says the
address is theirs, and the account is in no marketing audience. The activation
records the confirmed address (activity ``activation``), which makes them known."""


def remote_access_evidence(terms_version: str) -> str:
    """The evidence string recorded with consent to ``terms_version`` of the remote access terms."""
    return f"terms:{terms_version}"


class ConsentMarketing:
    """Accounts' ``MarketingChoices`` and ``PersonalDataLedger`` answered by the consent context.

    One truth per choice (DESIGN.md): the account's ``newsletters`` and ``offers``
    switches are the consent purposes ``newsletters`` and ``special_offers``.
    Switching one on records a grant, switching it off an opt-out (a withdrawal
    when a grant stands); reading one asks :meth:`may_contact` (contact by
    e-mail), which is what ``consent.iter_audience(purpose, "email")`` lists. What a
    registration gathered is recorded with ``consent.record_gathered`` under the
    policy activity :data:`GATHERING_ACTIVITIES` ("or engage in certain other
    activities on our website", the privacy policy), not making the person known
    (:data:`UNCONFIRMED_ACTIVITIES`); the activation's record of the confirmed
    address does, so an activated account is a known subject and one pending
    activation is in no audience. Every write joins the accounts unit of work (all or nothing)
    and is stamped by the consent ledger itself, once the subject is locked (the
    accounts flow's ``at`` decides only whether a policy was in effect): two
    flows writing about one person at once are recorded in the order they
    commit, never refused as ``out_of_order``.

    A registration of an address that already has an account has the same
    recording done for nobody (:meth:`record_gathered_for_nobody`), by ``twin``
    over ``stand_ins``: what it writes goes to stand-in records (issue 18).

    Args:
        consent: the consent service (on the same store as accounts).
        activities: accounts activity -> policy activity (default:
            :data:`GATHERING_ACTIVITIES`).
        stand_ins: a stand-in store over the accounts store, and ``twin``: a
            consent service like ``consent`` (catalogue, settings, ledger key) over
            it, publishing nothing; without them nothing is done for nobody.
        twin: see ``stand_ins``.
    """

    def __init__(
        self,
        consent: ConsentService,
        *,
        activities: Mapping[str, str] | None = None,
        stand_ins: StandInStore | None = None,
        twin: ConsentService | None = None,
    ) -> None:
        self._consent = consent
        self._activities = dict(GATHERING_ACTIVITIES if activities is None else activities)
        self._stand_ins = stand_ins
        self._twin = twin

    def may_contact(self, subject: str, category: str, at: datetime) -> bool:
        """Whether the consent ledger allows ``category`` messages to ``subject`` at ``at``."""
        purpose = _MARKETING_PURPOSES.get(category, category)
        try:
            return self._consent.may_contact(subject, purpose, at).allowed
        except (ValidationError, NotFound):
            return False

    def record_choice(self, subject: str, category: str, enabled: bool, at: datetime) -> bool:
        """Record ``subject``'s switch of ``category`` in the consent ledger at ``at``.

        On: a grant (nothing when a grant already stands). Off: a withdrawal when a
        grant stands, else an opt-out (nothing when a refusal, withdrawal or
        opt-out already stands). What stands is read as of the instant the entry
        is stamped: ``at``, or the subject's newest record when that is later (a
        record stamped by another process whose clock is ahead), so a choice made
        since is never mistaken for the one asked for. Returns whether an entry
        was recorded.
        """
        # The evidence begins as the consent rules know a switch's choice by
        # (``rules.SWITCH_EVIDENCE``): no notice of a policy, whatever a release wrote.
        from symprogram.consent.rules import SWITCH_EVIDENCE

        purpose = _MARKETING_PURPOSES.get(category, category)
        entries = self._consent.history(subject)
        when = max(at, entries[-1].at) if entries else at
        standing = self._consent.may_use(subject, purpose, at=when).codes
        evidence = f"{SWITCH_EVIDENCE}{category}: {'on' if enabled else 'off'}"
        if enabled:
            return self._switched_on(subject, purpose, standing, when, evidence)
        if "granted" in standing:
            self._consent.withdraw(subject, purpose, channel=PREFERENCE_CHANNEL, evidence=evidence)
        elif _DENIALS.isdisjoint(standing):
            self._consent.opt_out(subject, purpose, channel=PREFERENCE_CHANNEL, evidence=evidence)
        else:
            return False
        return True

    def _switched_on(
        self, subject: str, purpose: str, standing: tuple[str, ...], when: datetime, evidence: str
    ) -> bool:
        """Record a switch turned on: a grant of ``purpose`` (unless one stands) and, when
        the subject had opted out of the e-mail channel the switch mails through (an
        "unsubscribe from all e-mail"), a grant of that channel too, so that the switch
        the person turned on takes effect, for that purpose only: every other purpose
        is first kept off by e-mail (:meth:`_kept_off_by_email`). The grants are
        recorded as made where no privacy policy is shown (``shown=False``): an
        account switch is no notice of a policy change. Returns whether anything was
        recorded."""
        from symprogram.consent import ContactChannel

        contact = self._consent.may_use(subject, purpose, channel="email", at=when).codes
        lift = "channel_opted_out" in contact
        recorded = self._kept_off_by_email(subject, purpose, when) if lift else 0
        if "granted" not in standing:
            self._consent.grant(
                subject, purpose, channel=PREFERENCE_CHANNEL, evidence=evidence, shown=False
            )
            recorded += 1
        if lift:
            self._consent.grant(
                subject,
                ContactChannel.EMAIL,
                channel=PREFERENCE_CHANNEL,
                evidence=evidence,
                shown=False,
            )
            recorded += 1
        return recorded > 0

    def _kept_off_by_email(self, subject: str, purpose: str, when: datetime) -> int:
        """Before an e-mail channel opt-out is lifted for ``purpose``: record an opt-out
        (a withdrawal where a grant stands) of every other purpose, a use or a sharing,
        that the policy in effect declares, that is not necessary and that no refusal,
        withdrawal or opt-out stops, so that the lift makes no other purpose usable by
        e-mail. The consent ledger scopes a channel choice to no purpose, so this costs
        those purposes their other channels too. Returns how many were recorded."""
        from symprogram.consent import Choice, LegalBasis, PurposeKind

        policy = self._consent.policies.in_effect(when)
        if policy is None:
            return 0
        standing = {c.topic: c.choice for c in self._consent.receipt(subject).choices}
        recorded = 0
        for declared in policy.purposes:
            if (
                declared.id == purpose
                or declared.kind not in (PurposeKind.USE, PurposeKind.SHARING)
                or declared.basis is LegalBasis.NECESSARY
            ):
                continue
            choice = standing.get(declared.id)
            evidence = f"e-mail opt-out lifted for {purpose} only: {declared.id} kept off"
            if choice is Choice.GRANTED:
                self._consent.withdraw(
                    subject, declared.id, channel=PREFERENCE_CHANNEL, evidence=evidence
                )
            elif choice is None:
                self._consent.opt_out(
                    subject, declared.id, channel=PREFERENCE_CHANNEL, evidence=evidence
                )
            else:
                continue
            recorded += 1
        return recorded

    def stop_contact(self, subject: str, at: datetime) -> int:
        """Opt ``subject`` out of every contact channel (email, postal mail, phone) and of
        every sharing purpose the policy in effect at ``at`` declares (partner sharing)
        through the consent channel ``account_closure``: a closed account is sent no
        marketing of any purpose and its information goes to no business partner (what
        is necessary for a transaction is not a channel's to stop). A closure's stop of
        a channel is for good: no later grant of it (by phone, on a form) is recorded to
        lift it (``consent.rules.check_not_stopped``). Called in the unit of work of the
        closure; returns how many opt-outs were recorded (none where a closure's
        already stands)."""
        from symprogram.consent import Channel, ContactChannel, LegalBasis, PurposeKind

        closure = Channel.ACCOUNT_CLOSURE
        try:
            standing = {c.topic: c.channel for c in self._consent.receipt(subject).choices}
        except NotFound:
            standing = {}
        policy = self._consent.policies.in_effect(at)
        stops = [(f"channel.{c.value}", "no contact through any channel") for c in ContactChannel]
        stops.extend(
            (p.id, "no sharing with business partners")
            for p in (() if policy is None else policy.purposes)
            if p.kind is PurposeKind.SHARING and p.basis is not LegalBasis.NECESSARY
        )
        recorded = 0
        for topic, what in stops:
            if standing.get(topic) is not closure:
                evidence = f"account closed: {what}"
                self._consent.opt_out(subject, topic, channel=closure, evidence=evidence)
                recorded += 1
        return recorded

    def record_gathered(
        self, subject: str, activity: str, items: tuple[str, ...], at: datetime
    ) -> None:
        """Record in the consent ledger that ``activity`` gathered ``items`` about ``subject``.

        Nothing is recorded at an instant no privacy policy was in effect (there is
        no policy to record it under). What an activity of
        :data:`UNCONFIRMED_ACTIVITIES` gathered makes nobody known.
        """
        if self._consent.policies.in_effect(at) is None:
            return
        self._consent.record_gathered(
            subject,
            self._activities.get(activity, activity),
            items,
            makes_known=activity not in UNCONFIRMED_ACTIVITIES,
        )

    def record_gathered_for_nobody(
        self, key: str, activity: str, items: tuple[str, ...], at: datetime
    ) -> None:
        """What :meth:`record_gathered` does for a new subject, done by the twin for
        :data:`NOBODY`, every write of it a stand-in record under ``key``."""
        if self._twin is None or self._stand_ins is None:
            return
        if self._consent.policies.in_effect(at) is None:
            return
        with self._stand_ins.writing_as(key):
            self._twin.record_gathered(
                NOBODY,
                self._activities.get(activity, activity),
                items,
                makes_known=activity not in UNCONFIRMED_ACTIVITIES,
            )

    def record_gathered_many(
        self, gathered: list[tuple[str, str, tuple[str, ...]]], at: datetime
    ) -> None:
        """:meth:`record_gathered` of each ``(subject, activity, items)`` at ``at``, in
        one call of ``consent.record_gathered_many`` (a bulk registration's batch).

        Nothing is recorded at an instant no privacy policy was in effect. The
        gatherings of :data:`UNCONFIRMED_ACTIVITIES` (a batch's registrations) are
        recorded in one call making nobody known, the others in one call after it.
        """
        if not gathered or self._consent.policies.in_effect(at) is None:
            return
        activities = self._activities
        for known in (False, True):
            batch = [
                (subject, activities.get(activity, activity), items)
                for subject, activity, items in gathered
                if (activity not in UNCONFIRMED_ACTIVITIES) is known
            ]
            if batch:
                self._consent.record_gathered_many(batch, makes_known=known)


class ConsentRemoteAccess:
    """Entitlements' ``RemoteAccessConsent`` answered by the consent context.

    Express consent is a grant of the ``remote_access`` purpose whose evidence is
    ``terms:<version>`` (see :func:`remote_access_evidence`). The entitlements
    service asks about the version of the Remote Access Standard Terms in force
    at each instant, so a grant for an older version stops counting once a newer
    version comes into force; :meth:`~symprogram.Program.consent_to_remote_access`
    records a grant for the version in force at its instant. The grant is kept
    under the customer's consent subject, :func:`symprogram.consent.subject_for`
    (the customer ID itself, or a digest of an ID the ledger cannot key).
    """

    def __init__(self, consent: ConsentService) -> None:
        self._consent = consent

    def has_consented(self, customer_id: str, terms_version: str, at: datetime) -> bool:
        """Whether ``customer_id`` expressly consented to ``terms_version``, as of ``at``."""
        from symprogram.consent import subject_for

        try:
            subject = subject_for(customer_id)
            evidence = self._consent.granted_evidence(subject, REMOTE_ACCESS_PURPOSE, at)
        except (ValidationError, NotFound):
            return False
        return evidence == remote_access_evidence(terms_version)


class AccountsCandidateDirectory:
    """Awards' ``CandidateDirectory`` answered by the accounts context.

    Only the accounts service's public methods are used: ``get_candidate`` (also
    for :meth:`canonical_id`),
    ``contact_details``, ``notification_setting`` (``achievement_kits`` and
    ``expiry_reminders``) and ``has_accepted_current_terms``;
    :meth:`lock_account` locks the account's record in the awards unit of work.
    """

    def __init__(self, accounts: AccountsService) -> None:
        self._accounts = accounts

    def exists(self, candidate_id: str) -> bool:
        """Whether ``candidate_id`` is a registered candidate."""
        return self.canonical_id(candidate_id) is not None

    def canonical_id(self, candidate_id: str) -> str | None:
        """The registered candidate's ID in its display form (``sp-…``, ``SP…`` without
        dashes and ``SP-…`` are one candidate), ``None`` for no such candidate: the
        spelling the awards context keys the candidate's records by."""
        try:
            return str(self._accounts.get_candidate(candidate_id).candidate_id)
        except (NotFound, ValidationError):
            return None

    def holder_name(self, candidate_id: str) -> str:
        """The candidate's given and family name, as their published awards show it."""
        details = self._accounts.contact_details(candidate_id)
        return f"{details.given_name} {details.family_name}"

    def kit_recipient(self, candidate_id: str) -> KitAddress | None:
        """The candidate's name, e-mail and postal address as an achievement-kit address;
        ``None`` when no postal address is on file (the kit is then held), and for a
        closed account: closing opts out of every contact channel, postal mail
        included, so nothing is posted to it (its status as its history vouches
        for it, :meth:`~symprogram.accounts.AccountsService.get_account_status`)."""
        from symprogram.awards.models import KitAddress

        details = self._accounts.contact_details(candidate_id)
        address = details.postal_address
        if address is None or self._status(candidate_id) == "closed":
            return None
        city = " ".join(p for p in (address.postal_code, address.city) if p)
        tail = ", ".join(p for p in (city, address.region) if p)
        return KitAddress(
            name=f"{details.given_name} {details.family_name}",
            email=details.email,
            postal_address=(*address.lines, tail) if tail else tuple(address.lines),
            country=address.country,
        )

    def contact_details(self, candidate_id: str) -> KitAddress:
        """The candidate's current contact details, as an achievement-kit address.

        Raises:
            Conflict: ``no_postal_address`` (no postal address on file: a kit is
                never addressed to a placeholder).
        """
        found = self.kit_recipient(candidate_id)
        if found is None:
            raise Conflict(
                "no postal address is on file",
                field="postal_address",
                code="no_postal_address",
            )
        return found

    def kit_notices_to(self, candidate_id: str) -> str | None:
        """The candidate's e-mail when their ``achievement_kits`` notification is in
        effect, else ``None``."""
        setting = self._accounts.get_notification_setting(candidate_id, "achievement_kits")
        if not setting.effective:
            return None
        return self._accounts.contact_details(candidate_id).email

    def expiry_reminders_to(self, candidate_id: str) -> str | None:
        """The candidate's e-mail when their ``expiry_reminders`` notification is in
        effect (on, and the account not closed), else ``None``."""
        setting = self._accounts.get_notification_setting(candidate_id, "expiry_reminders")
        if not setting.effective:
            return None
        return self._accounts.contact_details(candidate_id).email

    def lock_account(self, tx: Transaction, candidate_id: str) -> None:
        """Lock the candidate's account record in ``tx`` (``load_for_update``): the
        first lock of every awards write about the candidate, as of every account
        call and of ``Program.erase_person``, so that locks are taken in one order."""
        from symprogram.accounts.ports import CANDIDATE_KIND
        from symprogram.persistence import load_for_update

        load_for_update(tx, CANDIDATE_KIND, candidate_id)

    def has_accepted_current_terms(self, candidate_id: str) -> bool:
        """Whether the candidate accepted the Terms of Use in force."""
        return self._accounts.has_accepted_current_terms(candidate_id)

    def account_active(self, candidate_id: str) -> bool:
        """Whether the candidate's account is active (publishing needs one)."""
        return self._status(candidate_id) == "active"

    def account_closed(self, candidate_id: str) -> bool:
        """Whether the candidate's account is closed (its disclosures then show nothing)."""
        return self._status(candidate_id) == "closed"

    def _status(self, candidate_id: str) -> str | None:
        """The account's status (an ``AccountStatus`` value) as its history vouches
        for it, ``None`` for no account; a row put back from before a suspension or
        closure raises ``IntegrityError`` (``record_corrupt``) rather than answer
        active."""
        try:
            return str(self._accounts.get_account_status(candidate_id))
        except (NotFound, ValidationError):
            return None


def postal_address_recorded(event: ContactDetailsUpdated) -> bool:
    """Whether ``event`` records a postal address (a new one, not its removal).

    The condition under which ``Program`` subscribes awards' ``release_held_kits``
    to accounts' ``contact_details_updated``: the held achievement kits can go out
    once a postal address is on file.
    """
    return any(change.field == "postal_address" and change.new for change in event.changes)


CANDIDATE_ANCHOR_KINDS = ("candidate",)
"""The record kind :func:`candidate_anchors` reads, keyed by candidate ID (the accounts
context's ``CANDIDATE_KIND``, named here so that a program is built without importing it)."""

AWARDS_ANCHOR_KINDS = ("award_candidate",)
"""The record kind :func:`awards_anchors` reads, keyed by candidate ID (the awards
context's ``CANDIDATE_KIND``)."""


def candidate_anchors(
    tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
) -> tuple[AggregateMismatch, ...]:
    """The account history's anchor check of the stored candidates (the accounts
    context's, imported on first use): see ``AccountHistory.add_anchor_check``."""
    from symprogram.accounts._anchors import candidate_anchor_check

    return candidate_anchor_check(tx, subject, entries)


def awards_anchors(
    tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
) -> tuple[AggregateMismatch, ...]:
    """The account history's anchor check of the stored awards records (the awards
    context's, imported on first use): see ``AccountHistory.add_anchor_check``."""
    from symprogram.awards._anchors import awards_anchor_check

    return awards_anchor_check(tx, subject, entries)


OwnerCheck = Callable[["Transaction", "Record"], tuple[str, tuple["AggregateDifference", ...]]]


def _owner_check(module: str, name: str) -> OwnerCheck:
    """The owner check ``name`` of a context's ``module``, imported on first use (the
    kernel imports no context at import time)."""

    def check(tx: Transaction, record: Record) -> tuple[str, tuple[AggregateDifference, ...]]:
        found: OwnerCheck = getattr(importlib.import_module(module), name)
        return found(tx, record)

    return check


HISTORY_OWNER_CHECKS = (
    ("incident", _owner_check("symprogram.accounts._anchors", "incident_owner_check")),
    ("score_report", _owner_check("symprogram.accounts._anchors", "score_report_owner_check")),
    ("award_disclosure", _owner_check("symprogram.awards._anchors", "disclosure_owner_check")),
    ("award_kit", _owner_check("symprogram.awards._anchors", "kit_owner_check")),
)
"""The record kinds keyed by an ID of their own whose owner the account history
anchors, each with its owner check (the accounts and awards contexts', imported on
first use): ``AccountHistory.add_owner_check``. A program replaces the score
reports' with :func:`score_report_checks`' owner check, which sees their anchors too."""


def score_report_checks(
    ledger: Ledger,
) -> tuple[
    Callable[[Transaction, str, Sequence[LedgerEntry]], tuple[AggregateMismatch, ...]],
    OwnerCheck,
]:
    """The account history's anchor check and owner check of the stored score reports
    against their own subjects, with the key ring of ``ledger`` (the accounts
    context's ``ScoreReportAnchorChecks``, imported on first use)."""

    def made() -> Any:
        module = importlib.import_module("symprogram.accounts._anchors")
        return module.ScoreReportAnchorChecks(ledger)

    def anchor(
        tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
    ) -> tuple[AggregateMismatch, ...]:
        if not subject.startswith("~score-report:"):
            return ()  # every other subject: nothing to import or read
        found: tuple[AggregateMismatch, ...] = made().anchor_check(tx, subject, entries)
        return found

    def owner(tx: Transaction, record: Record) -> tuple[str, tuple[AggregateDifference, ...]]:
        found: tuple[str, tuple[AggregateDifference, ...]] = made().owner_check(tx, record)
        return found

    return anchor, owner
