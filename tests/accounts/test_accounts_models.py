"""The accounts models: validation, limits, serialization and strategies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest
from accounts_helpers import make_store
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from symprogram.accounts import (
    AccountsSettings,
    Candidate,
    ContactDetails,
    Incident,
    IncidentMessage,
    NotificationPreferences,
    NotificationSetting,
    PostalAddress,
    RegistrationReceipt,
    ScoreReport,
    TermsAcceptance,
    TermsCatalogue,
    TermsReceipt,
    TermsVersion,
    models,
    normalize_email,
)
from symprogram.accounts.models import MAX_INCIDENT_MESSAGES
from symprogram.accounts.storage import AccountsStorage
from symprogram.clock import LONGEST_SPAN
from symprogram.errors import LimitExceeded, SymprogramError, ValidationError
from symprogram.serialization import dumps, loads
from symprogram.testing import _accounts as sa

MODELS = [
    AccountsSettings,
    Candidate,
    ContactDetails,
    Incident,
    IncidentMessage,
    NotificationPreferences,
    NotificationSetting,
    PostalAddress,
    RegistrationReceipt,
    ScoreReport,
    TermsAcceptance,
    TermsCatalogue,
    TermsReceipt,
    TermsVersion,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_from_type_works_after_register(model: type) -> None:
    """``st.from_type`` builds every accounts model once the strategies are registered."""
    sa.register()

    @settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
    @given(st.from_type(model))
    def check(value: Any) -> None:
        assert isinstance(value, model)

    check()


def test_strategy_refuses_unknown_override() -> None:
    """A strategy given a field the model lacks raises ValidationError unknown_field."""
    for factory in (sa.candidates, sa.terms_versions, sa.score_reports):
        with pytest.raises(ValidationError) as info:
            factory(bogus=1)
        assert "unknown_field" == info.value.code


@settings(max_examples=25, deadline=None)
@given(sa.terms_catalogues(max_size=3))
def test_drawn_terms_catalogues_are_accepted_by_the_service(catalogue: TermsCatalogue) -> None:
    """A drawn terms catalogue is loaded by the accounts service, which takes acceptances
    of the version in effect after the newest one took effect."""
    from symprogram import FixedClock, Program

    newest = catalogue.versions[-1]
    assert len({v.version for v in catalogue}) == len(catalogue)
    clock = FixedClock(newest.effective)
    options = {"accounts": {"catalogue": catalogue}}
    with Program.in_memory(clock=clock, options=options) as program:
        path = sorted(newest.acceptance_paths)[0]
        receipt = program.accounts.accept_terms(path=path)
        assert newest.version == receipt.acceptance.terms_version
        assert newest.digest == receipt.acceptance.terms_digest


def test_passwords_avoiding_checks_its_argument() -> None:
    """passwords(avoiding=...) takes contact details, refused otherwise at once."""
    with pytest.raises(ValidationError) as info:
        sa.passwords(avoiding="ada@example.com")  # type: ignore[arg-type]
    assert "invalid_argument" == info.value.code


@pytest.mark.parametrize("sizes", [(0, 1), (3, 2), (True, 2), (1, "3")])
def test_terms_catalogues_checks_its_sizes(sizes: tuple[Any, Any]) -> None:
    """terms_catalogues() refuses bad sizes at once (ValidationError invalid_argument)."""
    with pytest.raises(ValidationError) as info:
        sa.terms_catalogues(min_size=sizes[0], max_size=sizes[1])
    assert "invalid_argument" == info.value.code


_AT_THE_LIMIT = [
    ("contact_details", lambda c: len(c.given_name) == models.MAX_NAME_LENGTH),
    ("contact_details", lambda c: len(c.family_name) == models.MAX_NAME_LENGTH),
    ("contact_details", lambda c: len(c.company_name) == models.MAX_COMPANY_LENGTH),
    ("postal_addresses", lambda a: len(a.city) == models.MAX_CITY_LENGTH),
    ("postal_addresses", lambda a: len(a.lines[0]) == models.MAX_ADDRESS_LINE_LENGTH),
    ("score_reports", lambda r: len(r.candidate_name) == models.MAX_REPORT_NAME_LENGTH),
    ("incidents", lambda i: len(i.title) == models.MAX_INCIDENT_TITLE_LENGTH),
]


@pytest.mark.parametrize(("strategy", "at_limit"), _AT_THE_LIMIT)
def test_text_fields_are_drawn_at_their_length_limits(strategy: str, at_limit: Any) -> None:
    """The strategies reach the boundary the models accept, not only short texts."""
    hits: list[bool] = []

    @settings(max_examples=200, database=None, deadline=None, phases=[Phase.generate])
    @given(getattr(sa, strategy)())
    def draw(value: Any) -> None:
        hits.append(at_limit(value))

    draw()
    assert any(hits)


_WITH_PASSWORDS = sa.contact_details().flatmap(
    lambda c: st.tuples(st.just(c), sa.passwords(avoiding=c))
)


@settings(max_examples=40, deadline=None)
@given(_WITH_PASSWORDS)
def test_drawn_contact_details_are_registered(drawn: tuple[ContactDetails, str]) -> None:
    """Every drawn contact (names at their limits included), with a password drawn to avoid
    its personal information, is accepted by register() and stored as drawn."""
    contact, password = drawn
    from symprogram import FixedClock, Program
    from symprogram.accounts import ScryptHasher

    clock = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    options = {"accounts": {"hasher": ScryptHasher(n=2**4)}}
    with Program.in_memory(clock=clock, options=options) as program:
        receipt = program.accounts.accept_terms(path="create_account")
        program.accounts.register(
            terms_receipt=receipt.token,
            password=password,
            **{f.name: getattr(contact, f.name) for f in attrs.fields(ContactDetails)},
        )
        (message,) = program.notifier.messages  # type: ignore[attr-defined]
        stored = program.accounts.get_candidate(message.data["candidate_id"])
        assert contact == stored.contact


@settings(max_examples=40)
@given(sa.candidates())
def test_candidate_json_round_trip(candidate: Candidate) -> None:
    """Every candidate survives the JSON converter unchanged."""
    assert candidate == loads(dumps(candidate), Candidate)


@settings(max_examples=30)
@given(sa.incidents())
def test_incident_json_round_trip(incident: Incident) -> None:
    """Every incident survives the JSON converter unchanged."""
    assert incident == loads(dumps(incident), Incident)


@settings(max_examples=20)
@given(sa.terms_versions(), sa.score_reports(), sa.terms_acceptances())
def test_other_models_json_round_trip(
    version: TermsVersion, report: ScoreReport, acceptance: TermsAcceptance
) -> None:
    """Terms versions, score reports and acceptances survive the JSON converter."""
    assert version == loads(dumps(version), TermsVersion)
    assert report == loads(dumps(report), ScoreReport)
    assert acceptance == loads(dumps(acceptance), TermsAcceptance)


@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
def test_hostile_candidates_round_trip_in_storage(adapter: str, tmp_path: Any) -> None:
    """Candidates with any allowed Unicode are read back exactly as stored, on each adapter."""
    store = make_store(adapter, tmp_path)

    @settings(max_examples=25, deadline=None)
    @given(sa.candidates())
    def check(candidate: Candidate) -> None:
        with store.transaction() as tx:
            repo = AccountsStorage(tx).candidates
            taken = repo.find_by_email(candidate.contact.email)
            if repo.find(candidate.candidate_id) is not None or taken is not None:
                return
            saved = repo.add(candidate)
        with store.transaction(readonly=True) as tx:
            assert saved == AccountsStorage(tx).candidates.get(candidate.candidate_id)

    check()
    store.close()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("plainaddress", "invalid_email"),
        ("a@b", "invalid_email"),
        (42, "invalid_type"),
        ("\ud800@example.com", "invalid_unicode"),
    ],
)
def test_normalize_email_refuses_non_addresses(value: object, code: str) -> None:
    """Non-addresses raise ValidationError with a stable code and field email."""
    with pytest.raises(ValidationError) as info:
        normalize_email(value)
    assert (code, "email") == (info.value.code, info.value.field)


def test_normalize_email_keeps_local_part_and_lowers_domain() -> None:
    """The domain is lower-cased and surrounding space stripped."""
    assert "Ada@example.com" == normalize_email("  Ada@EXAMPLE.COM ")


def base_contact(**overrides: Any) -> ContactDetails:
    """A valid ContactDetails with overrides."""
    values: dict[str, Any] = {
        "email": "ada@example.com",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "company_name": "AE",
        "partner_company": "B&C",
        "preferred_language": "iw",
    }
    values.update(overrides)
    return ContactDetails(**values)


def test_language_is_canonicalized() -> None:
    """Legacy language codes are stored in their canonical form."""
    assert "he" == base_contact().preferred_language


@pytest.mark.parametrize(
    ("field", "value", "error", "code"),
    [
        ("given_name", "A\u2028B", ValidationError, "control_characters"),
        ("given_name", "A\tB", ValidationError, "control_characters"),
        ("given_name", "\udfff", ValidationError, "invalid_unicode"),
        ("given_name", None, ValidationError, "invalid_type"),
        ("partner_company", "p" * 201, LimitExceeded, "text_too_long"),
        ("preferred_language", "", ValidationError, "field_required"),
        ("preferred_language", "en-Latn-US-x-" + "a" * 40, LimitExceeded, "text_too_long"),
        ("preferred_language", "qq", ValidationError, "unknown_language"),
        ("postal_address", "12 Main St", ValidationError, "invalid_type"),
    ],
)
def test_contact_field_errors(
    field: str, value: object, error: type[SymprogramError], code: str
) -> None:
    """Each bad contact field raises its error class and code."""
    with pytest.raises(error) as info:
        base_contact(**{field: value})
    assert code == info.value.code


def test_postal_address_limits() -> None:
    """Addresses need 1-4 lines and a known country."""
    with pytest.raises(LimitExceeded) as info:
        PostalAddress(lines=["a"] * 5, city="c", country="US")
    assert "too_many_address_lines" == info.value.code
    with pytest.raises(ValidationError) as info2:
        PostalAddress(lines=["  "], city="c", country="US")
    assert "field_required" == info2.value.code
    with pytest.raises(ValidationError) as info3:
        PostalAddress(lines=["a"], city="c", country="ZZ")
    assert "unknown_country" == info3.value.code


def test_score_report_validation() -> None:
    """Scores are bounded integers, dates are dates, numbers are ASCII."""
    good: dict[str, Any] = {
        "registration_number": "abc-1",
        "exam_code": "250-251",
        "candidate_name": "Ada",
        "email": "ada@example.com",
        "score": 80,
        "passing_score": 70,
        "exam_date": date(2011, 1, 1),
        "test_centre": "MV",
        "recorded_at": datetime(2011, 1, 2, tzinfo=UTC),
    }
    report = ScoreReport(**good)
    assert ("ABC-1", True) == (report.registration_number, report.passed)
    for field, value, code in (
        ("score", -1, "invalid_score"),
        ("score", True, "invalid_score"),
        ("exam_date", datetime(2011, 1, 1, tzinfo=UTC), "invalid_date"),
        ("registration_number", "ñ1", "invalid_registration_number"),
        ("recorded_at", datetime(2011, 1, 2), "naive_datetime"),
    ):
        with pytest.raises(ValidationError) as info:
            ScoreReport(**{**good, field: value})
        assert code == info.value.code


def test_incident_message_limit() -> None:
    """An incident holds at most MAX_INCIDENT_MESSAGES messages."""
    at = datetime(2011, 1, 1, tzinfo=UTC)
    message = IncidentMessage("candidate", "hi", at)
    with pytest.raises(LimitExceeded) as info:
        Incident(
            "INC-1",
            "SP-0000-0000-0001-2",
            "t",
            "general",
            "open",
            at,
            at,
            messages=(message,) * (MAX_INCIDENT_MESSAGES + 1),
        )
    assert "too_many_messages" == info.value.code


@given(
    field=st.sampled_from(
        [f.name for f in attrs.fields(AccountsSettings) if isinstance(f.default, timedelta)]
    ),
    days=st.integers(min_value=-10, max_value=timedelta.max.days),
)
def test_a_window_or_lifetime_setting_is_positive_and_at_most_a_hundred_years(
    field: str, days: int
) -> None:
    """A window or lifetime counted back or forward from now must stay within the
    calendar (the clock reads 1900 to 8999): at most ``LONGEST_SPAN``, else
    ``invalid_setting`` when the settings are built (not an ``OverflowError`` later,
    after a call's work was saved)."""
    value = timedelta(days=days)
    if timedelta(0) < value <= LONGEST_SPAN:
        assert value == getattr(AccountsSettings(**{field: value}), field)
    else:
        with pytest.raises(ValidationError) as info:
            AccountsSettings(**{field: value})
        assert "invalid_setting" == info.value.code


def test_settings_are_validated() -> None:
    """Non-positive durations and limits are refused with invalid_setting."""
    from datetime import timedelta

    for kwargs in ({"resend_limit": 0}, {"reset_ttl": timedelta(0)}, {"password_min_length": True}):
        with pytest.raises(ValidationError) as info:
            AccountsSettings(**kwargs)
        assert "invalid_setting" == info.value.code
