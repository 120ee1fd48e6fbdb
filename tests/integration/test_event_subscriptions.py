"""A host's reactions to the accounts and awards events (``Program.subscribe``) on memory
and SQLite: they run in the unit of work of the change, see everything recorded before
the event (a bulk registration's batch included), and a failing one leaves nothing.
"""

from __future__ import annotations

import pytest

from _programs import ProgramFactory
from symprogram.accounts import ContactDetails
from symprogram.accounts.events import CandidateRegistered
from symprogram.errors import PermissionDenied

BACKENDS = ["memory", "sqlite"]


def contact(email: str) -> ContactDetails:
    """Contact details for ``email``."""
    return ContactDetails(
        email=email,
        given_name="Ada",
        family_name="Lovelace",
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )


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
