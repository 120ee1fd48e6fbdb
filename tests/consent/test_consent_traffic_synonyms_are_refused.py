"""Traffic data is refused as personal data under its other names too.

The privacy policy: "We may track domain names, IP addresses, and browser types ...
Such information is not correlated with any personal information." Before the fix
only the policy's own ``traffic.items`` (``ip_addresses``, ``browser_types``,
``domain_names``) were refused; ``ip``, ``client_ip``, ``IPv4 address``,
``remote_addr``, ``user_agent`` and ``hostname`` were stored beside the person's name
under ``other_activities``. Every synonym of :data:`rules.TRAFFIC_SYNONYMS`, spelled
any way, is now refused; ordinary personal information is not.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, PolicyCatalogue, rules
from symprogram.errors import ValidationError
from symprogram.storage.memory import MemoryStore

POLICY = PolicyCatalogue.default().latest
JOINERS = ["", " ", "_", "-", ".", "/", "\u00a0", "\u3000", "\u200b", "__", " - "]
ORDINARY = [
    "email",
    "e-mail address",
    "name",
    "full_name",
    "company",
    "company name",
    "phone",
    "phone_number",
    "IP phone",
    "address",
    "postal address",
    "home_address",
    "email_address",
    "order number",
    "order_id",
    "card_number",
    "language",
    "product",
    "problem_description",
]
SYNONYMS = [(kind, synonym) for kind, names in rules.TRAFFIC_SYNONYMS.items() for synonym in names]


def _wide(char: str) -> str:
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


def _plural(word: str) -> str:
    if word.endswith("y"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith("s") else "s")


@st.composite
def synonym_spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A synonym of a traffic kind spelled any way: singular or plural, each letter in
    either case and either width, its words joined by any joiner."""
    kind, synonym = draw(st.sampled_from(SYNONYMS))
    words = synonym.split("_")
    if draw(st.booleans()):
        words[-1] = _plural(words[-1])
    text = draw(st.sampled_from(JOINERS)).join(words)
    chars = []
    for char in text:
        if draw(st.booleans()):
            char = char.upper()
        if draw(st.booleans()):
            char = _wide(char)
        chars.append(char)
    return kind, "".join(chars)


def test_the_table_covers_the_three_kinds_the_policy_logs() -> None:
    assert POLICY.traffic is not None
    assert set(POLICY.traffic.items) == set(rules.TRAFFIC_SYNONYMS)


@given(spelled=synonym_spellings())
def test_every_spelling_of_every_synonym_is_refused(spelled: tuple[str, str]) -> None:
    """check_not_traffic refuses each synonym in any case, width, joiner, singular or
    plural, naming it as given."""
    _, name = spelled
    with pytest.raises(ValidationError) as info:
        rules.check_not_traffic(POLICY, ["email", name])
    assert ("traffic_not_personal_data", [name]) == (
        info.value.code,
        info.value.details["items"],
    )


@given(spelled=synonym_spellings())
def test_a_policy_naming_one_kind_refuses_that_kinds_synonyms_only(
    spelled: tuple[str, str],
) -> None:
    """The synonyms follow the policy's own traffic items, however the policy spells
    them: a policy that logs only IP addresses does not refuse a user agent."""
    kind, name = spelled
    assert POLICY.traffic is not None
    spelled_by_policy = {
        "ip_address": "ip_addresses",
        "browsertype": "browser_types",
        "domain_name": "domain_names",
    }
    for logged, policy_kind in spelled_by_policy.items():
        policy = attrs.evolve(POLICY, traffic=attrs.evolve(POLICY.traffic, items=(logged,)))
        if policy_kind == kind:
            with pytest.raises(ValidationError):
                rules.check_not_traffic(policy, [name])
        else:
            assert [] == rules.traffic_names(policy, [name])


@given(name=st.sampled_from(ORDINARY), joiner=st.sampled_from(JOINERS), upper=st.booleans())
def test_ordinary_personal_information_is_not_refused(name: str, joiner: str, upper: bool) -> None:
    spelled = joiner.join(name.replace("_", " ").split(" "))
    rules.check_not_traffic(POLICY, [spelled.upper() if upper else spelled])


@pytest.mark.parametrize(
    "name", ["ip", "client_ip", "IPv4 address", "remote_addr", "user_agent", "hostname"]
)
def test_the_reported_names_are_refused_and_nothing_is_written(name: str) -> None:
    """The names of the report, beside the person's name under the open-ended activity:
    refused, the subject's file and ledger unchanged."""
    consent = ConsentService(MemoryStore(), FixedClock(datetime(2012, 3, 1, 12, tzinfo=UTC)))
    consent.record_personal_data("cust-42", "other_activities", {"name": "Ada Lovelace"})
    before = consent.history("cust-42")
    with pytest.raises(ValidationError) as info:
        consent.record_personal_data(
            "cust-42", "other_activities", {"name": "Ada Lovelace", name: "203.0.113.7"}
        )
    assert ("traffic_not_personal_data", [name]) == (info.value.code, info.value.details["items"])
    assert before == consent.history("cust-42")
    assert ["name"] == [d.name for d in consent.personal_data("cust-42").data]
