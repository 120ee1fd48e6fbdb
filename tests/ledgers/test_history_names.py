"""The IDs a history names: one kernel rule (``said_names``) for every context.

The anchor checks read the records a history names (score reports and incidents
of an account, disclosures and kits of a candidate's awards, support cases of a
customer) and compare them with what is stored. Each context asks the same
question of its entries: which texts do the entries of these kinds still hold
under this name? ``symprogram._anchors.said_names`` answers it once; bad entries
are refused with ``invalid_entries`` by every context alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram._anchors import said_names
from symprogram.accounts import rules as account_rules
from symprogram.awards import rules as award_rules
from symprogram.entitlements import rules as entitlement_rules
from symprogram.errors import ValidationError

KINDS = (
    "score_report_claimed",
    "incident_opened",
    "awards_published",
    "kit_queued",
    "kit_held",
    "case_opened",
    "case_closed",
)
NAMES = ("registration_number", "incident_id", "disclosure_id", "kit_id", "case_id")

data = st.none() | st.dictionaries(
    st.sampled_from(NAMES), st.text(max_size=3) | st.integers() | st.none(), max_size=3
)
entries = st.lists(st.tuples(st.sampled_from(KINDS), data), max_size=8)


def _reference(
    pairs: list[tuple[str, Mapping[str, Any] | None]], kinds: tuple[str, ...], name: str
) -> set[str]:
    """What the history names, one entry at a time."""
    found: set[str] = set()
    for kind, said in pairs:
        if kind in kinds and said is not None and isinstance(said.get(name), str):
            found.add(said[name])
    return found


@given(entries, st.sets(st.sampled_from(KINDS)), st.sampled_from(NAMES))
def test_said_names_are_the_texts_the_entries_of_the_kinds_hold(
    pairs: list[tuple[str, Mapping[str, Any] | None]], kinds: set[str], name: str
) -> None:
    """An erased entry, a missing name or a value that is not text names nothing."""
    assert said_names(iter(pairs), kinds, name) == _reference(pairs, tuple(kinds), name)


@given(entries)
def test_every_context_names_its_records_by_the_same_rule(
    pairs: list[tuple[str, Mapping[str, Any] | None]],
) -> None:
    """Score reports and incidents, disclosures and kits, cases: each by its kinds and name."""
    assert account_rules.named_records(iter(pairs)) == (
        _reference(pairs, ("score_report_claimed",), "registration_number"),
        _reference(pairs, ("incident_opened",), "incident_id"),
    )
    assert award_rules.published_disclosures(pairs) == _reference(
        pairs, ("awards_published",), "disclosure_id"
    )
    assert award_rules.made_kits(pairs) == _reference(pairs, ("kit_queued", "kit_held"), "kit_id")
    assert entitlement_rules.named_cases(pairs) == _reference(pairs, ("case_opened",), "case_id")


BAD_ENTRIES = [
    "score_report_claimed",
    {"score_report_claimed": None},
    [("score_report_claimed",)],
    [("score_report_claimed", "REG-1")],
    [("incident_opened", ["incident_id"])],
    [(1, {"incident_id": "INC-1"})],
    [None],
    42,
]

RULES: dict[str, Callable[[Any], object]] = {
    "said_names": lambda v: said_names(v, {"score_report_claimed"}, "registration_number"),
    "accounts.named_records": account_rules.named_records,
    "awards.published_disclosures": award_rules.published_disclosures,
    "awards.made_kits": award_rules.made_kits,
    "entitlements.named_cases": entitlement_rules.named_cases,
}


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("bad", BAD_ENTRIES, ids=repr)
def test_entries_that_are_not_pairs_are_refused_as_invalid_entries(rule: str, bad: object) -> None:
    """Not a ``ValueError`` or ``AttributeError`` from inside the rule: ``invalid_entries``."""
    with pytest.raises(ValidationError) as caught:
        RULES[rule](bad)
    assert caught.value.code == "invalid_entries"
    assert caught.value.field == "entries"
