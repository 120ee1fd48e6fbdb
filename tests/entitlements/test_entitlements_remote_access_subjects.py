"""Every customer ID entitlements accepts can consent to remote access.

The Enterprise Support page: "Before implementing such remote access we will require
your express consent to the service terms." A customer ID the consent ledger cannot
key as a subject (a comma, a space, an accent, over 128 characters) is kept under
its derived subject, :func:`symprogram.consent.subject_for`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent import check_subject, subject_for
from symprogram.errors import PermissionDenied, ValidationError


def _program_with_case(customer: str) -> Program:
    program = Program.in_memory(clock=FixedClock(datetime(2011, 6, 1, tzinfo=UTC)))
    ents = program.entitlements
    ents.add_agreement(
        customer,
        agreement_id="AG-1",
        level="business_critical_services",
        products=["Endpoint Protection"],
        starts_on=date(2011, 1, 1),
        ends_on=date(2011, 12, 31),
        by="staff",
    )
    ents.open_case(
        customer,
        case_id="CASE-1",
        product="Endpoint Protection",
        severity="high",
        summary="clients do not update",
        by="customer",
    )
    return program


@pytest.mark.parametrize("customer", ["Acme, Inc.", "Müller GmbH", "C" * 200, "acme corp"])
def test_a_customer_id_that_is_no_subject_can_consent_and_withdraw(customer: str) -> None:
    """The consent is kept under the derived subject; withdrawing it there stops access."""
    program = _program_with_case(customer)
    with pytest.raises(PermissionDenied) as refused:
        program.entitlements.start_remote_session("CASE-1", by="engineer")
    assert refused.value.code == "remote_access_consent_required"
    record = program.consent_to_remote_access(customer)
    assert record.subject == subject_for(customer)
    assert record.subject.startswith("sha256:")
    program.entitlements.start_remote_session("CASE-1", by="engineer")
    program.consent.withdraw(record.subject, "remote_access", channel="phone")
    assert not program.entitlements.may_start_remote_session(customer).allowed


def test_a_customer_id_that_is_a_subject_is_kept_under_itself() -> None:
    """cust-1 consents as the subject cust-1 (existing consents keep counting)."""
    program = _program_with_case("cust-1")
    assert program.consent_to_remote_access("cust-1").subject == "cust-1"
    assert program.entitlements.may_start_remote_session("cust-1").allowed


def test_no_customer_id_can_name_another_customers_derived_subject() -> None:
    """A customer whose ID is Acme's derived subject has not consented when Acme has."""
    derived = subject_for("Acme, Inc.")
    program = _program_with_case(derived)
    program.consent_to_remote_access("Acme, Inc.")
    assert not program.entitlements.may_start_remote_session(derived).allowed
    assert subject_for(derived) != derived


def test_a_bad_customer_id_is_refused_on_its_field() -> None:
    """Blank text or a NUL is a ValidationError on customer_id, and nothing is recorded."""
    program = Program.in_memory()
    for bad in ("", "a\x00b", 42):
        with pytest.raises(ValidationError) as caught:
            program.consent_to_remote_access(bad)  # type: ignore[arg-type]
        assert caught.value.field == "customer_id"
    assert program.consent.verify_all().ok


@settings(max_examples=60)
@given(st.text(st.characters(blacklist_categories=()), min_size=1, max_size=300))
def test_subject_for_is_a_subject_and_one_to_one(identifier: str) -> None:
    """subject_for answers a valid subject: the identifier itself when it is one, else a
    digest that no other identifier shares."""
    subject = subject_for(identifier)
    assert check_subject(subject) == subject
    if subject == identifier:
        return
    assert subject.startswith("sha256:")
    assert subject_for(identifier + "x") != subject
