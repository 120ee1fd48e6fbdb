"""Every domain event of every context has a registered strategy and round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.errors import ValidationError
from symprogram.events import DomainEvent
from symprogram.serialization import make_converter
from symprogram.testing._events import all_event_types, domain_events

EVENTS = all_event_types()


def test_every_context_contributes_events() -> None:
    """Accounts, awards and entitlements events are all found."""
    modules = {cls.__module__.split(".")[1] for cls in EVENTS}
    assert {"accounts", "awards", "entitlements"} <= modules


@pytest.mark.parametrize("event_type", EVENTS, ids=lambda c: c.__name__)
def test_from_type_builds_each_event_and_it_round_trips(event_type: type[DomainEvent]) -> None:
    """st.from_type(Event) draws valid events whose JSON round trip is exact."""
    conv = make_converter()

    @settings(max_examples=10)
    @given(st.from_type(event_type))
    def check(event: DomainEvent) -> None:
        assert isinstance(event, event_type)
        assert event.at.utcoffset() is not None
        assert event == conv.structure(conv.unstructure(event), event_type)
        assert event.event_name()

    check()


def test_domain_events_refuses_non_events() -> None:
    """domain_events() of a class that is not a DomainEvent raises ValidationError."""
    with pytest.raises(ValidationError) as info:
        domain_events(int)  # type: ignore[type-var]
    assert "invalid_event_type" == info.value.code
