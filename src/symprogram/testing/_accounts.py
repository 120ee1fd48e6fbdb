"""Hypothesis strategies for the accounts models.

Every function returns a strategy of *valid* instances and accepts per-field
keyword overrides, each a strategy or a plain value; an unknown field raises
:class:`~symprogram.errors.ValidationError` (code ``unknown_field``) at once.

Example:
    >>> from symprogram.accounts import AccountStatus
    >>> strategy = candidates(status=AccountStatus.ACTIVE)
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from symprogram.accounts import models
from symprogram.accounts.models import (
    MAX_ADDRESS_LINE_LENGTH,
    MAX_CITY_LENGTH,
    MAX_COMPANY_LENGTH,
    MAX_INCIDENT_TITLE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REPORT_NAME_LENGTH,
    MAX_TEST_CENTRE_LENGTH,
)
from symprogram.accounts.ports import CLIENT_LOGIN_LOG, REQUEST_LOGS
from symprogram.accounts.rules import ClaimOutcome, claim_report, decide_claim
from symprogram.accounts.service import AccountsSettings
from symprogram.accounts.storage import Credential, RequestRecord
from symprogram.decisions import Decision
from symprogram.errors import ValidationError
from symprogram.ids import CandidateId
from symprogram.testing._base import build, check_overrides, derived, instants, is_count

__all__ = [
    "LANGUAGES",
    "account_erasures",
    "account_settings",
    "bulk_candidates",
    "bulk_registration_reports",
    "candidate_ids",
    "candidates",
    "claim_outcomes",
    "contact_details",
    "credentials",
    "emails",
    "incident_messages",
    "incidents",
    "names",
    "notification_preferences",
    "notification_settings",
    "password_hashes",
    "passwords",
    "postal_addresses",
    "register",
    "registration_receipts",
    "request_records",
    "score_reports",
    "terms_acceptances",
    "terms_catalogues",
    "terms_receipts",
    "terms_versions",
]

LANGUAGES = ("en", "en-GB", "de", "fr", "ja", "he", "ar", "pt-BR", "zh-Hant-TW", "tr", "th")
"""Preferred languages the strategies draw from (canonical BCP 47)."""

_SINGLE_LINE = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"
)


def _single_line(max_size: int) -> st.SearchStrategy[str]:
    return st.text(_SINGLE_LINE, min_size=1, max_size=max_size).filter(
        lambda s: bool(s.strip()) and s == s.strip()
    )


def names(max_size: int = 30) -> st.SearchStrategy[str]:
    """Single-line texts as a name field stores them: hostile Unicode welcome, no controls."""
    if not is_count(max_size) or max_size < 1:
        raise ValidationError("max_size must be a positive integer", code="invalid_argument")
    return _single_line(max_size)


def _up_to(limit: int, usual: int = 30) -> st.SearchStrategy[str]:
    """A text field's values as :func:`names` draws them (``usual`` characters at most),
    or as long as the field accepts: exactly ``limit`` characters, the boundary."""
    longest = st.text(_SINGLE_LINE, min_size=limit, max_size=limit).filter(lambda s: s == s.strip())
    return names(min(usual, limit)) | longest


def emails() -> st.SearchStrategy[str]:
    """Plain ASCII e-mail addresses in normalized form."""
    return st.from_regex(
        r"[a-z0-9]{1,12}(\.[a-z0-9]{1,6})?@[a-z]{2,12}\.(com|org|net)", fullmatch=True
    )


def passwords(*, avoiding: models.ContactDetails | None = None) -> st.SearchStrategy[str]:
    """Passwords the default policy accepts (16-40 printable characters, not all the same).

    The policy also refuses a password containing the e-mail's local part or a name of
    its owner (``password_contains_personal_info``): give the contact details as
    ``avoiding`` to draw only passwords that policy accepts for them::

        contact_details().flatmap(lambda c: st.tuples(st.just(c), passwords(avoiding=c)))

    Raises:
        ValidationError: ``avoiding`` is not a ``ContactDetails`` (``invalid_argument``).
    """
    if avoiding is not None and not isinstance(avoiding, models.ContactDetails):
        raise ValidationError(
            "avoiding is the ContactDetails of the password's owner",
            field="avoiding",
            code="invalid_argument",
        )
    drawn = st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=16, max_size=40
    ).filter(lambda p: len(set(p)) > 3)
    if avoiding is None:
        return drawn
    from symprogram.accounts import rules

    personal = rules.personal_words(avoiding)
    return drawn.filter(lambda p: bool(rules.password_policy(p, min_length=16, personal=personal)))


def candidate_ids() -> st.SearchStrategy[str]:
    """Candidate IDs in display form, e.g. ``SP-7Q2M-0KXD-9HZT-D``."""
    return st.integers(min_value=0, max_value=2**32).map(
        lambda seed: CandidateId.generate(random.Random(seed)).display
    )


def _digests() -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=64, max_size=64)


def _registration_numbers() -> st.SearchStrategy[tuple[str, ...]]:
    """Up to three distinct registration numbers (claimed score reports)."""
    return st.lists(st.from_regex(r"[A-Z0-9]{4,12}", fullmatch=True), max_size=3, unique=True).map(
        tuple
    )


def _incident_ids() -> st.SearchStrategy[tuple[str, ...]]:
    """Up to three distinct incident IDs."""
    return st.lists(
        st.from_regex(r"INC-[0-9A-F]{12}", fullmatch=True), max_size=3, unique=True
    ).map(tuple)


def _paragraphs(max_size: int = 200) -> st.SearchStrategy[str]:
    # Multi-line text: \n and \t, never other controls nor U+2028 / U+2029 (the kernel's check).
    alphabet = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")) | st.sampled_from(
        "\n\t"
    )
    return st.text(alphabet, min_size=1, max_size=max_size).filter(
        lambda s: bool(s.strip()) and s == s.strip()
    )


def terms_versions(**overrides: Any) -> st.SearchStrategy[models.TermsVersion]:
    """Strategy for :class:`TermsVersion` (built with ``create`` so the digest matches)."""
    fields = {
        "version": st.from_regex(r"20[0-9]{2}\.[0-9]{1,3}", fullmatch=True),
        "effective": instants(),
        "title": names(40),
        "text": _paragraphs(),
        "acceptance_paths": st.frozensets(st.sampled_from(models.AcceptancePath), min_size=1),
    }
    check_overrides(models.TermsVersion, fields, overrides)
    merged = {
        **fields,
        **{k: v if isinstance(v, st.SearchStrategy) else st.just(v) for k, v in overrides.items()},
    }
    return st.fixed_dictionaries(merged).map(lambda kw: models.TermsVersion.create(**kw))


@st.composite
def _terms_catalogue(draw: st.DrawFn, size: st.SearchStrategy[int]) -> models.TermsCatalogue:
    count = draw(size)
    labels = st.from_regex(r"20[0-9]{2}\.[0-9]{1,3}", fullmatch=True)
    names = draw(st.lists(labels, min_size=count, max_size=count, unique=True))
    starts = draw(st.lists(instants(), min_size=count, max_size=count, unique=True))
    return models.TermsCatalogue(
        draw(terms_versions(version=name, effective=at))
        for name, at in zip(names, starts, strict=True)
    )


def terms_catalogues(
    *, min_size: int = 1, max_size: int = 3
) -> st.SearchStrategy[models.TermsCatalogue]:
    """Catalogues of ``min_size`` to ``max_size`` terms versions (distinct version names
    and effective instants), as :class:`~symprogram.accounts.AccountsService` loads them.

    Raises:
        ValidationError: not ``1 <= min_size <= max_size`` (code ``invalid_argument``).
    """
    if not (is_count(min_size) and is_count(max_size) and 1 <= min_size <= max_size):
        raise ValidationError(
            "terms_catalogues() needs 1 <= min_size <= max_size",
            field="min_size",
            code="invalid_argument",
        )
    return _terms_catalogue(st.integers(min_size, max_size))


def terms_acceptances(**overrides: Any) -> st.SearchStrategy[models.TermsAcceptance]:
    """Strategy for :class:`TermsAcceptance` (bound or not yet bound)."""
    fields = {
        "acceptance_id": st.text("0123456789abcdef", min_size=32, max_size=32),
        "terms_version": st.just("2007.507"),
        "terms_digest": _digests(),
        "path": st.sampled_from(models.AcceptancePath),
        "accepted_at": instants(),
        "candidate_id": st.none() | candidate_ids(),
        "version": st.just(0),
    }
    return build(models.TermsAcceptance, fields, overrides)


def terms_receipts(**overrides: Any) -> st.SearchStrategy[models.TermsReceipt]:
    """Strategy for :class:`TermsReceipt`."""
    fields = {
        "acceptance": terms_acceptances(),
        "token": st.none() | st.from_regex(r"[A-Za-z0-9_-]{43}", fullmatch=True),
        "expires_at": st.none() | instants(),
    }
    return build(models.TermsReceipt, fields, overrides)


def postal_addresses(**overrides: Any) -> st.SearchStrategy[models.PostalAddress]:
    """Strategy for :class:`PostalAddress` (lines and city up to their length limits)."""
    fields = {
        "lines": st.lists(_up_to(MAX_ADDRESS_LINE_LENGTH, 40), min_size=1, max_size=4).map(tuple),
        "city": _up_to(MAX_CITY_LENGTH),
        "country": st.sampled_from(("US", "GB", "DE", "IL", "TH", "TR", "JP", "BR")),
        "region": st.none() | names(20),
        "postal_code": st.none() | st.from_regex(r"[0-9A-Z]{3,8}", fullmatch=True),
    }
    return build(models.PostalAddress, fields, overrides)


def contact_details(**overrides: Any) -> st.SearchStrategy[models.ContactDetails]:
    """Strategy for :class:`ContactDetails`: names as :func:`names` draws them, or exactly
    as long as each field accepts (``MAX_NAME_LENGTH``, ``MAX_COMPANY_LENGTH``)."""
    fields = {
        "email": emails(),
        "given_name": _up_to(MAX_NAME_LENGTH),
        "family_name": _up_to(MAX_NAME_LENGTH),
        "company_name": _up_to(MAX_COMPANY_LENGTH, 40),
        "partner_company": _up_to(MAX_COMPANY_LENGTH, 40),
        "preferred_language": st.sampled_from(LANGUAGES),
        "phone": st.none() | st.from_regex(r"\+[1-9][0-9]{6,12}", fullmatch=True),
        "postal_address": st.none() | postal_addresses(),
    }
    return build(models.ContactDetails, fields, overrides)


def notification_preferences(**overrides: Any) -> st.SearchStrategy[models.NotificationPreferences]:
    """Strategy for :class:`NotificationPreferences`."""
    fields = {"enabled": st.frozensets(st.sampled_from(models.NotificationCategory))}
    return build(models.NotificationPreferences, fields, overrides)


def notification_settings(**overrides: Any) -> st.SearchStrategy[models.NotificationSetting]:
    """Strategy for :class:`NotificationSetting`."""
    fields = {
        "category": st.sampled_from(models.NotificationCategory),
        "chosen": st.booleans(),
        "effective": st.booleans(),
        "mandatory": st.booleans(),
        "reason": st.sampled_from(
            ("mandatory", "chosen", "not_chosen", "consent_withheld", "account_closed")
        ),
    }
    return build(models.NotificationSetting, fields, overrides)


def candidates(**overrides: Any) -> st.SearchStrategy[models.Candidate]:
    """Strategy for :class:`Candidate`."""
    fields = {
        "candidate_id": candidate_ids(),
        "status": st.sampled_from(models.AccountStatus),
        "contact": contact_details(),
        "registered_at": instants(),
        "status_changed_at": instants(),
        "contact_reviewed_at": instants(),
        "terms": st.none() | terms_acceptances(),
        "preferences": notification_preferences(),
        "pending_email": st.none() | emails(),
        "score_reports": _registration_numbers(),
        "incidents": _incident_ids(),
        "status_reason": st.none() | names(40),
        "erased_at": st.none(),
        "version": st.just(0),
        "credential_digest": st.none() | _digests(),
    }
    return build(models.Candidate, fields, overrides)


def account_erasures(**overrides: Any) -> st.SearchStrategy[models.AccountErasure]:
    """Strategy for :class:`AccountErasure`."""
    fields = {
        "candidate_id": candidate_ids(),
        "erased_at": instants(),
        "reason": names(40),
        "history_entries_erased": st.integers(0, 100),
        "history_length": st.integers(1, 200),
        "history_head": _digests(),
        "score_reports": _registration_numbers(),
        "incidents": _incident_ids(),
        "already_erased": st.booleans(),
    }
    return build(models.AccountErasure, fields, overrides)


def registration_receipts(**overrides: Any) -> st.SearchStrategy[models.RegistrationReceipt]:
    """Strategy for :class:`RegistrationReceipt`."""
    fields = {
        "email": emails(),
        "requested_at": instants(),
        "reference": st.from_regex(r"[0-9A-F]{16}", fullmatch=True),
        "next_step": st.just("check_email"),
    }
    return build(models.RegistrationReceipt, fields, overrides)


def score_reports(**overrides: Any) -> st.SearchStrategy[models.ScoreReport]:
    """Strategy for :class:`ScoreReport` (unclaimed unless ``claimed_by`` is overridden)."""
    fields = {
        "registration_number": st.from_regex(r"[A-Z0-9]{4,12}", fullmatch=True),
        "exam_code": st.from_regex(r"[0-9]{3}-[0-9]{3}", fullmatch=True),
        "candidate_name": _up_to(MAX_REPORT_NAME_LENGTH, 40),
        "email": emails(),
        "score": st.integers(0, 100),
        "passing_score": st.integers(0, 100),
        "exam_date": st.dates(date(2000, 1, 1), date(2039, 12, 31)),
        "test_centre": _up_to(MAX_TEST_CENTRE_LENGTH, 40),
        "recorded_at": instants(),
        "claimed_by": st.none(),
        "claimed_at": st.none(),
        "version": st.just(0),
    }
    return build(models.ScoreReport, fields, overrides)


def incident_messages(**overrides: Any) -> st.SearchStrategy[models.IncidentMessage]:
    """Strategy for :class:`IncidentMessage`."""
    fields = {
        "author": st.sampled_from(models.MessageAuthor),
        "body": _paragraphs(),
        "at": instants(),
    }
    return build(models.IncidentMessage, fields, overrides)


def incidents(**overrides: Any) -> st.SearchStrategy[models.Incident]:
    """Strategy for :class:`Incident`."""
    fields = {
        "incident_id": st.from_regex(r"INC-[0-9A-F]{12}", fullmatch=True),
        "candidate_id": candidate_ids(),
        "title": _up_to(MAX_INCIDENT_TITLE_LENGTH, 60),
        "category": st.sampled_from(models.IncidentCategory),
        "status": st.sampled_from(models.IncidentStatus),
        "opened_at": instants(),
        "updated_at": instants(),
        "resolved_at": st.none() | instants(),
        "messages": st.lists(incident_messages(), max_size=3).map(tuple),
        "details": st.dictionaries(
            st.from_regex(r"[a-z_]{1,12}", fullmatch=True), names(20), max_size=2
        ).map(lambda d: tuple(d.items())),
        "version": st.just(0),
    }
    return build(models.Incident, fields, overrides)


def account_settings(**overrides: Any) -> st.SearchStrategy[AccountsSettings]:
    """Strategy for :class:`~symprogram.accounts.AccountsSettings`."""

    def deltas() -> st.SearchStrategy[timedelta]:
        return st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=400))

    fields = {
        "activation_ttl": deltas(),
        "resend_limit": st.integers(1, 10),
        "resend_window": deltas(),
        "reset_ttl": deltas(),
        "reset_limit": st.integers(1, 10),
        "email_verification_ttl": deltas(),
        "terms_receipt_ttl": deltas(),
        "contact_review_period": deltas(),
        "incident_reopen_window": deltas(),
        "password_min_length": st.integers(8, 20),
        "claim_failure_limit": st.integers(1, 20),
        "claim_failure_window": deltas(),
    }
    return build(AccountsSettings, fields, overrides)


def password_hashes() -> st.SearchStrategy[str]:
    """Password hashes in PHC format, as the shipped hashers write them (scrypt, Argon2id)."""
    b64 = "[A-Za-z0-9+/]"
    return st.from_regex(
        rf"\$scrypt\$ln=17,r=8,p=1\${b64}{{22}}\${b64}{{43}}"
        rf"|\$argon2id\$v=19\$m=19456,t=2,p=1\${b64}{{22}}\${b64}{{43}}",
        fullmatch=True,
    )


def bulk_candidates(**overrides: Any) -> st.SearchStrategy[models.BulkCandidate]:
    """Strategy for :class:`BulkCandidate`: contact details, a migrated hash or none."""
    fields = {
        "contact": contact_details(),
        "password_hash": st.none() | password_hashes(),
    }
    return build(models.BulkCandidate, fields, overrides)


def bulk_registration_reports(**overrides: Any) -> st.SearchStrategy[models.BulkRegistrationReport]:
    """Strategy for :class:`BulkRegistrationReport`."""
    fields = {
        "created": st.integers(0, 10_000),
        "skipped": st.integers(0, 10_000),
        "batches": st.integers(0, 100),
    }
    return build(models.BulkRegistrationReport, fields, overrides)


def credentials(**overrides: Any) -> st.SearchStrategy[Credential]:
    """Strategy for :class:`~symprogram.accounts.storage.Credential`: a candidate's
    stored password hash (as the shipped hashers write it)."""
    fields = {
        "candidate_id": candidate_ids(),
        "password_hash": password_hashes(),
        "changed_at": instants(),
        "version": st.just(0),
    }
    return build(Credential, fields, overrides)


def request_records(**overrides: Any) -> st.SearchStrategy[RequestRecord]:
    """Strategy for :class:`~symprogram.accounts.storage.RequestRecord`: the recent
    requests of one rate limit, keyed ``<purpose>:<SHA-256>``, oldest first."""
    purposes = st.sampled_from((*REQUEST_LOGS, CLIENT_LOGIN_LOG))
    fields = {
        "key": st.tuples(purposes, _digests()).map(":".join),
        "instants": st.lists(instants(), max_size=5).map(lambda xs: tuple(sorted(xs))),
        "version": st.just(0),
    }
    return build(RequestRecord, fields, overrides)


@st.composite
def _claims(draw: st.DrawFn) -> ClaimOutcome:
    """What :func:`~symprogram.accounts.rules.decide_claim` decides for an active
    claimant proving a report by its e-mail: claimed, or (claimed by another account
    before) refused with an incident."""
    candidate = draw(candidates(status=models.AccountStatus.ACTIVE))
    report = draw(score_reports(email=candidate.contact.email))
    at = draw(instants())
    other = draw(st.none() | candidate_ids().filter(lambda c: c != candidate.candidate_id))
    if other is not None:
        report = claim_report(report, other, at)
    return decide_claim(
        candidate,
        report,
        terms=Decision.allow(),
        email=candidate.contact.email,
        name=None,
        at=at,
        incident_id=draw(st.from_regex(r"INC-[0-9A-F]{12}", fullmatch=True)),
    )


def claim_outcomes(**overrides: Any) -> st.SearchStrategy[ClaimOutcome]:
    """Strategy for :class:`~symprogram.accounts.rules.ClaimOutcome`, as
    :func:`~symprogram.accounts.rules.decide_claim` returns them (a claim, or a
    refusal that opened an incident); overrides replace fields of the decision."""
    return derived(ClaimOutcome, _claims(), overrides)


MODELS: dict[type, Any] = {
    models.AccountErasure: account_erasures,
    AccountsSettings: account_settings,
    models.BulkCandidate: bulk_candidates,
    models.BulkRegistrationReport: bulk_registration_reports,
    models.Candidate: candidates,
    ClaimOutcome: claim_outcomes,
    Credential: credentials,
    RequestRecord: request_records,
    models.ContactDetails: contact_details,
    models.Incident: incidents,
    models.IncidentMessage: incident_messages,
    models.NotificationPreferences: notification_preferences,
    models.NotificationSetting: notification_settings,
    models.PostalAddress: postal_addresses,
    models.RegistrationReceipt: registration_receipts,
    models.ScoreReport: score_reports,
    models.TermsAcceptance: terms_acceptances,
    models.TermsReceipt: terms_receipts,
    models.TermsVersion: terms_versions,
    models.TermsCatalogue: terms_catalogues,
}


def register() -> None:
    """Register a strategy for every accounts model with ``st.register_type_strategy``."""
    for model, factory in MODELS.items():
        st.register_type_strategy(model, factory())
