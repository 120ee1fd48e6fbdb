"""A switch turned on after "unsubscribe from all e-mail" lifts it for its purpose only.

The defect: after an opt-out of the e-mail channel, turning the newsletters switch on
recorded a grant of ``channel.email`` for every purpose, so special offers, research,
virus alerts, ... became allowed by e-mail, the person joined the special-offers
audience and the account's offers setting read on ("chosen") without ever being
chosen. Now only the switched-on purpose becomes usable by e-mail; every other use or
sharing stays off by e-mail, whatever the person had chosen about it before.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent import ContactChannel, LegalBasis, PurposeKind

MARKETING = {"newsletters": "newsletters", "offers": "special_offers"}
_EXAMPLES = itertools.count()

#: The uses and sharing the default policy declares and a person may stop.
STOPPABLE = (
    "virus_alerts",
    "product_upgrades",
    "new_products",
    "newsletters",
    "research",
    "relevant_content",
    "special_offers",
    "product_improvement",
    "partner_sharing",
)


def _active(program: Program) -> str:
    return register_active(program, f"p{next(_EXAMPLES)}@example.com")


def _advance(program: Program) -> None:
    clock = program.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=1))


@given(
    category=st.sampled_from(sorted(MARKETING)),
    earlier=st.dictionaries(
        st.sampled_from(STOPPABLE), st.sampled_from(["grant", "opt_out"]), max_size=4
    ),
    unsubscribed=st.sampled_from(["email_reply", "profile_form", "phone"]),
)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_a_switch_on_after_an_email_opt_out_makes_only_its_purpose_usable_by_email(
    make_program: ProgramFactory, category: str, earlier: dict[str, str], unsubscribed: str
) -> None:
    program = make_program("memory")
    cid = _active(program)
    for purpose, choice in sorted(earlier.items()):
        _advance(program)
        getattr(program.consent, choice)(cid, purpose, channel="web_form")
    _advance(program)
    program.consent.opt_out(cid, ContactChannel.EMAIL, channel=unsubscribed)
    _advance(program)

    setting = program.accounts.set_notification_preference(cid, category, True)

    switched = MARKETING[category]
    assert (True, True) == (setting.chosen, setting.effective)
    assert program.consent.may_use(cid, switched, "email").allowed
    assert cid in set(program.consent.iter_audience(switched, "email"))
    for other in MARKETING:
        if other != category:
            kept = program.accounts.get_notification_setting(cid, other)
            assert (False, False) == (kept.chosen, kept.effective), other
    for declared in program.consent.get_policy().purposes:
        if declared.id == switched or declared.basis is LegalBasis.NECESSARY:
            continue
        if declared.kind not in (PurposeKind.USE, PurposeKind.SHARING):
            continue
        decision = program.consent.may_use(cid, declared.id, "email")
        assert not decision.allowed, (declared.id, decision.codes)
        assert cid not in set(program.consent.iter_audience(declared.id, "email")), declared.id
    assert program.verify_all().ok


def test_switching_the_other_category_on_later_takes_effect_too(
    make_program: ProgramFactory,
) -> None:
    """The repro: newsletters on after the e-mail opt-out leaves offers off; switching
    offers on afterwards turns them on, by e-mail too."""
    program = make_program("memory")
    cid = _active(program)
    _advance(program)
    program.consent.opt_out(cid, ContactChannel.EMAIL, channel="profile_form")
    _advance(program)
    program.accounts.set_notification_preference(cid, "newsletters", True)
    offers = program.accounts.get_notification_setting(cid, "offers")
    assert (False, "consent_withheld") == (offers.effective, offers.reason)
    assert not program.consent.may_use(cid, "special_offers", "email").allowed
    _advance(program)
    program.accounts.set_notification_preference(cid, "offers", True)
    offers = program.accounts.get_notification_setting(cid, "offers")
    assert (True, "chosen") == (offers.effective, offers.reason)
    assert cid in set(program.consent.iter_audience("special_offers", "email"))
    assert cid in set(program.consent.iter_audience("newsletters", "email"))
