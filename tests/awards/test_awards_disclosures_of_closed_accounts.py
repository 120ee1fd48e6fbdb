"""A closed account's earlier disclosures show nothing to a verifier.

"Through your account you can also ... publish your certifications to third parties
via email." (the Terms of Use v.2007.507): a disclosure is made through the account,
and a closed account (closure is final) neither publishes (``account_not_active``)
nor keeps showing what it published. Verifying an earlier code of a closed account
answers like a revoked disclosure -- no awards, no holder name -- with
``reason="account_closed"``; the disclosure itself is not changed by the
verification (only counted, as every verification is). The Terms say nothing of
suspension, which can be undone: a suspended account's disclosures still show. An
erased account's disclosures were revoked by the erasure (``disclosure_revoked``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from _programs import register_active
from symprogram import Program
from symprogram.awards import (
    AwardCatalogue,
    CandidateAwards,
    Disclosure,
    DisclosureStatus,
    KitAddress,
    StaticCandidateDirectory,
    rules,
)

T0 = datetime(2012, 3, 1, tzinfo=UTC)


def _published(program: Program, email: str) -> tuple[str, str]:
    """An active candidate holding SCS Endpoint who published it; (candidate ID, code)."""
    cid = register_active(program, email)
    taken = program.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)
    code = program.awards.publish(cid, ["scs-endpoint"], "hiring@example.com").code
    return cid, code


def test_verifying_a_closed_accounts_disclosure_shows_nothing(program: Program) -> None:
    """After closure an earlier code shows no awards and no name, reason ``account_closed``;
    the disclosure record is unchanged and everything still verifies."""
    cid, code = _published(program, "cal@example.com")
    assert ("scs-endpoint",) == tuple(
        a.award_id for a in program.awards.verify_disclosure(code).awards
    )
    program.accounts.close(cid, "leaving the program")
    before = program.awards.disclosures_of(cid)
    view = program.awards.verify_disclosure(code)
    assert ((), None, "account_closed") == (view.awards, view.holder_name, view.reason)
    assert DisclosureStatus.ACTIVE is view.status  # the disclosure itself was not revoked
    assert before == program.awards.disclosures_of(cid)
    assert before[0].revoked_at is None
    assert program.verify_all().ok


def test_a_closed_accounts_disclosure_is_counted_with_its_outcome(program: Program) -> None:
    """The verification is counted and logged like any other, as ``account_closed``."""
    cid, code = _published(program, "cal@example.com")
    program.accounts.close(cid)
    program.awards.verify_disclosure(code)
    did = program.awards.disclosures_of(cid)[0].disclosure_id
    assert ["account_closed"] == [r.outcome for r in program.awards.verification_log(cid, did)]


def test_the_right_recipient_of_a_closed_account_sees_nothing(program: Program) -> None:
    """Naming the recipient does not bring the awards back; naming another still says
    ``recipient_mismatch`` (a stranger learns no more than before)."""
    cid, code = _published(program, "cal@example.com")
    program.accounts.close(cid)
    right = program.awards.verify_disclosure(code, recipient_email="HIRING@example.com")
    wrong = program.awards.verify_disclosure(code, recipient_email="other@example.com")
    assert ((), None, "account_closed") == (right.awards, right.holder_name, right.reason)
    assert "recipient_mismatch" == wrong.reason


def test_a_directory_says_which_accounts_are_closed() -> None:
    """The in-memory directory: ``account_closed=True`` is closed (and so not active)."""
    directory = StaticCandidateDirectory()
    ada = KitAddress("Ada", "ada@example.com", ("1 Main St", "Springfield"))
    directory.add("c-1", ada)
    directory.add("c-2", ada, account_active=False)
    directory.add("c-3", ada, account_closed=True)
    closed = tuple(directory.account_closed(c) for c in ("c-1", "c-2", "c-3", "c-4"))
    assert (False, False, True, False) == closed
    assert not directory.account_active("c-3")


@given(
    revoked=st.booleans(),
    expired=st.booleans(),
    closed=st.booleans(),
)
def test_the_view_rule_hides_an_active_disclosure_of_a_closed_account(
    revoked: bool, expired: bool, closed: bool
) -> None:
    """``rules.disclosure_view``: a closed account's active disclosure shows nothing with
    ``account_closed``; a revoked or expired one keeps its own reason either way."""
    disclosure = Disclosure(
        disclosure_id="d-1",
        candidate_id="c-1",
        award_ids=("scs-endpoint",),
        holder_name="Ada",
        recipient_hash="h",
        recipient_salt=None,
        code_digest="x",
        created_at=T0,
        expires_at=T0 + timedelta(days=30),
        revoked_at=T0 + timedelta(days=1) if revoked else None,
    )
    at = T0 + timedelta(days=40 if expired else 2)
    state = attrs.evolve(CandidateAwards("c-1"), disclosure_ids=("d-1",))
    view = rules.disclosure_view(
        disclosure, state, at, AwardCatalogue.default(), account_closed=closed
    )
    status = disclosure.status_at(at)
    if status is not DisclosureStatus.ACTIVE:
        expected = f"disclosure_{status.value}"
    else:
        expected = "account_closed" if closed else None
    assert expected == view.reason
    if expected is not None:
        assert ((), None) == (view.awards, view.holder_name)
