"""An account's notification switch is no notice of a privacy-policy change.

The defect: turning the newsletters switch on recorded a grant that "showed" the policy
version in effect, although the switch shows no policy; under a material change that
counted as the person's notice, so the changed use (special offers shared with a new
recipient) was unlocked without the notice and its opt-out instructions. Now the
switch's grants are recorded as not shown (``consent.grant(..., shown=False)``).
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent import ContactChannel, Recipient
from symprogram.errors import ValidationError


def _active(program: Program, email: str) -> str:
    return register_active(program, email)


@given(
    category=st.sampled_from(["newsletters", "offers"]),
    switched_off_first=st.booleans(),
    email_opt_out=st.booleans(),
)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_a_switch_turned_on_leaves_a_material_change_waiting_for_its_notice(
    make_program: ProgramFactory, category: str, switched_off_first: bool, email_opt_out: bool
) -> None:
    program = make_program("memory")
    clock = program.clock
    assert isinstance(clock, FixedClock)
    cid = _active(program, "ada@example.com")
    if switched_off_first:
        program.accounts.set_notification_preference(cid, category, False)
    if email_opt_out:
        program.consent.opt_out(cid, ContactChannel.EMAIL, channel="email_reply")
    old = program.consent.get_policy()
    at = clock.now() + timedelta(days=2)
    ads = Recipient("ads", "Ad network", ("special_offers", "newsletters"))
    change = program.consent.publish_policy(
        attrs.evolve(old, version="2099-01", effective_at=at, recipients=(*old.recipients, ads))
    )
    assert change.material
    clock.set(at)

    program.accounts.set_notification_preference(cid, category, True)

    for entry in program.consent.history(cid):
        if entry.kind == "consent_recorded" and entry.at >= at:
            assert entry.data is not None and entry.data["shown"] is False, entry.data
    assert cid in set(program.consent.iter_subjects_to_notify("2099-01"))
    for purpose in ("special_offers", "newsletters"):
        codes = program.consent.may_use(cid, purpose).codes
        assert ("not_yet_notified_of_material_change",) == codes, purpose


def test_a_grant_made_on_a_form_showing_the_policy_still_counts_as_seen(
    program: Program,
) -> None:
    cid = _active(program, "ada@example.com")
    record = program.consent.grant(cid, "special_offers", channel="web_form")
    assert program.consent.history(cid)[-1].data.get("shown", True) is True
    assert record.policy_version == program.consent.get_policy().version


def test_shown_must_be_a_bool(program: Program) -> None:
    cid = _active(program, "ada@example.com")
    length = len(program.consent.history(cid))
    with pytest.raises(ValidationError) as raised:
        program.consent.grant(cid, "special_offers", channel="web_form", shown="no")  # type: ignore[arg-type]
    assert "invalid_shown" == raised.value.code
    assert length == len(program.consent.history(cid))
