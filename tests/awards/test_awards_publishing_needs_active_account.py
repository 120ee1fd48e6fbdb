"""Only an active account publishes its certifications to third parties.

"Through your account you can also log incidents for follow up; communicate with
customer support; and publish your certifications to third parties via email."
and "New users to the system will be issued a candidate ID and advised of steps to
complete the account activation process." (the Terms of Use v.2007.507)

An account pending activation, suspended or closed is refused with
``PermissionDenied account_not_active``; nothing is written and no e-mail goes to
the third party. An erased account still answers ``account_erased`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import register_active, register_form
from symprogram import Program
from symprogram.awards import KitAddress, StaticCandidateDirectory, rules
from symprogram.awards.messages import DISCLOSURE_KIND
from symprogram.errors import PermissionDenied
from symprogram.notify import Outbox


def _earn(program: Program, cid: str) -> None:
    """The candidate earns SCS Endpoint (its two exams, passed yesterday)."""
    taken = program.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)


def _pending(program: Program) -> str:
    """Registered, never activated, with the award earned."""
    register_form(program.accounts, "pat@example.com")
    found = program.accounts.find_by_email("pat@example.com")
    assert found is not None
    cid = str(found.candidate_id)
    _earn(program, cid)
    return cid


def _suspended(program: Program) -> str:
    """Earned while active, then suspended."""
    cid = register_active(program, "sue@example.com")
    _earn(program, cid)
    program.accounts.suspend(cid, "chargeback")
    return cid


def _closed(program: Program) -> str:
    """Earned while active, then closed."""
    cid = register_active(program, "cal@example.com")
    _earn(program, cid)
    program.accounts.close(cid, "leaving the program")
    return cid


def _disclosures_sent(program: Program) -> int:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return len([m for m in outbox.messages if m.kind == DISCLOSURE_KIND])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_pending, id="pending_activation"),
        pytest.param(_suspended, id="suspended"),
        pytest.param(_closed, id="closed"),
    ],
)
def test_an_account_that_is_not_active_publishes_nothing(
    program: Program, make: Callable[[Program], str]
) -> None:
    """``account_not_active``; the awards record unchanged, no e-mail to the third party."""
    cid = make(program)
    before = program.awards.disclosures_of(cid)
    sent = _disclosures_sent(program)
    with pytest.raises(PermissionDenied) as caught:
        program.awards.publish(cid, ["scs-endpoint"], "hiring@example.com")
    assert "account_not_active" == caught.value.code
    assert before == program.awards.disclosures_of(cid) == ()
    assert sent == _disclosures_sent(program)
    assert program.verify_all().ok


def test_a_reinstated_account_publishes_again(program: Program) -> None:
    """Suspension refuses; once reinstated (active again) the same call publishes."""
    cid = _suspended(program)
    with pytest.raises(PermissionDenied):
        program.awards.publish(cid, ["scs-endpoint"], "hiring@example.com")
    program.accounts.reinstate(cid)
    published = program.awards.publish(cid, ["scs-endpoint"], "hiring@example.com")
    assert ("scs-endpoint",) == published.disclosure.award_ids
    assert 1 == _disclosures_sent(program)


def test_a_directory_answers_whether_the_account_is_active() -> None:
    """The in-memory directory: unknown and inactive candidates are not active."""
    directory = StaticCandidateDirectory()
    ada = KitAddress("Ada", "ada@example.com", ("1 Main St", "Springfield"))
    directory.add("c-1", ada)
    directory.add("c-2", ada, account_active=False)
    assert (True, False, False) == tuple(directory.account_active(c) for c in ("c-1", "c-2", "c-3"))


@given(active=st.booleans(), accepted=st.booleans())
def test_the_publishing_rule_refuses_exactly_the_inactive_or_unaccepted(
    active: bool, accepted: bool
) -> None:
    """``rules.require_may_publish``: allowed iff active and accepted; an inactive
    account is named first."""
    if active and accepted:
        rules.require_may_publish(account_active=active, terms_accepted=accepted)
        return
    with pytest.raises(PermissionDenied) as caught:
        rules.require_may_publish(account_active=active, terms_accepted=accepted)
    expected = "account_not_active" if not active else "terms_not_accepted"
    assert expected == caught.value.code
