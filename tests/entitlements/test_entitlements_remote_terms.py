"""Remote access as of any instant, with versioned Remote Access Standard Terms.

The Enterprise Support page: "Before implementing such remote access we will
require your express consent to the service terms." The terms are versioned in
the catalogue with effective instants; only consent to the version in force at an
instant counts, so publishing a new version makes consents to older ones stop
counting from its effective instant, and the history of versions is kept (issue 16).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import ProgramFactory, add_agreement
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent import Transfer
from symprogram.entitlements import (
    EntitlementCatalogue,
    EntitlementsService,
    InMemoryRemoteAccessConsent,
    RemoteAccessTerms,
    RemoteAccessVersion,
)
from symprogram.entitlements.rules import remote_session_decision, remote_terms_in_force
from symprogram.errors import CatalogueError, NotFound, PermissionDenied, ValidationError
from symprogram.storage.memory import MemoryStore
from symprogram.testing.strategies import instants

from entitlements_helpers import to_toml  # isort: skip

START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
NEW_FROM = datetime(2012, 6, 1, tzinfo=UTC)
DEFAULT = EntitlementCatalogue.default()


def _published() -> EntitlementCatalogue:
    """The default catalogue with version 2012-06 published, in force from 2012-06-01."""
    assert DEFAULT.remote_access is not None
    return attrs.evolve(DEFAULT, remote_access=DEFAULT.remote_access.publish("2012-06", NEW_FROM))


@pytest.fixture(params=["memory", "sqlite"])
def program(request: pytest.FixtureRequest, make_program: ProgramFactory) -> Program:
    """A program on memory or SQLite with version 2012-06 published and case K-1 open."""
    made = make_program(request.param, options={"entitlements": {"catalogue": _published()}})
    add_agreement(made.entitlements)
    made.entitlements.open_case(
        "C-1", case_id="K-1", product="NetBackup", severity="high", summary="down", by="c"
    )
    return made


def test_a_consent_stops_counting_when_a_newer_version_comes_into_force(
    program: Program,
) -> None:
    """Consent to 2011-01 allows sessions until 2012-06-01, not from then on; a consent
    to 2012-06 allows them from then; the answer can be asked as of any instant."""
    ents = program.entitlements
    refused = ents.may_start_remote_session("C-1")
    assert (False, ("remote_access_consent_required",), "2011-01") == (
        refused.allowed,
        refused.codes,
        refused.detail("terms_version"),
    )
    assert refused.hint
    program.consent_to_remote_access("C-1")
    now = ents.may_start_remote_session("C-1")
    assert (True, ("remote_access_consented",)) == (now.allowed, now.codes)
    assert ("2011-01", "2012-06", NEW_FROM) == (
        now.detail("terms_version"),
        now.detail("next_version"),
        now.detail("next_effective_from"),
    )
    last = ents.may_start_remote_session("C-1", at=NEW_FROM - timedelta(microseconds=1))
    assert last.allowed
    first = ents.may_start_remote_session("C-1", at=NEW_FROM)
    assert (False, "remote_access_consent_required", "2012-06") == (
        first.allowed,
        first.codes[0],
        first.detail("terms_version"),
    )
    assert NEW_FROM == first.reasons[0].fact("effective_from")
    assert isinstance(program.clock, FixedClock)
    program.clock.set(NEW_FROM)  # a consent is recorded when it is given, never ahead
    program.consent_to_remote_access("C-1")
    assert ents.may_start_remote_session("C-1", at=NEW_FROM).allowed
    assert ents.may_start_remote_session("C-1", at=datetime(2013, 1, 1, tzinfo=UTC)).allowed
    assert ents.may_start_remote_session("C-1", at=START).allowed  # 2011-01 still then
    assert "terms:2012-06" == program.consent.granted_evidence("C-1", "remote_access", NEW_FROM)


def test_start_remote_session_uses_the_decision_at_the_clocks_instant(program: Program) -> None:
    """The session records the version in force; after the new version takes effect the
    old consent no longer starts a session, a new consent does."""
    ents = program.entitlements
    program.consent_to_remote_access("C-1")
    session = ents.start_remote_session("K-1", by="eng")
    assert "2011-01" == session.terms_version
    ents.end_remote_session("K-1", session.session_id, by="eng")
    assert isinstance(program.clock, FixedClock)
    program.clock.set(NEW_FROM + timedelta(days=1))
    with pytest.raises(PermissionDenied) as refused:
        ents.start_remote_session("K-1", by="eng")
    assert ("remote_access_consent_required", "2012-06") == (
        refused.value.code,
        refused.value.details["terms_version"],
    )
    program.consent_to_remote_access("C-1", channel="phone")
    assert "2012-06" == ents.start_remote_session("K-1", by="eng").terms_version


def test_a_privacy_policy_change_leaves_the_consent_to_the_terms_standing(
    program: Program,
) -> None:
    """A privacy-policy version that only adds a data transfer does not change the
    Remote Access Standard Terms: the express consent to 2011-01 still starts sessions."""
    ents = program.entitlements
    program.consent_to_remote_access("C-1")
    policy = program.consent.get_policy()
    program.consent.publish_policy(
        attrs.evolve(
            policy,
            version="2012-05",
            effective_at=START + timedelta(days=1),
            transfers=(*policy.transfers, Transfer("asia", ("EU", "IN"))),
        )
    )
    assert isinstance(program.clock, FixedClock)
    program.clock.set(START + timedelta(days=2))
    decision = ents.may_start_remote_session("C-1")
    assert (True, ("remote_access_consented",), "2011-01") == (
        decision.allowed,
        decision.codes,
        decision.detail("terms_version"),
    )
    assert "2011-01" == ents.start_remote_session("K-1", by="eng").terms_version


def test_the_history_of_versions_is_kept(program: Program) -> None:
    """Every published version stays listed, oldest first, with its effective instant."""
    terms = program.entitlements.catalogue.remote_access
    assert terms is not None
    assert (RemoteAccessVersion("2011-01", None), RemoteAccessVersion("2012-06", NEW_FROM)) == (
        terms.versions
    )
    assert "2011-01" == terms.version_at(START).version  # type: ignore[union-attr]
    assert terms.versions[-1] == terms.version_at(NEW_FROM)


def test_without_terms_in_force_nothing_is_consented_or_started(
    make_program: ProgramFactory,
) -> None:
    """A catalogue whose first version comes later: refused until then; a catalogue
    without terms: not offered."""
    later = attrs.evolve(
        DEFAULT,
        remote_access=RemoteAccessTerms("remote_access_standard_terms", "2013-01", NEW_FROM),
    )
    program = make_program("sqlite", options={"entitlements": {"catalogue": later}})
    decision = program.entitlements.may_start_remote_session("C-1")
    assert ("remote_access_terms_not_in_force",) == decision.codes
    assert NEW_FROM == decision.reasons[0].fact("effective_from")
    with pytest.raises(NotFound) as missing:
        program.consent_to_remote_access("C-1")
    assert "remote_access_terms_not_in_force" == missing.value.code
    assert isinstance(program.clock, FixedClock)
    program.clock.set(NEW_FROM)
    program.consent_to_remote_access("C-1")
    assert program.entitlements.may_start_remote_session("C-1", at=NEW_FROM).allowed
    none = attrs.evolve(DEFAULT, remote_access=None)
    offered = make_program("memory", options={"entitlements": {"catalogue": none}})
    assert ("remote_access_not_offered",) == offered.entitlements.may_start_remote_session(
        "C-1"
    ).codes


def test_the_catalogue_loads_versions_and_refuses_bad_ones() -> None:
    """[[remote_access.version]] entries load sorted with their instants; the old
    single terms_version still loads; inconsistent versions are catalogue errors."""
    data = {
        "service_level": [{"id": "gold", "name": "Gold", "rank": 1}],
        "document": [
            {"id": "terms", "title": "T", "languages": ["en"], "access": [{"access": "public"}]}
        ],
    }
    versions = [{"version": "2", "from": "2012-06-01"}, {"version": "1"}]
    loaded = EntitlementCatalogue.from_toml(
        to_toml({**data, "remote_access": {"terms_document": "terms", "version": versions}})
    )
    assert loaded.remote_access is not None
    assert (RemoteAccessVersion("1"), RemoteAccessVersion("2", NEW_FROM)) == (
        loaded.remote_access.versions
    )
    single = EntitlementCatalogue.from_toml(
        to_toml({**data, "remote_access": {"terms_document": "terms", "terms_version": "1"}})
    )
    assert single.remote_access == RemoteAccessTerms("terms", "1")
    for bad in (
        {"terms_document": "terms", "terms_version": "1", "version": versions},
        {"terms_document": "terms", "version": [{"version": "1"}, {"version": "2"}]},
        {
            "terms_document": "terms",
            "version": [{"version": "1"}, {"version": "1", "from": "2012-06-01"}],
        },
        {"terms_document": "terms", "version": []},
        {"terms_document": "terms"},
    ):
        with pytest.raises(CatalogueError) as caught:
            EntitlementCatalogue.from_toml(to_toml({**data, "remote_access": bad}))
        assert "catalogue_invalid" == caught.value.code


def test_publishing_refuses_a_reused_label_or_an_earlier_instant() -> None:
    """publish() keeps the history; a label used before or an instant not after the
    latest version's is invalid_remote_access_versions; a naive instant is refused."""
    terms = RemoteAccessTerms("remote_access_standard_terms", "1", NEW_FROM)
    for version, at in (("1", NEW_FROM + timedelta(days=1)), ("2", NEW_FROM), ("2", START)):
        with pytest.raises(ValidationError) as caught:
            terms.publish(version, at)
        assert "invalid_remote_access_versions" == caught.value.code
    for call in (
        lambda: terms.publish("2", datetime(2013, 1, 1)),
        lambda: terms.version_at(datetime(2013, 1, 1)),
        lambda: terms.next_after(datetime(2013, 1, 1)),
    ):
        with pytest.raises(ValidationError) as naive:
            call()
        assert "naive_datetime" == naive.value.code


