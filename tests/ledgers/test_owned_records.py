"""Records written in under a key of their own: reported by ``verify_all``, refused by the reads.

An incident, a claimed score report, a disclosure, a kit and a support case are
each stored under an ID of their own, and their owner's anchored state names them
(the candidate lists its incidents and claimed reports, the awards record its
disclosures and kits, the customer's audit the cases it opened). A record written
into the database by hand under a new key (a genuine one copied, or one made up)
is named by no owner, so no anchor check read it: ``verify_all`` now walks every
stored record of these kinds and reports one its owner does not name
(``aggregate_mismatch``, the record's kind and key), and the reads by its key
answer it as absent (``NotFound``, the usual code).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import (
    ProgramFactory,
    add_agreement,
    record_report,
    register_active,
    register_earned,
)
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.entitlements import rules as entitlement_rules
from symprogram.errors import IntegrityError, NotFound, ValidationError
from symprogram.history import AccountHistory

HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

Reported = set[tuple[str, str, str, str]]


def _reported(program: Program, *, batch: int = 500) -> Reported:
    """``(subject, kind, key, field)`` of every mismatch ``program.verify_all`` finds."""
    return {
        (failure.subject, p.kind, p.key, p.field)
        for failure in program.verify_all(batch=batch).failures
        for p in failure.problems
        if isinstance(p, AggregateMismatch)
    }


def _written_in(
    program: Program, kind: str, key: str, new_key: str, id_field: str, **changes: object
) -> None:
    """The stored ``kind`` record ``key`` copied under ``new_key`` (its ID field set to
    it, and ``changes`` made), as a row written in by hand."""
    rows = LedgerRows(program)
    text = rows.get_record(kind, key)
    assert text is not None
    data = json.loads(text)
    data[id_field] = new_key
    data.update(changes)
    rows.put_record(kind, new_key, json.dumps(data))


def _refused(read: Callable[[], object], code: str) -> None:
    with pytest.raises(NotFound) as raised:
        read()
    assert code == raised.value.code


# -- incidents -------------------------------------------------------------------


def test_an_incident_copied_or_made_up_is_reported_and_refused(program: Program) -> None:
    """A copy of Ada's incident under a new ID, and one made up for Bob, are listed by
    neither account: reported under each owner and refused by ``get_incident``; Ada's
    own incident is neither."""
    ada = register_active(program, "ada@example.com")
    bob = register_active(program, "bob@example.com")
    iid = program.accounts.open_incident(ada, title="Kit", body="Where?").incident_id
    assert program.verify_all().ok
    _written_in(program, "incident", iid, "INC-COPY", "incident_id")
    _written_in(program, "incident", iid, "INC-MADE-UP", "incident_id", candidate_id=bob)
    assert {
        (f"history:{ada}", "incident", "INC-COPY", "incident"),
        (f"history:{bob}", "incident", "INC-MADE-UP", "incident"),
    } == _reported(program)
    _refused(lambda: program.accounts.get_incident("INC-COPY"), "incident_not_found")
    _refused(lambda: program.accounts.get_incident("INC-MADE-UP"), "incident_not_found")
    assert iid == program.accounts.get_incident(iid).incident_id
    accounts = program.accounts
    length = len(program.history.history(bob))
    gone = "incident_not_found"
    _refused(
        lambda: accounts.post_incident_message("INC-MADE-UP", author="support", body="Hi"), gone
    )
    _refused(lambda: accounts.resolve_incident("INC-MADE-UP"), gone)
    _refused(lambda: accounts.start_incident("INC-COPY"), gone)
    assert length == len(program.history.history(bob))


def test_an_incident_copied_without_its_id_changed_is_reported(program: Program) -> None:
    """A row copied as it is holds another incident's ID: it is reported under its key
    (it cannot be read as that key's), and its read is refused as before."""
    cid = register_active(program, "ada@example.com")
    iid = program.accounts.open_incident(cid, title="Kit", body="Where?").incident_id
    rows = LedgerRows(program)
    rows.put_record("incident", "INC-AS-IS", rows.get_record("incident", iid))
    assert {("history:INC-AS-IS", "incident", "INC-AS-IS", "incident")} == _reported(program)
    with pytest.raises(IntegrityError):
        program.accounts.get_incident("INC-AS-IS")


# -- score reports ---------------------------------------------------------------


def test_a_claimed_score_report_copied_or_made_up_is_reported_and_refused(
    program: Program,
) -> None:
    """A copy of Ada's claimed report under a new number, and one claimed by Bob that
    he never claimed, are reported and refused; Ada's report and an unclaimed one are
    neither."""
    ada = register_active(program, "ada@example.com")
    bob = register_active(program, "bob@example.com")
    record_report(program, "REG-1")
    record_report(program, "REG-9")  # never claimed
    program.accounts.claim_score_report(ada, "REG-1", email="ada@example.com")
    assert program.verify_all().ok
    _written_in(program, "score_report", "REG-1", "REG-2", "registration_number")
    _written_in(program, "score_report", "REG-1", "REG-3", "registration_number", claimed_by=bob)
    assert {
        (f"history:{ada}", "score_report", "REG-2", "score_report"),
        (f"history:{bob}", "score_report", "REG-3", "score_report"),
    } == _reported(program)
    _refused(lambda: program.accounts.get_score_report("REG-2"), "score_report_not_found")
    _refused(lambda: program.accounts.get_score_report("REG-3"), "score_report_not_found")
    assert "REG-1" == program.accounts.get_score_report("REG-1").registration_number
    assert "REG-9" == program.accounts.get_score_report("REG-9").registration_number


# -- disclosures -----------------------------------------------------------------


def _published(program: Program, email: str = "ada@example.com") -> tuple[str, str]:
    """An active candidate holding SCS Endpoint, published; ``(cid, disclosure ID)``."""
    cid = register_earned(program, email)
    published = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    return cid, published.disclosure.disclosure_id


def test_a_disclosure_copied_or_made_up_is_reported_and_refused(program: Program) -> None:
    """A copy of Ada's disclosure under a new ID, and one made up for Bob, are listed by
    neither awards record: reported, and refused by the reads by ID (its log, its
    revocation); Ada's own disclosure is neither."""
    ada, did = _published(program)
    bob = register_active(program, "bob@example.com")
    assert program.verify_all().ok
    _written_in(program, "award_disclosure", did, "D-COPY", "disclosure_id")
    _written_in(program, "award_disclosure", did, "D-MADE-UP", "disclosure_id", candidate_id=bob)
    assert {
        (f"history:{ada}", "award_disclosure", "D-COPY", "award_disclosure"),
        (f"history:{bob}", "award_disclosure", "D-MADE-UP", "award_disclosure"),
    } == _reported(program)
    awards = program.awards
    _refused(lambda: awards.verification_log(ada, "D-COPY"), "disclosure_not_found")
    _refused(lambda: awards.verification_log(bob, "D-MADE-UP"), "disclosure_not_found")
    _refused(lambda: awards.revoke_disclosure(ada, "D-COPY"), "disclosure_not_found")
    assert () == awards.verification_log(ada, did)
    assert [did] == [d.disclosure_id for d in awards.disclosures_of(ada)]


# -- kits ------------------------------------------------------------------------


def test_a_kit_copied_or_made_up_is_reported_and_refused(program: Program) -> None:
    """A copy of Ada's kit under a new ID, and one made up for Bob, are listed by neither
    awards record: reported, and refused by ``get_kit`` (and ``ship_kit``); Ada's own
    kit is neither."""
    ada = register_earned(program, "ada@example.com")
    bob = register_active(program, "bob@example.com")
    [kit] = program.awards.kits_of(ada)
    assert program.verify_all().ok
    _written_in(program, "award_kit", kit.kit_id, "KIT-COPY", "kit_id")
    _written_in(program, "award_kit", kit.kit_id, "KIT-MADE-UP", "kit_id", candidate_id=bob)
    assert {
        (f"history:{ada}", "award_kit", "KIT-COPY", "award_kit"),
        (f"history:{bob}", "award_kit", "KIT-MADE-UP", "award_kit"),
    } == _reported(program)
    _refused(lambda: program.awards.get_kit("KIT-COPY"), "award_kit_not_found")
    _refused(lambda: program.awards.get_kit("KIT-MADE-UP"), "award_kit_not_found")
    _refused(lambda: program.awards.ship_kit("KIT-COPY"), "award_kit_not_found")
    assert kit.kit_id == program.awards.get_kit(kit.kit_id).kit_id


# -- support cases ---------------------------------------------------------------


def _open(program: Program, case_id: str = "K-1", customer: str = "C-1") -> None:
    program.entitlements.open_case(
        customer, case_id=case_id, product="NetBackup", severity="high", summary="down", by="me"
    )


def test_a_case_copied_or_made_up_is_reported_and_refused(program: Program) -> None:
    """A copy of C-1's case under a new ID, and one made up for a customer with no audit
    at all, were never opened: reported under each customer and refused by
    ``get_case``; the genuine case is neither."""
    add_agreement(program.entitlements)
    _open(program)
    assert program.verify_all().ok
    _written_in(program, "entitlements_case", "K-1", "K-Z", "case_id")
    _written_in(program, "entitlements_case", "K-1", "K-NEW", "case_id", customer_id="C-2")
    assert {
        ("entitlements:C-1", "entitlements_case", "K-Z", "entitlements_case"),
        ("entitlements:C-2", "entitlements_case", "K-NEW", "entitlements_case"),
    } == _reported(program)
    ents = program.entitlements
    _refused(lambda: ents.get_case("K-Z"), "entitlements_case_not_found")
    _refused(lambda: ents.get_case("K-NEW"), "entitlements_case_not_found")
    assert "K-1" == ents.get_case("K-1").case_id
    length = len(ents.history("C-1"))
    _refused(lambda: ents.escalate_case("K-Z", by="a", reason="r"), "entitlements_case_not_found")
    _refused(lambda: ents.close_case("K-Z", by="a"), "entitlements_case_not_found")
    _refused(lambda: ents.start_remote_session("K-Z", by="e"), "entitlements_case_not_found")
    _refused(
        lambda: ents.end_remote_session("K-Z", "remote-1", by="e"), "entitlements_case_not_found"
    )
    assert length == len(ents.history("C-1"))


def test_the_cases_of_an_erased_customer_are_still_answered(program: Program) -> None:
    """Erasing a customer drops the data of its audit entries (which then no longer say
    which case they opened): its genuine case still reads and is not reported, while a
    copy of it written in for a customer whose audit is whole is."""
    cid = register_active(program, "ada@example.com")
    add_agreement(program.entitlements, cid)
    add_agreement(program.entitlements, "C-1", agreement_id="AGR-C-1")
    _open(program, customer=cid)
    program.erase_person(cid, reason="asked")
    assert [None] == [e.data for e in program.entitlements.history(cid) if e.kind == "case_opened"]
    _written_in(program, "entitlements_case", "K-1", "K-Z", "case_id", customer_id="C-1")
    cases = {r for r in _reported(program) if r[1] == "entitlements_case"}
    assert {("entitlements:C-1", "entitlements_case", "K-Z", "entitlements_case")} == cases
    _refused(lambda: program.entitlements.get_case("K-Z"), "entitlements_case_not_found")
    assert "K-1" == program.entitlements.get_case("K-1").case_id


def test_case_opened_in_rule() -> None:
    """The rule finds the opening entry; an erased one may have been it."""
    opened = ("case_opened", {"case_id": "K-1"})
    assert entitlement_rules.case_opened_in("K-1", [("agreement_recorded", {}), opened])
    closed = ("case_closed", {"case_id": "K-2"})
    assert not entitlement_rules.case_opened_in("K-2", [opened, closed])
    assert entitlement_rules.case_opened_in("K-2", [("case_opened", None)])
    assert not entitlement_rules.case_opened_in("K-1", [])


# -- every kind, any batch -------------------------------------------------------

KINDS: dict[str, tuple[str, str]] = {
    "incident": ("incident_id", "INC-"),
    "score_report": ("registration_number", "REG-X"),
    "award_disclosure": ("disclosure_id", "D-"),
    "award_kit": ("kit_id", "KIT-"),
}


def _genuine(program: Program) -> tuple[str, dict[str, str]]:
    """Ada with one genuine record of each history-owned kind: ``(cid, kind -> key)``."""
    cid, did = _published(program)
    iid = program.accounts.open_incident(cid, title="Kit", body="Where?").incident_id
    record_report(program, "REG-1")
    program.accounts.claim_score_report(cid, "REG-1", email="ada@example.com")
    [kit] = program.awards.kits_of(cid)
    keys = {"incident": iid, "score_report": "REG-1", "award_disclosure": did}
    return cid, keys | {"award_kit": kit.kit_id}


@settings(max_examples=15, deadline=None, suppress_health_check=HEALTH)
@given(
    copies=st.lists(
        st.tuples(st.sampled_from(sorted(KINDS)), st.integers(min_value=1, max_value=9)),
        unique=True,
        max_size=6,
    ),
    batch=st.integers(min_value=1, max_value=4),
)
def test_every_copy_is_reported_whatever_the_batch(
    make_program: ProgramFactory, copies: list[tuple[str, int]], batch: int
) -> None:
    """Any set of copies of Ada's genuine records, under new keys, is reported exactly,
    whatever the batch the stored records are walked in; the genuine ones never."""
    program = make_program("memory")
    cid, keys = _genuine(program)
    assert set() == _reported(program, batch=batch)
    expected: Reported = set()
    for kind, number in copies:
        id_field, prefix = KINDS[kind]
        new_key = f"{prefix}{number}"
        _written_in(program, kind, keys[kind], new_key, id_field)
        expected.add((f"history:{cid}", kind, new_key, kind))
    assert expected == _reported(program, batch=batch)


def test_a_history_built_by_hand_walks_the_kinds_it_is_given(program: Program) -> None:
    """An ``AccountHistory`` built by hand walks no owned kind until it is given its
    owner check; a check that is not callable, or a kind that is no record kind, is
    refused."""
    from symprogram.accounts import incident_owner_check

    cid = register_active(program, "ada@example.com")
    iid = program.accounts.open_incident(cid, title="Kit", body="Where?").incident_id
    _written_in(program, "incident", iid, "INC-COPY", "incident_id")
    history = AccountHistory(program.store, ledger=program.ledgers.ledger("history"))
    assert () == history.verify_all()
    history.add_owner_check("incident", incident_owner_check)
    [failure] = history.verify_all()
    assert cid == failure.subject
    assert [("incident", "INC-COPY", "incident")] == [
        (p.kind, p.key, p.field) for p in failure.problems if isinstance(p, AggregateMismatch)
    ]
    with pytest.raises(ValidationError) as raised:
        history.add_owner_check("incident", "not a check")  # type: ignore[arg-type]
    assert "invalid_anchor_check" == raised.value.code
    with pytest.raises(ValidationError) as raised:
        history.add_owner_check("", incident_owner_check)
    assert "invalid_key" == raised.value.code


def test_the_case_index_is_no_anchor_for_a_case_read(program: Program) -> None:
    """A genuine case without its index entry (opened before the index, or the entry
    deleted or moved) is still answered, from the customer's audit; a case written in
    is refused, even with an index entry of its own, and ``verify_all`` reports it."""
    from symprogram.entitlements.ports import CASE_INDEX

    add_agreement(program.entitlements)
    _open(program)
    _open(program, case_id="K-2")
    with program.store.transaction() as tx:
        assert "C-1" == tx.index_get(CASE_INDEX, "K-1")
        tx.index_delete(CASE_INDEX, "K-1")
        tx.index_delete(CASE_INDEX, "K-2")
        tx.index_put(CASE_INDEX, "K-2", "C-9")
    assert ["K-1", "K-2"] == [program.entitlements.get_case(c).case_id for c in ("K-1", "K-2")]
    _written_in(program, "entitlements_case", "K-1", "K-Z", "case_id")
    _refused(lambda: program.entitlements.get_case("K-Z"), "entitlements_case_not_found")
    with program.store.transaction() as tx:
        tx.index_put(CASE_INDEX, "K-Z", "C-1")
    _refused(lambda: program.entitlements.get_case("K-Z"), "entitlements_case_not_found")
    expected = ("entitlements:C-1", "entitlements_case", "K-Z", "entitlements_case")
    assert {expected} == _reported(program)
