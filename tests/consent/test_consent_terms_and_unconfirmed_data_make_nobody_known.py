"""Express consent to service terms, and what a registration gathered before its address
was confirmed, never make a subject known (so never marketable).

Before the fix, ``Program.consent_to_remote_access`` (a grant of the ``remote_access``
purpose, of kind ``terms``) turned ``partner_sharing``, ``special_offers`` and
``newsletters`` from ``unknown_subject`` into ``not_opted_out`` and listed the support
customer in their audiences; and a registration pending activation (anyone can
register someone else's address) was known at once. Now a grant of a purpose of kind
``terms`` and ``record_gathered(..., makes_known=False)`` are recorded with
``makes_known`` false: ``may_use``, ``iter_audience`` and a replay of the ledger agree
that the subject is not known, at every instant, until something that makes them
known is recorded (the activation's record). Every service test runs on memory and
SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import Channel, ConsentService, PurposeKind, Recipient, rules
from symprogram.errors import ValidationError
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)
ITEMS = ("company", "email", "language", "name", "partner_company")
#: Every contact channel asked about, and none.
CONTACTS = (None, "email", "postal_mail", "phone")


def _marketing(consent: ConsentService) -> list[str]:
    """The purposes that are neither cookies, terms nor necessary (what a known subject
    may be marketed under)."""
    return [
        p.id
        for p in consent.get_policy().purposes
        if p.kind not in (PurposeKind.COOKIES, PurposeKind.TERMS) and p.basis.value != "necessary"
    ]


def _assert_not_known(consent: ConsentService, subject: str, at: datetime | None = None) -> None:
    for purpose in _marketing(consent):
        for contact in CONTACTS:
            decision = consent.may_use(subject, purpose, contact, at=at)
            assert ("unknown_subject",) == decision.codes, (purpose, contact)
            assert subject not in set(consent.iter_audience(purpose, contact, at=at))


def test_consent_to_service_terms_makes_nobody_known(consent: ConsentService) -> None:
    """A grant of the remote access terms allows remote access (the subject's own grant)
    and nothing else; the ledger entry says it makes nobody known."""
    record = consent.grant("C-1", "remote_access", channel="web_form", evidence="terms:2.0")
    assert ("granted",) == consent.may_use("C-1", "remote_access").codes
    assert "terms:2.0" == consent.granted_evidence("C-1", "remote_access")
    _assert_not_known(consent, "C-1")
    (entry,) = consent.history("C-1")
    assert entry.data is not None and entry.data["makes_known"] is False
    assert consent.verify("C-1").ok
    assert record.position == entry.position


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    purpose=st.sampled_from(["remote_access"]),
    via=st.sampled_from([c for c in Channel if c is not Channel.ACCOUNT_CLOSURE]),
    repeats=st.integers(1, 3),
    later=st.sampled_from(["newsletters", "special_offers", "channel.email", None]),
)
def test_a_terms_grant_never_makes_known_whatever_else_is_not_recorded(
    purpose: str, via: Channel, repeats: int, later: str | None
) -> None:
    """However often the terms are granted (withdrawn and granted again), through any
    channel, the subject stays not known; only a grant of a marketing purpose or a
    channel (their own choice) makes them known, from its instant on."""
    clock = FixedClock(T0)
    consent = ConsentService(MemoryStore(), clock)
    terms = {p.id for p in consent.get_policy().purposes if p.kind is PurposeKind.TERMS}
    assert purpose in terms
    for _ in range(repeats):
        consent.grant("C-9", purpose, channel=via)
        clock.advance(HOUR)
        consent.withdraw("C-9", purpose, channel=via)
        clock.advance(HOUR)
    consent.grant("C-9", purpose, channel=via)
    clock.advance(HOUR)
    _assert_not_known(consent, "C-9")
    if later is not None:
        before = clock.now()
        clock.advance(HOUR)
        consent.grant("C-9", later, channel="web_form")
        assert consent.may_use("C-9", "virus_alerts").allowed
        assert "C-9" in set(consent.iter_audience("virus_alerts", "email"))
        _assert_not_known(consent, "C-9", at=before)  # an as-of read before the grant
    entries = [(e.kind, e.data, e.at, e.position) for e in consent.history("C-9")]
    replayed = rules.replay("C-9", entries)
    assert replayed is not None and replayed.known is (later is not None)


def test_unconfirmed_gathering_makes_nobody_known_until_confirmed(
    consent: ConsentService, clock: FixedClock
) -> None:
    """``record_gathered(..., makes_known=False)`` records the items (the file names
    them) but the subject is not known; a later record that makes them known (an
    activation's) does, from its instant: an as-of read before it still says not known."""
    consent.record_gathered("SP-1", "other_activities", ITEMS, makes_known=False)
    collections = consent.personal_data("SP-1").collections
    assert set(ITEMS) <= {item for collection in collections for item in collection.items}
    clock.advance(timedelta(days=30))
    _assert_not_known(consent, "SP-1")
    pending = clock.now()
    clock.advance(HOUR)
    consent.record_gathered("SP-1", "other_activities", ("email",))
    assert ("not_opted_out",) == consent.may_use("SP-1", "newsletters", "email").codes
    assert "SP-1" in set(consent.iter_audience("newsletters", "email"))
    _assert_not_known(consent, "SP-1", at=pending)
    first, second = consent.history("SP-1")
    assert first.data is not None and first.data["makes_known"] is False
    assert second.data is not None and "makes_known" not in second.data
    assert consent.verify("SP-1").ok


def test_unconfirmed_gathering_in_a_batch_makes_nobody_known(
    consent: ConsentService,
) -> None:
    """``record_gathered_many(..., makes_known=False)``: the same for every subject."""
    consent.record_gathered_many(
        [("SP-1", "other_activities", ITEMS), ("SP-2", "other_activities", ITEMS)],
        makes_known=False,
    )
    for subject in ("SP-1", "SP-2"):
        _assert_not_known(consent, subject)


@pytest.mark.parametrize("value", ["false", 0, None])
def test_makes_known_must_be_a_bool(consent: ConsentService, value: object) -> None:
    """A value that is not a bool is refused (``invalid_type``), nothing recorded."""
    with pytest.raises(ValidationError) as raised:
        consent.record_gathered("SP-1", "other_activities", ITEMS, makes_known=value)  # type: ignore[arg-type]
    assert "invalid_type" == raised.value.code
    with pytest.raises(ValidationError):
        consent.record_gathered_many([("SP-1", "other_activities", ITEMS)], makes_known=value)  # type: ignore[arg-type]
    assert () == consent.history("SP-1")


def test_the_rule_reads_the_flag_and_old_entries_as_they_were() -> None:
    """:func:`rules.makes_known`: an entry with ``makes_known`` false never makes known;
    one without the field (every entry written before it existed) as before."""
    grant = {"topic": "remote_access", "choice": "granted"}
    assert rules.makes_known("consent_recorded", grant)
    assert not rules.makes_known("consent_recorded", {**grant, "makes_known": False})
    assert rules.makes_known("data_collected", {"activity": "other_activities"})
    assert not rules.makes_known("data_collected", {"makes_known": False})


def test_a_terms_grant_waits_for_the_notice_of_a_material_change(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A subject who is not known but granted the terms themselves is answered as a
    known one is after a material change of the purpose (a new recipient):
    ``not_yet_notified_of_material_change`` until notified, and ``may_use`` and the
    audience (read from the audience index) agree before and after the notice."""
    consent.grant("C-1", "remote_access", channel="web_form")
    latest = consent.get_policy()
    partner = Recipient("rx", "Partners", ("remote_access",))
    changed = attrs.evolve(
        latest,
        version="2011-02",
        effective_at=T0 + timedelta(days=1),
        recipients=(*latest.recipients, partner),
    )
    consent.publish_policy(changed)
    clock.advance(timedelta(days=2))
    decision = consent.may_use("C-1", "remote_access")
    assert ("not_yet_notified_of_material_change",) == decision.codes
    assert "C-1" not in set(consent.iter_audience("remote_access"))
    consent.record_notice("C-1", "2011-02")
    assert ("granted",) == consent.may_use("C-1", "remote_access").codes
    assert ["C-1"] == list(consent.iter_audience("remote_access"))
    _assert_not_known(consent, "C-1")
