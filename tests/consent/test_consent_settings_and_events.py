"""The consent service's settings, its events, and refusals decided by the rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from symprogram.clock import FixedClock
from symprogram.consent import (
    ConsentRecorded,
    ConsentService,
    ConsentSettings,
    CorrectionRequested,
    DataCollected,
    SubjectErased,
    rules,
)
from symprogram.errors import ValidationError
from symprogram.persistence import Store

T0 = datetime(2011, 1, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cache_limit": "10"}, "invalid_cache_limit"),
        ({"cache_limit": 0}, "invalid_cache_limit"),
        ({"cache_limit": True}, "invalid_cache_limit"),
        ({"memo_limit": 1.5}, "invalid_memo_limit"),
        ({"memo_limit": -1}, "invalid_memo_limit"),
    ],
)
def test_ill_typed_settings_are_refused(kwargs: dict[str, Any], code: str) -> None:
    """An ill-typed or out-of-range option is a ValidationError naming it."""
    with pytest.raises(ValidationError) as info:
        ConsentSettings(**kwargs)
    assert code == info.value.code


def test_settings_must_be_consent_settings(store: Store, clock: FixedClock) -> None:
    """A mapping in place of ConsentSettings is refused at construction."""
    with pytest.raises(ValidationError) as info:
        ConsentService(store, clock, settings={"cache_limit": 5})  # type: ignore[arg-type]
    assert "invalid_settings" == info.value.code


def test_unknown_keyword_is_refused(store: Store, clock: FixedClock) -> None:
    """A misspelled keyword is a ValidationError, not a TypeError."""
    with pytest.raises(ValidationError) as info:
        ConsentService(store, clock, catalog=None)
    assert "unexpected_argument" == info.value.code


def test_a_small_decode_cache_gives_the_same_answers(store: Store, clock: FixedClock) -> None:
    """However few projections are remembered, the answers are the same."""
    small = ConsentService(store, clock, settings=ConsentSettings(cache_limit=1))
    for subject in ("a1", "b2", "c3"):
        small.grant(subject, "special_offers", channel="web_form")
    reference = ConsentService(store, clock)
    for subject in ("a1", "b2", "c3", "a1"):
        assert reference.may_use(subject, "special_offers") == small.may_use(
            subject, "special_offers"
        )


def test_ledger_entries_are_the_events_data(consent: ConsentService) -> None:
    """Each ledger entry's kind and data are those of the consent event recorded."""
    consent.grant("s1", "special_offers", channel="web_form", evidence="box", site="symantec.com")
    consent.record_personal_data("s1", "order", {"name": "Ada"})
    consent.request_correction("s1", {"name": "Ada L."})
    consent.erase("s1")
    kinds = [entry.kind for entry in consent.history("s1")]
    expected = [
        ConsentRecorded.event_name(),
        DataCollected.event_name(),
        CorrectionRequested.event_name(),
        SubjectErased.event_name(),
    ]
    assert expected == kinds
    assert isinstance(consent.history("s1"), tuple)


def test_necessary_cannot_be_refused_is_decided_by_the_rules(consent: ConsentService) -> None:
    """The rules refuse a refusal of a necessary purpose, without any storage."""
    catalogue = consent.policies
    asked = ConsentRecorded("s1", T0, "purchases_downloads", "refused", "web_form", "", "", None)
    with pytest.raises(ValidationError) as info:
        rules.record_choice(None, catalogue, asked, None, T0)
    assert "necessary_cannot_be_refused" == info.value.code
    granted = rules.record_choice(
        None,
        catalogue,
        ConsentRecorded("s1", T0, "special_offers", "granted", "web_form", "", "", None),
        None,
        T0,
    )
    assert catalogue.in_effect(T0).version == granted.policy_version  # type: ignore[union-attr]
