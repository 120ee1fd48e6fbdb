"""Both readings of the Enterprise Support page's login rule, and the telephone table.

The page: "Beginning on January 15, 2011, the documents listed below will require
you to be logged into SymAccount to access: [...] If you already have a SymAccount
login there is nothing further that you need to do." The default catalogue
(``service_level``) gates each document by the service level it is for; the
``login`` catalogue implements the literal reading. Each decision names the rule
applied (detail ``rule``; a login that suffices is the ``symaccount_login``
reason). The telephone table (the Local Language Support Table) is answered only
to readers who may read that document at that instant (issue 16).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import ProgramFactory
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.decisions import Decision, Reason
from symprogram.entitlements import (
    EntitlementCatalogue,
    EntitlementsService,
    EntitlementsSettings,
    Reader,
)
from symprogram.entitlements.catalogue import READINGS
from symprogram.entitlements.rules import access_decision, telephone_table_decision
from symprogram.errors import PermissionDenied, ValidationError
from symprogram.storage.memory import MemoryStore
from symprogram.testing.strategies import instants

LOGIN_FROM = datetime(2011, 1, 15, tzinfo=UTC)
GATED = (
    "essential_support_basic_maintenance_handbook",
    "business_critical_services_handbook",
    "global_escalation_process_guide",
    "remote_access_standard_terms",
    "local_language_support_table",
)
TABLE = "local_language_support_table"
LOGGED_IN = Reader("C-1", logged_in=True)
LOGIN = {"entitlements": {"settings": {"reading": "login"}}}


@pytest.fixture(params=["memory", "sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    """The storage backend: memory or SQLite."""
    return str(request.param)


def _program(make_program: ProgramFactory, kind: str, **options: Any) -> Program:
    return make_program(kind, options=options or None)


@pytest.mark.parametrize("document", GATED)
def test_the_default_catalogue_gates_each_document_by_its_service_level(
    make_program: ProgramFactory, kind: str, document: str
) -> None:
    """Default: logged in without an agreement is refused, and the rule is named."""
    program = _program(make_program, kind)
    decision = program.entitlements.decide(LOGGED_IN, document)
    assert (False, "no_active_agreement", "service_level") == (
        decision.allowed,
        decision.codes[0],
        decision.detail("rule"),
    )
    assert "service_level" == program.entitlements.catalogue.reading


@pytest.mark.parametrize("document", GATED)
def test_the_login_catalogue_lets_a_symaccount_login_suffice(
    make_program: ProgramFactory, kind: str, document: str
) -> None:
    """The literal reading: a login without any agreement reads every gated document,
    and the decision names the rule with the symaccount_login reason."""
    program = _program(make_program, kind, **LOGIN)
    decision = program.entitlements.decide(LOGGED_IN, document)
    assert (True, "symaccount_login", "symaccount_login") == (
        decision.allowed,
        decision.codes[0],
        decision.detail("rule"),
    )
    assert "login" == program.entitlements.catalogue.reading
    anonymous = program.entitlements.decide(None, document)
    assert (False, ("not_logged_in",), "symaccount_login") == (
        anonymous.allowed,
        anonymous.codes[:1],
        anonymous.detail("rule"),
    )


@pytest.mark.parametrize("reading", [None, *READINGS])
def test_before_the_date_both_readings_leave_the_documents_public(
    make_program: ProgramFactory, kind: str, reading: str | None
) -> None:
    """Both readings agree before 2011-01-15: public, with the date it changes."""
    options = {} if reading is None else {"entitlements": {"settings": {"reading": reading}}}
    program = _program(make_program, kind, **options)
    for document in GATED:
        decision = program.entitlements.decide(
            None, document, at=datetime(2011, 1, 14, 23, 59, tzinfo=UTC)
        )
        assert (True, "public_before_login_requirement", "public") == (
            decision.allowed,
            decision.codes[0],
            decision.detail("rule"),
        )


def test_the_catalogue_and_the_setting_choose_the_same_reading() -> None:
    """default(reading=) and the setting give the same catalogue; an unknown reading
    and a setting contradicting the catalogue are refused with codes."""
    store, clock = MemoryStore(), FixedClock(datetime(2012, 3, 1, tzinfo=UTC))
    by_setting = EntitlementsService(store, clock, settings=EntitlementsSettings(reading="login"))
    assert EntitlementCatalogue.default(reading="login") is by_setting.catalogue
    assert EntitlementCatalogue.default() is EntitlementCatalogue.default(reading="service_level")
    with pytest.raises(ValidationError) as unknown:
        EntitlementCatalogue.default(reading="literal")
    assert "invalid_reading" == unknown.value.code
    with pytest.raises(ValidationError) as bad:
        EntitlementsSettings(reading="literal")
    assert ("invalid_reading", "reading") == (bad.value.code, bad.value.field)
    with pytest.raises(ValidationError) as mismatch:
        EntitlementsService(
            store,
            clock,
            catalogue=EntitlementCatalogue.default(),
            settings=EntitlementsSettings(reading="login"),
        )
    assert "reading_mismatch" == mismatch.value.code


def test_program_options_take_the_reading(make_program: ProgramFactory, kind: str) -> None:
    """Program(options={"entitlements": {"settings": {"reading": "login"}}}) is the switch."""
    program = _program(make_program, kind, **LOGIN)
    assert "login" == program.entitlements.settings.reading
    with pytest.raises(ValidationError) as bad:
        Program.in_memory(options={"entitlements": {"settings": {"reading": 3}}})
    assert "invalid_reading" == bad.value.code


# -- the telephone table -------------------------------------------------------------


def _agreement(program: Program, level: str = "basic_maintenance") -> None:
    program.entitlements.add_agreement(
        "C-1",
        agreement_id="A-1",
        level=level,
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )


def test_the_telephone_table_needs_what_the_language_table_needs(
    make_program: ProgramFactory, kind: str
) -> None:
    """Default reading: refused to the anonymous and to a reader without an agreement,
    with the reasons of the document's decision; answered once an agreement is held."""
    program = _program(make_program, kind)
    ents = program.entitlements
    for reader in (None, LOGGED_IN):
        document = ents.decide(reader, TABLE)
        with pytest.raises(PermissionDenied) as refused:
            ents.telephone_support(reader=reader)
        assert (document.codes[0], list(document.codes), TABLE) == (
            refused.value.code,
            refused.value.details["reasons"],
            refused.value.details["document"],
        )
        assert document == ents.may_read_telephone_support(reader)
    _agreement(program)
    assert ents.may_read_telephone_support(LOGGED_IN).allowed
    assert ents.catalogue.telephone_lines == ents.telephone_support(reader=LOGGED_IN)