@st.composite
def _terms(draw: st.DrawFn) -> RemoteAccessTerms:
    count = draw(st.integers(1, 4))
    starts: list[datetime | None] = sorted(
        draw(st.lists(instants(), min_size=count, max_size=count, unique=True))
    )
    if draw(st.booleans()):
        starts[0] = None
    versions = [RemoteAccessVersion(f"v{i}", start) for i, start in enumerate(starts)]
    return RemoteAccessTerms(
        "remote_access_standard_terms",
        versions[-1].version,
        versions[-1].effective_from,
        earlier=tuple(versions[:-1]),
    )


EARLY = datetime(1990, 1, 1, tzinfo=UTC)


@given(terms=_terms(), pick=st.integers(0, 3), at=instants())
def test_a_consent_to_a_version_counts_exactly_while_it_is_in_force(
    terms: RemoteAccessTerms, pick: int, at: datetime
) -> None:
    """Property: consent (given early, never withdrawn) to version v allows a session at
    t exactly when effective(v) <= t < effective(next version)."""
    chosen = terms.versions[pick % len(terms.versions)]
    later = [v.effective_from for v in terms.versions if v.effective_from is not None]
    following = [s for s in later if chosen.effective_from is None or s > chosen.effective_from]
    start_ok = chosen.effective_from is None or chosen.effective_from <= at
    end_ok = not following or at < following[0]
    consent = InMemoryRemoteAccessConsent()
    consent.give("C-1", chosen.version, EARLY)
    catalogue = attrs.evolve(DEFAULT, remote_access=terms)
    service = EntitlementsService(
        MemoryStore(), FixedClock(START), catalogue=catalogue, remote_access_consent=consent
    )
    assert (start_ok and end_ok) == service.may_start_remote_session("C-1", at=at).allowed
    version = remote_terms_in_force(catalogue, at)
    consented = version is not None and consent.has_consented("C-1", version.version, at)
    assert (start_ok and end_ok) == remote_session_decision(catalogue, at, consented).allowed


@given(terms=_terms(), at=instants())
def test_exactly_one_version_is_in_force_from_the_first_effective_instant(
    terms: RemoteAccessTerms, at: datetime
) -> None:
    """version_at is the latest version whose instant is not after ``at`` (none before
    the first), and next_after the one after it."""
    started = [v for v in terms.versions if v.effective_from is None or v.effective_from <= at]
    assert (started[-1] if started else None) == terms.version_at(at)
    upcoming = [v for v in terms.versions if v.effective_from is not None and v.effective_from > at]
    assert (upcoming[0] if upcoming else None) == terms.next_after(at)
