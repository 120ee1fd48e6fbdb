"""A host's reactions to the events of every context (``Program.subscribe``) on memory
and SQLite: they run in the unit of work of the change, see everything recorded before
the event (a bulk registration's batch included), and a failing one leaves nothing.
"""

from __future__ import annotations

import contextlib
from datetime import date

import pytest

from _programs import ProgramFactory, contact
from symprogram.accounts.events import CandidateRegistered, ContactDetailsUpdated
from symprogram.consent.events import ConsentRecorded
from symprogram.entitlements.events import AgreementRecorded
from symprogram.errors import NotFound, PermissionDenied, StorageError

BACKENDS = ["memory", "sqlite"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_handler_sees_the_bulk_batch_written_before_its_event(
    backend: str, make_program: ProgramFactory
) -> None:
    """register_many buffers its writes: a handler of ``candidate_registered`` still
    reads the candidate it announces (the batch is sent to the unit of work first)."""
    with make_program(backend) as program:
        seen: list[str] = []

        def read_back(event: CandidateRegistered) -> None:
            seen.append(program.accounts.get_candidate(event.subject).contact.email)

        program.subscribe(CandidateRegistered, read_back)
        report = program.accounts.register_many(
            [contact("ada@example.com"), contact("grace@example.com")], batch_size=10
        )
        assert (2, 1) == (report.created, report.batches)
        assert ["ada@example.com", "grace@example.com"] == seen


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_handler_rolls_the_bulk_batch_back(
    backend: str, make_program: ProgramFactory
) -> None:
    """A handler that refuses the second registration of a batch rolls the whole batch
    back: neither candidate is registered, the caller gets the handler's error."""
    with make_program(backend) as program:

        def refuse_grace(event: CandidateRegistered) -> None:
            email = program.accounts.get_candidate(event.subject).contact.email
            if email.startswith("grace"):
                raise PermissionDenied("not Grace", code="host_refused")

        program.subscribe(CandidateRegistered, refuse_grace)
        with pytest.raises(PermissionDenied):
            program.accounts.register_many(
                [contact("ada@example.com"), contact("grace@example.com")], batch_size=10
            )
        assert program.accounts.find_by_email("ada@example.com") is None
        assert program.accounts.find_by_email("grace@example.com") is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_handler_caught_inside_the_hosts_unit_of_work_keeps_nothing(
    backend: str, make_program: ProgramFactory
) -> None:
    """A host that calls a service inside its own unit of work and catches the error
    of a handler that refused the change cannot commit half of it: leaving the block
    raises ``unit_of_work_doomed`` and the contact details, history and messages are
    as they were."""
    with make_program(backend) as program:
        program.accounts.register_many([contact("ada@example.com")])
        candidate = program.accounts.find_by_email("ada@example.com")
        assert candidate is not None
        cid = candidate.candidate_id
        history = len(program.accounts.history(cid))

        def refuse(event: ContactDetailsUpdated) -> None:
            raise PermissionDenied("not now", code="host_refused")

        program.subscribe(ContactDetailsUpdated, refuse)
        with pytest.raises(StorageError) as info, program.store.transaction():
            with contextlib.suppress(PermissionDenied):
                program.accounts.update_contact_details(cid, given_name="Grace")
        assert "unit_of_work_doomed" == info.value.code
        assert "Ada" == program.accounts.contact_details(cid).given_name
        assert history == len(program.accounts.history(cid))
        assert program.verify_all().ok


@pytest.mark.parametrize("backend", BACKENDS)
def test_consent_events_are_published_after_the_projection_is_saved(
    backend: str, make_program: ProgramFactory
) -> None:
    """A consent choice is published once the subject's projection is saved (a
    handler's question already sees the choice); a handler refusing a withdrawal
    leaves the grant standing and the ledger as it was."""
    with make_program(backend) as program:
        seen: list[tuple[str, bool]] = []

        def check(event: ConsentRecorded) -> None:
            allowed = program.consent.may_use(event.subject, event.topic).allowed
            seen.append((event.choice, allowed))
            if event.choice == "withdrawn":
                raise PermissionDenied("withdrawals go through the hotline", code="host_refused")

        program.subscribe(ConsentRecorded, check)
        program.consent.grant("C-1", "special_offers", channel="web_form")
        length = len(program.consent.history("C-1"))
        with pytest.raises(PermissionDenied):
            program.consent.withdraw("C-1", "special_offers", channel="web_form")
        assert [("granted", True), ("withdrawn", False)] == seen
        assert program.consent.may_use("C-1", "special_offers").allowed
        assert length == len(program.consent.history("C-1"))
        assert program.consent.verify("C-1").ok


@pytest.mark.parametrize("backend", BACKENDS)
def test_entitlements_events_are_published_in_the_unit_of_work(
    backend: str, make_program: ProgramFactory
) -> None:
    """An agreement recorded in the entitlements audit is published; a handler that
    raises leaves no agreement behind."""
    with make_program(backend) as program:
        recorded: list[str] = []

        def refuse_second(event: AgreementRecorded) -> None:
            recorded.append(event.agreement_id)
            if event.agreement_id == "A-2":
                raise PermissionDenied("one agreement per customer here", code="host_refused")

        program.subscribe(AgreementRecorded, refuse_second)

        def add(agreement_id: str) -> None:
            program.entitlements.add_agreement(
                "C-1",
                agreement_id=agreement_id,
                level="essential_support",
                products=["NetBackup"],
                starts_on=date(2011, 1, 1),
                ends_on=date(2013, 1, 1),
                by="sales",
            )

        add("A-1")
        with pytest.raises(PermissionDenied):
            add("A-2")
        assert ["A-1", "A-2"] == recorded
        assert ("A-1",) == tuple(
            a.agreement_id for a in program.entitlements.get_holdings("C-1").agreements
        )
        with pytest.raises(NotFound):
            program.entitlements.get_agreement("A-2")
