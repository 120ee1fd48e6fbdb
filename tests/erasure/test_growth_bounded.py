"""Growth bounded (issue 17): trying a disclosure code, valid or not, cannot grow the
holder's history or the store without bound, and a stranger cannot make the holder's
``verify`` slower."""

from __future__ import annotations

from datetime import timedelta

import pytest
from erasure_helpers import register
from hypothesis import given
from hypothesis import strategies as st

from symprogram import Program
from symprogram.awards._rules_verifications import (
    LOGGED_PER_DAY,
    count_verification,
    count_verification_reference,
)
from symprogram.awards.ports import TALLY_KIND
from symprogram.clock import FixedClock
from symprogram.errors import NotFound

pytestmark = pytest.mark.backends("memory", "sqlite")

OUTCOMES = ("shown", "recipient_mismatch", "disclosure_revoked", "disclosure_expired")


def _published(program: Program) -> tuple[str, str, str]:
    """A candidate holding an award published to a third party: (cid, code, disclosure id)."""
    clock = program.clock
    assert isinstance(clock, FixedClock)
    cid = register(program, email="holder@example.com", given_name="Hol", family_name="Der")
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=clock.now())
    program.awards.evaluate(cid)
    published = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    return cid, published.code, published.disclosure.disclosure_id


def _records(program: Program, kind: str) -> int:
    with program.store.transaction(readonly=True) as tx:
        return len(tx.scan(kind, limit=10_000))


def test_2000_verifications_keep_the_holders_history_bounded(program: Program) -> None:
    """2,000 verifications of one valid code add one history entry (the day's first of
    its outcome), at most LOGGED_PER_DAY log entries and one tally, which counts all."""
    cid, code, did = _published(program)
    before = len(program.history.history(cid))

    for _ in range(2000):
        program.awards.verify_disclosure(code)

    assert before + 1 == len(program.history.history(cid))
    assert LOGGED_PER_DAY == len(program.awards.verification_log(cid, did))
    day = program.clock.now().date()
    assert ((day, "shown", 2000),) == program.awards.verification_counts(cid, did)
    assert 1 == _records(program, TALLY_KIND)
    assert program.history.verify(cid).ok


def test_5000_unknown_codes_write_one_tally_and_a_short_log(program: Program) -> None:
    """Unknown codes are counted in one tally per day; only the day's first few are
    logged one by one, so 5,000 tries cannot grow the store by 5,000 entries."""
    for number in range(5000):
        with pytest.raises(NotFound):
            program.awards.verify_disclosure(f"no-such-code-{number:05d}")

    with program.store.transaction(readonly=True) as tx:
        logged = tx.stream_length("award_verifications:-")
        (tally,) = tx.scan(TALLY_KIND, limit=10)
    assert LOGGED_PER_DAY == logged
    assert '{"counts":{"unknown_code":5000}}' == tally.data


def test_each_new_day_and_outcome_counts_once_in_the_history(program: Program) -> None:
    """The history gets the first verification of each outcome per day, no more."""
    cid, code, did = _published(program)
    clock = program.clock
    assert isinstance(clock, FixedClock)
    before = len(program.history.history(cid))
    for _ in range(3):
        program.awards.verify_disclosure(code)
        program.awards.verify_disclosure(code, recipient_email="other@example.com")
    clock.advance(timedelta(days=1))
    program.awards.verify_disclosure(code)

    kinds = [e.kind for e in program.history.history(cid)[before:]]
    assert ["disclosure_verified"] * 3 == kinds
    assert 7 == sum(count for _, _, count in program.awards.verification_counts(cid, did))


@given(
    history=st.lists(st.sampled_from(OUTCOMES), max_size=40),
    outcome=st.sampled_from(OUTCOMES),
    limit=st.integers(min_value=1, max_value=30),
)
def test_the_one_pass_count_agrees_with_the_reference(
    history: list[str], outcome: str, limit: int
) -> None:
    """count_verification on a tally equals the plain reference on the day's outcomes."""
    counts = {name: history.count(name) for name in dict.fromkeys(history)}

    fast = count_verification(counts, outcome, logged_per_day=limit)
    plain = count_verification_reference(history, outcome, logged_per_day=limit)

    assert (dict(plain.counts), plain.log, plain.record) == (
        dict(fast.counts),
        fast.log,
        fast.record,
    )
