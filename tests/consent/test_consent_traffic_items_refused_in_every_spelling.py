"""The items the web servers log anonymously are refused as personal data however spelled.

The privacy policy: "While our Web servers may automatically log your IP address,
this information does not identify you and you remain anonymous. ... Such
information is not correlated with any personal information." docs/consent.md
promises the policy's ``traffic.items`` (``domain_names``, ``ip_addresses``,
``browser_types``) are refused in any case, singular or plural, words joined any
way. Before the fix names were split into words at case changes, so ``ipaddress``,
``IPADDRESS``, ``domainnames``, ``browsertypes`` and full-width ``ＩＰ address`` were
accepted as a person's data. A name is now compared by its NFKC case fold with
every character that is not a letter or a digit dropped, singular or plural.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, PolicyCatalogue, rules
from symprogram.errors import ValidationError
from symprogram.storage.memory import MemoryStore

POLICY = PolicyCatalogue.default().latest

# Each traffic item as its words, plural and singular.
WORDS = {
    "domain_names": (("domain", "names"), ("domain", "name")),
    "ip_addresses": (("ip", "addresses"), ("ip", "address")),
    "browser_types": (("browser", "types"), ("browser", "type")),
}
JOINERS = ["", " ", "_", "-", ".", "/", "·", "\u00a0", "\u3000", "\u200b", "\u00ad", "__", " - "]

REPORTED = [
    "ipaddress",
    "IPADDRESS",
    "IpAddress",
    "domainnames",
    "DOMAINNAMES",
    "browsertypes",
    "BROWSERTYPE",
    "\uff29\uff30 address",  # full-width IP
    "\uff49\uff50\uff41\uff44\uff44\uff52\uff45\uff53\uff53",  # full-width ipaddress
    "IP\u200baddress",
    "ip.addresses",
]


def _wide(char: str) -> str:
    """The full-width form of a printable ASCII character (the ideographic space for " ")."""
    if char == " ":
        return "\u3000"
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


@st.composite
def spellings(draw: st.DrawFn) -> str:
    """A traffic item spelled any way: singular or plural, each letter in either case
    and either width, its words joined by any joiner."""
    item = draw(st.sampled_from(sorted(WORDS)))
    words = draw(st.sampled_from(WORDS[item]))
    joiner = draw(st.sampled_from(JOINERS))
    text = joiner.join(words)
    chars = []
    for char in text:
        if draw(st.booleans()):
            char = char.upper()
        if draw(st.booleans()):
            char = _wide(char)
        chars.append(char)
    return "".join(chars)


@given(name=spellings())
def test_every_spelling_of_a_traffic_item_is_refused(name: str) -> None:
    """check_not_traffic refuses any case, width, joiner, singular or plural of a
    traffic item, naming it as given."""
    with pytest.raises(ValidationError) as info:
        rules.check_not_traffic(POLICY, ["email", name])
    assert ("traffic_not_personal_data", "data") == (info.value.code, info.value.field)
    assert [name] == info.value.details["items"]


@given(name=spellings())
def test_every_spelling_has_the_item_spelling_of_the_item(name: str) -> None:
    """item_spelling reads every spelling of an item as the item's singular or plural."""
    spelling = rules.item_spelling(name)
    assert spelling in {"".join(words) for pair in WORDS.values() for words in pair}


@pytest.mark.parametrize("name", ["address", "type", "names", "email", "IP phone"])
def test_names_that_are_not_traffic_items_are_accepted(name: str) -> None:
    """Only the traffic items (and their synonyms: ``ip``, ``domain``, ``browser``, ...,
    rules.TRAFFIC_SYNONYMS) are refused: another word of one, or another name, is not."""
    rules.check_not_traffic(POLICY, [name])


@pytest.mark.parametrize("name", REPORTED)
def test_the_reported_spellings_are_refused_and_nothing_is_written(
    consent: ConsentService, name: str
) -> None:
    """record_personal_data, record_gathered and record_gathered_many refuse each
    reported spelling under the open-ended activity; the subject's ledger is unchanged."""
    consent.record_gathered("s-1", "other_activities", ["name"])
    before = consent.history("s-1")
    attempts = (
        lambda: consent.record_personal_data("s-1", "other_activities", {name: "203.0.113.9"}),
        lambda: consent.record_gathered("s-1", "other_activities", ["name", name]),
        lambda: consent.record_gathered_many([("s-1", "other_activities", [name])]),
    )
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert ("traffic_not_personal_data", [name]) == (
            info.value.code,
            info.value.details["items"],
        )
    assert before == consent.history("s-1")
    assert consent.verify("s-1").ok


@given(name=spellings(), activity=st.sampled_from(["order", "product_registration"]))
def test_a_traffic_item_under_a_declared_activity_is_refused_as_traffic(
    name: str, activity: str
) -> None:
    """The policy's traffic logs are no personal information under any activity: a
    declared activity (which lists what it gathers) refuses a traffic item as
    ``traffic_not_personal_data`` too, not as an item it does not gather."""
    consent = ConsentService(MemoryStore(), FixedClock(datetime(2011, 1, 14, tzinfo=UTC)))
    with pytest.raises(ValidationError) as info:
        consent.record_personal_data("s-1", activity, {name: "203.0.113.9"})
    assert ("traffic_not_personal_data", [name]) == (info.value.code, info.value.details["items"])
