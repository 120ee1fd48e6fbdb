"""Saying no to partner sharing takes the co-branded site's partners off every use.

The privacy policy: "If you prefer that we not provide your information to our
business partners, you may let us know", and of co-branded sites: "you may be
submitting it to both Symantec and our business partners". Before the fix, a
person who ordered on www.shopsymantec.com and then opted out of partner sharing
(or sent a Global Privacy Control signal) was still answered with
"ShopSymantec business partners" among the recipients of special offers,
newsletters and research. The uses themselves stay allowed (they are Symantec's);
only the partners are dropped. The answer about partner sharing itself, denied,
still names whom it would share with.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import Choice, ConsentService, PolicyCatalogue, rules

T0 = datetime(2011, 1, 14, tzinfo=UTC)
PARTNERS = "ShopSymantec business partners"
USES = ("special_offers", "newsletters", "research", "virus_alerts", "purchases_downloads")


@settings(max_examples=200, deadline=None)
@given(
    said=st.none() | st.sampled_from(Choice),
    channel=st.sampled_from(["web_form", "browser_signal", "profile_form", "email_reply"]),
    purpose=st.sampled_from(USES),
    site=st.sampled_from(["www.shopsymantec.com", "shopsymantec.com", "www.symantec.com"]),
)
def test_partners_are_recipients_only_while_partner_sharing_stands(
    said: Choice | None, channel: str, purpose: str, site: str
) -> None:
    """The co-branded partners are among a use's recipients iff the subject used the
    co-branded site and has no standing no to partner sharing."""
    catalogue = PolicyCatalogue.default()
    gathered = {"policy_version": "2005-07", "shown": False, "site": site}
    entries: list[tuple[str, dict[str, object], datetime, int]] = [
        ("data_collected", gathered, T0, 1)
    ]
    if said is not None:
        choice = {"topic": "partner_sharing", "choice": said.value, "channel": channel}
        entries.append(("consent_recorded", {**choice, "policy_version": "2005-07"}, T0, 2))
    state = rules.replay("cust-1", entries)
    decision = rules.decide(state, catalogue, purpose, T0)
    cobranded = "shopsymantec" in site
    expected = cobranded and said in (None, Choice.GRANTED)
    assert expected == (PARTNERS in decision.detail("recipients")), decision.details
    assert decision.allowed  # the use itself is not touched
    sharing = rules.decide(state, catalogue, "partner_sharing", T0)
    assert (PARTNERS in sharing.detail("recipients")) == cobranded


def test_the_probes_case(consent: ConsentService, clock: FixedClock) -> None:
    """An order on ShopSymantec, a GPC signal: no partner among the recipients."""
    consent.record_personal_data(
        "cust-42", "order", {"name": "Ada Lovelace"}, site="www.shopsymantec.com"
    )
    assert PARTNERS in consent.may_use("cust-42", "special_offers").detail("recipients")
    consent.global_privacy_control("cust-42")
    for purpose in ("special_offers", "newsletters", "research"):
        decision = consent.may_use("cust-42", purpose, "email")
        assert decision.allowed
        assert PARTNERS not in decision.detail("recipients")
    consent.grant("cust-42", "partner_sharing", channel="web_form")
    assert PARTNERS in consent.may_use("cust-42", "special_offers").detail("recipients")
