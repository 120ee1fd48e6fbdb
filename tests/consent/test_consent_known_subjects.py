"""Known subjects (issue 16): recording what an activity gathered makes a subject known.

``ConsentService.record_gathered`` records the names of the items an activity
gathered and the policy version, never their values. From then on the policy's
``necessary`` purposes are allowed, its opt-out purposes allowed until the person
opts out, its opt-in purposes refused as never asked; a subject never seen stays
``unknown_subject``. Every test runs on memory and SQLite (the ``store`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symprogram.consent import ConsentService, LegalBasis, PurposeKind
from symprogram.errors import LimitExceeded, SymprogramError, ValidationError

Snapshot = Callable[[], Any]

ITEMS = ("company", "email", "language", "name", "partner_company")


def _codes(consent: ConsentService, subject: str, purpose: str) -> tuple[str, ...]:
    return consent.may_use(subject, purpose).codes


def test_a_subject_never_seen_is_unknown(consent: ConsentService) -> None:
    """Before anything is recorded every declared purpose but a cookie category is
    refused as unknown_subject (the policy in effect decides a visitor's cookies:
    test_consent_cookies_before_the_visitor_is_known.py)."""
    for purpose in consent.get_policy().purposes:
        if purpose.kind is not PurposeKind.COOKIES:
            assert ("unknown_subject",) == _codes(consent, "SP-0000-0000-0000-0", purpose.id)


def test_gathered_data_makes_the_subject_known(consent: ConsentService) -> None:
    """After record_gathered: necessary allowed, opt-out allowed, opt-in never asked."""
    record = consent.record_gathered("cand-1", "other_activities", ITEMS)
    assert ("data_collected", "2005-07") == (record.kind, record.policy_version)
    for purpose in consent.get_policy().purposes:
        decision = consent.may_use("cand-1", purpose.id)
        expected = {
            LegalBasis.NECESSARY: (True, ("necessary_for_transaction",)),
            LegalBasis.OPT_OUT: (True, ("not_opted_out",)),
            LegalBasis.OPT_IN: (False, ("never_asked_opt_in",)),
        }[purpose.basis]
        assert expected == (decision.allowed, decision.codes), purpose.id
    assert ("unknown_subject",) == _codes(consent, "cand-2", "virus_alerts")


def test_an_opt_out_purpose_is_allowed_until_the_person_opts_out(
    consent: ConsentService,
) -> None:
    """A known subject is in the audience of an opt-out purpose until they opt out."""
    consent.record_gathered("cand-1", "other_activities", ITEMS)
    assert ["cand-1"] == list(consent.iter_audience("newsletters", "email"))
    consent.opt_out("cand-1", "newsletters", channel="email_reply")
    assert ("opted_out",) == _codes(consent, "cand-1", "newsletters")
    assert [] == list(consent.iter_audience("newsletters", "email"))


def test_only_the_names_and_the_policy_version_are_kept(consent: ConsentService) -> None:
    """The ledger and the subject's file name the items and the policy version, no values
    (and that gathering them showed no policy)."""
    consent.record_gathered("cand-1", "product_registration", ["email", "name"])
    (entry,) = consent.history("cand-1")
    assert {
        "activity": "product_registration",
        "channel": "web_form",
        "items": ["email", "name"],
        "policy_version": "2005-07",
        "shown": False,
    } == entry.data
    file = consent.personal_data("cand-1")
    assert () == file.data
    assert [("product_registration", ("email", "name"), "2005-07")] == [
        (c.activity, c.items, c.policy_version) for c in file.collections
    ]
    assert consent.verify("cand-1").ok


@pytest.mark.parametrize(
    ("activity", "items", "error", "code"),
    [
        ("no_such_activity", ["name"], ValidationError, "unknown_activity"),
        ("order", ["email"], ValidationError, "data_not_declared"),
        ("other_activities", [], ValidationError, "invalid_data"),
        ("other_activities", "name", ValidationError, "invalid_data"),
        ("other_activities", [" "], ValidationError, "invalid_data"),
        ("other_activities", [1], ValidationError, "invalid_data"),
        ("other_activities", {"name": "Ada"}, ValidationError, "invalid_data"),
        ("other_activities", [f"i{n}" for n in range(51)], LimitExceeded, "too_many_items"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    consent: ConsentService,
    snapshot: Snapshot,
    activity: str,
    items: Any,
    error: type[SymprogramError],
    code: str,
) -> None:
    """An undeclared activity or item, or no item names, raises; nothing is written."""
    before = snapshot()
    with pytest.raises(error) as raised:
        consent.record_gathered("cand-1", activity, items)
    assert code == raised.value.code
    assert before == snapshot()
    assert ("unknown_subject",) == _codes(consent, "cand-1", "virus_alerts")


def test_veritas_data_is_refused_with_its_own_policy(consent: ConsentService) -> None:
    """Data gathered on veritas.com is not recorded under the symantec.com policy."""
    with pytest.raises(ValidationError) as raised:
        consent.record_gathered("cand-1", "other_activities", ["name"], site="veritas.com")
    assert "site_has_own_policy" == raised.value.code


@settings(max_examples=25, deadline=None)
@given(
    names=st.lists(
        st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12),
        min_size=1,
        max_size=10,
    )
)
def test_any_names_of_the_open_ended_activity_are_kept_sorted_and_distinct(
    names: list[str],
) -> None:
    """The open-ended activity accepts any item names (but what the web servers log),
    kept sorted and distinct."""
    from datetime import UTC, datetime

    from symprogram.clock import FixedClock
    from symprogram.consent import rules
    from symprogram.storage.memory import MemoryStore

    consent = ConsentService(MemoryStore(), FixedClock(datetime(2011, 1, 14, tzinfo=UTC)))
    assume(not rules.traffic_names(consent.get_policy(), names))  # never personal data
    consent.record_gathered("cand-1", "other_activities", names)
    (collection,) = consent.personal_data("cand-1").collections
    assert tuple(sorted(set(names))) == collection.items
