"""A closed account's information goes to no business partner.

The defect: ``accounts.close`` opted the account out of every contact channel only,
so ``may_use(cid, "partner_sharing")`` still allowed handing its data to "Selected
business partners" and the account stayed in ``iter_audience("partner_sharing")``,
although the closure is to stop every purpose, "partner sharing included"
(docs/accounts.md). Now the closure also opts out of every sharing purpose of the
policy in effect, through the consent channel ``account_closure``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram.consent import Channel, PurposeKind

pytestmark = pytest.mark.backends("memory", "sqlite")


def _active(program: Program, email: str) -> str:
    return register_active(program, email)


def test_a_closed_account_is_shared_with_no_partner(
    backend: str, make_program: ProgramFactory
) -> None:
    program = make_program(backend)
    cid = _active(program, "ada@example.com")
    keeps = _active(program, "grace@example.com")
    sharing = [p.id for p in program.consent.get_policy().purposes if p.kind is PurposeKind.SHARING]
    assert sharing
    program.accounts.close(cid, reason="leaving the program")
    for purpose in sharing:
        decision = program.consent.may_use(cid, purpose)
        assert ("opted_out",) == decision.codes, purpose
        assert cid not in set(program.consent.iter_audience(purpose)), purpose
        assert keeps in set(program.consent.iter_audience(purpose)), purpose
    closure = {c.topic: c.channel for c in program.consent.receipt(cid).choices}
    assert all(closure[p] is Channel.ACCOUNT_CLOSURE for p in sharing)
    assert program.verify_all().ok


@given(earlier=st.sampled_from([None, "grant", "opt_out", "global_privacy_control"]))
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_whatever_was_chosen_about_sharing_the_closure_stops_it(
    make_program: ProgramFactory, earlier: str | None
) -> None:
    program = make_program("memory")
    cid = _active(program, f"p{id(earlier)}-{earlier}@example.com")
    if earlier == "global_privacy_control":
        program.consent.global_privacy_control(cid)
    elif earlier is not None:
        getattr(program.consent, earlier)(cid, "partner_sharing", channel="web_form")
    program.accounts.close(cid, reason="leaving the program")
    assert not program.consent.may_use(cid, "partner_sharing").allowed
    assert cid not in set(program.consent.iter_audience("partner_sharing"))


def test_a_closed_accounts_sharing_stays_stopped_for_good(
    backend: str, make_program: ProgramFactory
) -> None:
    """No later grant lifts the closure's stop of a sharing purpose (as for channels):
    ``account_closed``, nothing recorded, still in no partner audience."""
    from symprogram.errors import IllegalTransition

    program = make_program(backend)
    cid = _active(program, "ada@example.com")
    program.accounts.close(cid, reason="leaving the program")
    before = len(program.consent.history(cid))
    with pytest.raises(IllegalTransition) as caught:
        program.consent.grant(cid, "partner_sharing", channel="profile_form")
    assert (caught.value.code, caught.value.details["purpose"]) == (
        "account_closed",
        "partner_sharing",
    )
    assert len(program.consent.history(cid)) == before
    assert cid not in set(program.consent.iter_audience("partner_sharing"))
