"""The consent journey (issue 6): policies and their scope, grants, withdrawals,
opt-outs, receipts, audiences, notices and erasure, each bullet exercised through
``Program`` on every backend."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from integration_helpers import START, clock_of, raw_rows

from _programs import ProgramFactory, db_path
from symprogram import Program
from symprogram.consent import Channel, ConsentReceipt, ContactChannel, LegalBasis
from symprogram.errors import NotFound, SymprogramError, ValidationError
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
    policy = program.consent.get_policy()
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
    assert (START, "web_form", program.consent.get_policy().version) == (
        reason.fact("at"),
        reason.fact("channel"),
        reason.fact("policy_version"),
    )


def test_never_asked_opt_in_is_denied_and_necessary_is_allowed(
    backend: str, make_program: ProgramFactory
) -> None:
    """Never asked + opt-in purpose: denied; necessary for a chosen transaction: allowed.

    On the opt-in reading of the policy, where research needs consent first (the
    document's reading makes it opt-out)."""
    program = make_program(backend, options={"consent": {"settings": {"policy": "opt_in"}}})
    program.consent.record_gathered("s-1", "other_activities", ["name"])  # registered
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
    program.consent.record_gathered("s-1", "other_activities", ["name"])  # registered
    assert program.consent.may_use("s-1", "partner_sharing").allowed
    program.consent.global_privacy_control("s-1")
    assert ("opted_out",) == program.consent.may_use("s-1", "partner_sharing").codes
    assert program.consent.may_use("s-1", "newsletters").allowed


def test_channel_and_cookie_opt_outs(program: Program) -> None:
    """Opting out of a contact channel or a cookie category denies exactly that."""
    program.consent.record_gathered("s-1", "other_activities", ["name"])  # registered
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
    version = program.consent.get_policy().version
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
            assert expected == sorted(program.consent.iter_audience(purpose, channel, batch=5))


def test_forum_and_cobranded_notices(program: Program) -> None:
    """The forum notice says posts are public; a co-branded site lists its partners,
    who then appear as recipients in the decision."""
    assert "public" in program.consent.forum_notice().text
    notice = program.consent.cobranded_notice("shopsymantec.com")
    program.consent.grant("s-1", "special_offers", channel="web_form", site="shopsymantec.com")
    decision = program.consent.may_use("s-1", "special_offers")
    assert set(notice.recipients) <= set(decision.detail("recipients"))


def test_consent_grant_withdraw_denies(program: Program) -> None:
    """grant -> withdraw -> may_use denies ("withdraw after grant always denies"), and
    withdrawing through another channel is one call."""
    consent = program.consent
    consent.grant("cust-42", "special_offers", channel="web_form", evidence="box ticked")
    assert consent.may_use("cust-42", "special_offers", channel="email").allowed
    clock_of(program).advance(timedelta(hours=1))
    consent.withdraw("cust-42", "special_offers", channel="phone")
    decision = consent.may_use("cust-42", "special_offers", channel="email")
    assert not decision.allowed
    assert decision.has("withdrawn")
    assert consent.verify("cust-42").ok
    assert "cust-42" not in set(consent.iter_audience("special_offers", "email"))


MARKERS = (
    "Zebulon Quxworthy",
    "zq-marker@example.org",
    "77 Quxworthy Lane",
    "QX-CARD-4111111111111111",
    "Zebulon Q. Corrected",
    "evidence-zq-9f1",
)


def test_erasure_leaves_no_personal_data_in_the_sqlite_file(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """After ``consent.erase`` no personal data is left in any table of the SQLite file
    nor anywhere in its raw bytes after closing (issue 6: "erasure leaves no personal
    data in any table of the SQLite file"), and the ledger still verifies."""
    with make_program("sqlite") as program:
        consent = program.consent
        consent.grant("subj-1", "special_offers", channel="web_form", evidence=MARKERS[5])
        consent.record_personal_data("subj-1", "order", {"name": MARKERS[0], "address": MARKERS[2]})
        request = consent.request_correction("subj-1", {"name": MARKERS[4]})
        consent.complete_correction("subj-1", request.id)
        consent.grant("subj-2", "research", channel="web_form", evidence="other person")
        text = repr(consent.export("subj-1"))
        assert MARKERS[4] in text
        clock_of(program).advance(timedelta(minutes=5))
        consent.erase("subj-1")
        assert consent.verify("subj-1").ok
        assert not consent.may_use("subj-1", "special_offers").allowed
        assert consent.verify("subj-2").ok
    path = db_path(tmp_path)
    for table in ("sp_records", "sp_index", "sp_streams"):
        dump = repr(raw_rows(path, table))
        for marker in (MARKERS[0], MARKERS[2], MARKERS[4], MARKERS[5]):
            assert marker not in dump, (table, marker)
    files = [path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    for marker in (MARKERS[0], MARKERS[2], MARKERS[4], MARKERS[5]):
        assert marker.encode() not in raw, marker
    assert b"other person" in raw  # control: the other subject's data is still there


def test_erased_subject_cannot_be_written_again(program: Program) -> None:
    """After erasure nothing more is recorded about the subject (IllegalTransition)."""
    program.consent.grant("subj-9", "research", channel="web_form")
    program.consent.erase("subj-9")
    with pytest.raises(SymprogramError) as caught:
        program.consent.grant("subj-9", "research", channel="web_form")
    assert "subject_erased" == caught.value.code
    with pytest.raises(NotFound):
        program.consent.erase("never-seen")


@pytest.mark.parametrize(
    "item",
    [
        *("ip_addresses", "IP_Address", "domain_names", "browser_type"),
        *("IP address", "ip-address", "IPAddress", "domain name", "Browser-Type", "browserTypes"),
    ],
)
def test_traffic_logs_are_never_correlated_with_personal_information(
    program: Program, item: str
) -> None:
    """ "While our Web servers may automatically log your IP address, this information
    does not identify you and you remain anonymous. ... Such information is not
    correlated with any personal information.": what the servers log (the policy's
    ``traffic.items``) is refused as a person's data, even under the open-ended
    activity, with ``traffic_not_personal_data``; nothing is written."""
    consent = program.consent
    assert program.consent.get_policy().traffic is not None
    consent.record_gathered("s-1", "other_activities", ["name"])
    before = consent.history("s-1")
    attempts = (
        lambda: consent.record_gathered("s-1", "other_activities", ["name", item]),
        lambda: consent.record_personal_data("s-1", "other_activities", {item: "10.1.2.3"}),
        lambda: consent.record_gathered_many([("s-1", "other_activities", [item])]),
    )
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert ("traffic_not_personal_data", "data") == (info.value.code, info.value.field)
        assert [item] == info.value.details["items"]
    assert before == consent.history("s-1")


@pytest.mark.parametrize("site", ["example.org", "notsymantec.com", "symantec.com.evil.example"])
def test_choices_and_data_from_a_site_the_policy_does_not_cover_are_refused(
    program: Program, site: str
) -> None:
    """ "This Privacy Policy applies to symantec.com hosted web sites.": a choice made,
    or information gathered, on a site outside the policy's scope (not one of its
    sites, not a co-branded site it links to, nor a subdomain of either) is refused
    with ``site_not_covered``, and nothing is written."""
    consent = program.consent
    consent.grant("s-1", "special_offers", channel="web_form")
    before = consent.history("s-1")
    attempts = (
        lambda: consent.grant("s-1", "research", channel="web_form", site=site),
        lambda: consent.refuse("s-1", "research", channel="web_form", site=site),
        lambda: consent.record_gathered("s-1", "other_activities", ["name"], site=site),
        lambda: consent.record_personal_data("s-1", "other_activities", {"name": "A"}, site=site),
    )
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert ("site_not_covered", "site") == (info.value.code, info.value.field)
    assert before == consent.history("s-1")


@pytest.mark.parametrize(
    "site", ["symantec.com", "www.symantec.com", "WWW.Symantec.COM", "shopsymantec.com", None]
)
def test_choices_on_the_policys_own_and_co_branded_sites_are_recorded(
    program: Program, site: str | None
) -> None:
    """The policy's own sites, their subdomains and the co-branded sites it links to
    ("We also link to co-branded web sites") are in its scope; so is no site named."""
    program.consent.grant("s-1", "research", channel="web_form", site=site)
    assert program.consent.may_use("s-1", "research").allowed
