"""The memos of the rules every recording of gathered data runs: the same answers as
the plain rules.

``check_item_names`` answers a tuple of ``str`` it accepted before from a memo (a
registration gathers the same item names every time), and ``check_not_traffic``
reads the forms of a policy's traffic items from a cache. Each keeps its plain
version; these properties check that the memoised rule and the plain one agree,
accepted or refused, asked once or again.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.consent import PolicyCatalogue
from symprogram.consent import _rules_data as data_rules
from symprogram.errors import SymprogramError, ValidationError

_NAME = st.one_of(
    st.sampled_from(["email", "given_name", "IP_Address", "ip_addresses", "phone", " "]),
    st.text(max_size=12),
    st.text(min_size=195, max_size=205, alphabet="ab"),
)
_NAMES = st.one_of(
    st.lists(_NAME, max_size=8).map(tuple),
    st.lists(_NAME, max_size=8),
    st.lists(_NAME, min_size=49, max_size=52).map(tuple),
    st.tuples(_NAME, st.integers()),
    st.just("email"),
    st.none(),
)


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except SymprogramError as exc:
        return type(exc).__name__, (exc.code, exc.field, exc.details)


@given(_NAMES)
def test_check_item_names_answers_as_the_plain_rule_again_and_again(names: Any) -> None:
    plain = _outcome(data_rules.check_item_names_plain, names)
    assert _outcome(data_rules.check_item_names, names) == plain
    assert _outcome(data_rules.check_item_names, names) == plain  # from the memo when kept


def test_check_item_names_answers_an_accepted_tuple_from_its_memo() -> None:
    names = ("given_name", "email", "company_name")
    first = data_rules.check_item_names(names)
    assert first == ("company_name", "email", "given_name")
    assert data_rules.check_item_names(names) is first
    assert data_rules.check_item_names(list(names)) == first  # not a tuple: checked afresh


def test_check_item_names_memo_keeps_no_refusal_and_stays_bounded() -> None:
    refused = ("email", "bad\x00name")
    for _ in range(2):
        assert _outcome(data_rules.check_item_names, refused)[0] == "ValidationError"
    assert refused not in data_rules._CHECKED_NAMES
    for n in range(data_rules._CHECKED_NAMES_MAX + 10):
        data_rules.check_item_names((f"item_{n}",))
    assert len(data_rules._CHECKED_NAMES) <= data_rules._CHECKED_NAMES_MAX


_ITEMS = st.lists(
    st.one_of(st.sampled_from(["ip_addresses", "domain_names", "browser_types"]), st.text()),
    max_size=5,
).map(tuple)


@given(_ITEMS)
def test_logged_forms_are_the_plain_forms(items: tuple[str, ...]) -> None:
    assert data_rules.logged_forms(items) == data_rules.logged_forms_plain(items)
    assert data_rules.logged_forms(items) == data_rules.logged_forms_plain(items)


_WORDS = {"ip_addresses": ("ip", "addresses"), "browser_types": ("browser", "types")}


@given(
    item=st.sampled_from(sorted(_WORDS)),
    joiner=st.sampled_from([" ", "-", "_", ".", "", " - "]),
    cases=st.lists(st.sampled_from(["lower", "upper", "title"]), min_size=2, max_size=2),
)
def test_a_traffic_item_is_refused_however_its_words_are_joined(
    item: str, joiner: str, cases: list[str]
) -> None:
    """ "IP address", "ip-address", "IPAddress": one item, refused as the privacy policy
    says ("While our Web servers may automatically log your IP address ...")."""
    words = [getattr(word, case)() for word, case in zip(_WORDS[item], cases, strict=True)]
    if joiner == "":
        words[1] = words[1].title()  # joined without a separator: a case change splits
    name = joiner.join(words)
    policy = PolicyCatalogue.default().latest
    with pytest.raises(ValidationError) as refused:
        data_rules.check_not_traffic(policy, [name])
    assert "traffic_not_personal_data" == refused.value.code


@pytest.mark.parametrize("name", ["address", "email_address", "home_address", "types", "name"])
def test_a_name_that_only_shares_a_word_with_a_traffic_item_is_not_refused(name: str) -> None:
    """Only the whole item (or a synonym of it, rules.TRAFFIC_SYNONYMS) is the traffic log's."""
    data_rules.check_not_traffic(PolicyCatalogue.default().latest, [name])