def test_the_telephone_table_follows_the_document_over_time(
    make_program: ProgramFactory, kind: str
) -> None:
    """Public to anyone before 2011-01-15, as the document was; the agreement's last day
    is the table's last day for that reader."""
    program = _program(make_program, kind)
    ents = program.entitlements
    before = datetime(2011, 1, 14, tzinfo=UTC)
    assert ents.catalogue.telephone_lines == ents.telephone_support(at=before)
    _agreement(program)
    last = datetime(2012, 12, 31, 23, 59, tzinfo=UTC)
    assert ents.telephone_support("EMEA", reader=LOGGED_IN, at=last)
    with pytest.raises(PermissionDenied) as expired:
        ents.telephone_support(reader=LOGGED_IN, at=datetime(2013, 1, 1, tzinfo=UTC))
    assert "agreement_expired" in expired.value.details["reasons"]


def test_the_login_reading_opens_the_telephone_table_to_a_login(
    make_program: ProgramFactory, kind: str
) -> None:
    """Under the literal reading a login is enough for the table, and the anonymous
    reader is told to log in."""
    program = _program(make_program, kind, **LOGIN)
    assert program.entitlements.telephone_support(reader=LOGGED_IN)
    with pytest.raises(PermissionDenied) as refused:
        program.entitlements.telephone_support()
    assert "not_logged_in" == refused.value.code


@given(
    reading=st.sampled_from(READINGS),
    document=st.sampled_from(GATED),
    logged_in=st.booleans(),
    at=instants(),
)
def test_the_login_reading_allows_exactly_a_login_after_the_date(
    reading: str, document: str, logged_in: bool, at: datetime
) -> None:
    """Property of the rules, with no agreement held: the login reading allows exactly
    (before the date) or (logged in); the service-level reading exactly before the date."""
    catalogue = EntitlementCatalogue.default(reading=reading)
    doc = catalogue.document(document)
    assert doc is not None
    allowed = access_decision(catalogue, doc, Reader("C-1", logged_in=logged_in), None, at)[0]
    if reading == "login":
        assert (at < LOGIN_FROM or logged_in) == allowed
    else:
        assert (at < LOGIN_FROM) == allowed


@given(allowed=st.booleans(), at=instants())
def test_the_table_decision_is_the_documents_decision(allowed: bool, at: datetime) -> None:
    """telephone_table_decision returns the document's decision as is, and allows
    (telephone_table_public) when no document gates the table."""
    document = Decision(allowed, [Reason("x")], None, at)
    assert document is telephone_table_decision(document, at)
    assert ("telephone_table_public",) == telephone_table_decision(None, at).codes
