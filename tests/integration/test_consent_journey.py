"""Issue 6 (consent) conformance: each bullet exercised through ``Program``."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conformance_helpers import START, clock_of

from symprogram import Program
from symprogram.consent import Channel, ConsentReceipt, ContactChannel, LegalBasis
from symprogram.serialization import dumps, loads

SEED_PURPOSES = {
    "virus_alerts",
    "product_upgrades",
    "new_products",
    "newsletters",
    "research",
    "relevant_content",
    "special_offers",
    "product_improvement",
    "purchases_downloads",
    "finding_information",
}


def test_policy_declares_scope_purposes_activities_recipients_and_transfers(
    program: Program,
) -> None:
    """The seed's policy: version, effective date, scope (and the referral for the other
    domain), every purpose with a legal basis, data gathered per activity, the three
    kinds of recipient and the EU -> US -> EU transfer."""
    policy = program.consent.policy()
    assert policy.version and policy.effective_at <= START
    assert ("symantec.com",) == policy.sites
    assert ["veritas.com"] == [r.site for r in policy.referrals]
    bases = {p.id: p.basis for p in policy.purposes}
    assert SEED_PURPOSES <= set(bases)
    assert {LegalBasis(b) for b in bases.values()} <= set(LegalBasis)
    assert LegalBasis.NECESSARY == bases["purchases_downloads"]
    activities = {a.id: set(a.data) for a in policy.activities}
    assert {"name", "address", "card_number"} <= activities["order"]
    assert {"hardware", "software", "problem_description"} <= activities["service_request"]
    assert {
        "order",
        "product_registration",
        "service_request",
        "survey",
        "contest",
        "correspondence",
    } <= set(activities)
    assert {"business_partners", "contractors", "officials"} <= {r.id for r in policy.recipients}
    assert [("EU", "US", "EU")] == [t.route for t in policy.transfers]


def test_grant_reason_names_date_channel_and_policy_version(program: Program) -> None:
    """may_use explains a grant with its date, channel and policy version."""
    program.consent.grant("s-1", "research", channel="web_form", evidence="box 3")
    decision = program.consent.may_use("s-1", "research")
    assert decision.allowed
    reason = decision.reasons[0]
    assert (START, "web_form", program.consent.policy().version) == (
        reason.fact("at"),
        reason.fact("channel"),
        reason.fact("policy_version"),
    )


def test_never_asked_opt_in_is_denied_and_necessary_is_allowed(program: Program) -> None:
    """Never asked + opt-in purpose: denied; necessary for a chosen transaction: allowed."""
    program.consent.record_notice("s-1", program.consent.policy().version)
    assert not program.consent.may_use("s-1", "research").allowed
    assert program.consent.may_use("s-1", "purchases_downloads").allowed


@pytest.mark.parametrize("channel", [c.value for c in Channel if c.value != "browser_signal"])
def test_withdrawing_is_one_call_through_any_channel(program: Program, channel: str) -> None:
    """Withdrawal after a web-form grant, through any channel, denies at once."""
    program.consent.grant("s-1", "special_offers", channel="web_form")
    clock_of(program).advance(timedelta(minutes=1))
    program.consent.withdraw("s-1", "special_offers", channel=channel)
    decision = program.consent.may_use("s-1", "special_offers")
    assert (False, ("withdrawn",)) == (decision.allowed, decision.codes)


def test_gpc_opts_out_of_sharing_only(program: Program) -> None:
    """A Global Privacy Control signal is an opt-out of partner sharing, nothing else."""
    program.consent.record_notice("s-1", program.consent.policy().version)
    assert program.consent.may_use("s-1", "partner_sharing").allowed
    program.consent.global_privacy_control("s-1")
    assert ("opted_out",) == program.consent.may_use("s-1", "partner_sharing").codes
    assert program.consent.may_use("s-1", "newsletters").allowed


def test_channel_and_cookie_opt_outs(program: Program) -> None:
    """Opting out of a contact channel or a cookie category denies exactly that."""
    program.consent.record_notice("s-1", program.consent.policy().version)
    program.consent.opt_out("s-1", ContactChannel.PHONE, channel="postal_mail")
    assert not program.consent.may_use("s-1", "newsletters", channel="phone").allowed
    assert program.consent.may_use("s-1", "newsletters", channel="email").allowed
    program.consent.opt_out("s-1", "cookies.tracking", channel="web_form")
    assert not program.consent.may_use("s-1", "cookies.tracking").allowed
    assert program.consent.may_use("s-1", "cookies.necessary").allowed
    program.consent.opt_out("s-1", "newsletters", channel="email_reply")
    assert ("opted_out",) == program.consent.may_use("s-1", "newsletters").codes


def test_receipt_is_machine_readable_and_verifies(program: Program) -> None:
    """receipt(subject) serializes to JSON with the current state and full history."""
    program.consent.grant("s-1", "research", channel="web_form", evidence="box 3")
    program.consent.withdraw("s-1", "research", channel="phone")
    receipt = program.consent.receipt("s-1")
    data = json.loads(dumps(receipt))
    assert (2, True) == (len(data["history"]), data["verified"])
    assert [("research", "withdrawn", "phone")] == [
        (c["topic"], c["choice"], c["channel"]) for c in data["choices"]
    ]
    assert receipt == loads(dumps(receipt), ConsentReceipt)


def test_audience_equals_filtering_may_use(program: Program) -> None:
    """audience(purpose, channel) yields exactly the subjects may_use allows."""
    version = program.consent.policy().version
    subjects = [f"s-{n:02d}" for n in range(12)]
    for n, subject in enumerate(subjects):
        program.consent.record_notice(subject, version)
        if n % 3 == 0:
            program.consent.grant(subject, "special_offers", channel="web_form")
        if n % 4 == 0:
            program.consent.opt_out(subject, ContactChannel.EMAIL, channel="profile_form")
        if n % 5 == 0:
            program.consent.global_privacy_control(subject)
    for purpose in ("special_offers", "newsletters", "partner_sharing"):
        for channel in (None, "email", "phone"):
            expected = [
                s for s in subjects if program.consent.may_use(s, purpose, channel=channel).allowed
            ]
            assert expected == sorted(program.consent.audience(purpose, channel, batch=5))


def test_forum_and_cobranded_notices(program: Program) -> None:
    """The forum notice says posts are public; a co-branded site lists its partners,
    who then appear as recipients in the decision."""
    assert "public" in program.consent.forum_notice().text
    notice = program.consent.cobranded_notice("shopsymantec.com")
    program.consent.grant("s-1", "special_offers", channel="web_form", site="shopsymantec.com")
    decision = program.consent.may_use("s-1", "special_offers")
    assert set(notice.recipients) <= set(decision.detail("recipients"))
