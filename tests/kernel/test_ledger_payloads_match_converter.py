"""The ledger's payloads and entries are exactly what the general converter paths give."""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.events import _CONVERTER, DomainEvent, Ledger, _canonical
from symprogram.serialization import canonical_json
from symprogram.storage.memory import MemoryStore
from symprogram.testing._events import all_event_types

EVENTS = all_event_types()
T0 = datetime(2011, 1, 15, tzinfo=UTC)


def _general(event: DomainEvent) -> dict[str, Any]:
    raw: dict[str, Any] = _CONVERTER.unstructure(event)
    raw.pop("subject", None)
    raw.pop("at", None)
    return raw


@pytest.mark.parametrize("event_type", EVENTS, ids=lambda c: c.__name__)
def test_payload_is_the_converters_answer_for_every_event(event_type: type[DomainEvent]) -> None:
    """For every domain event of every context, payload() equals the converter's
    unstructured event less subject and instant, with the same JSON text."""

    @settings(max_examples=25)
    @given(st.from_type(event_type))
    def check(event: DomainEvent) -> None:
        assert _general(event) == event.payload()
        assert canonical_json(_general(event)) == canonical_json(event.payload())

    check()


class Colour(enum.StrEnum):
    RED = "red"


@attrs.frozen
class Odd(DomainEvent):
    """Fields whose values the fast path does not take as they are."""

    label: str
    count: int
    when: datetime
    note: str | None = None
    extra: Any = None


values: Any = st.one_of(
    st.text(max_size=5),
    st.integers(),
    st.booleans(),
    st.none(),
    st.just(Colour.RED),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=2)))),
)


instants = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))


@given(
    st.text(max_size=5),
    st.integers() | st.booleans(),
    instants,
    st.none() | st.text(max_size=5),
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | instants,
)
def test_payload_of_nearly_plain_values_is_the_converters_answer(
    label: Any, count: Any, when: Any, note: Any, extra: Any
) -> None:
    """Values of the annotated classes, with a bool in the int field and instants in
    and out of UTC: payload() equals the converter's answer."""
    event = Odd("SP-1", T0, label, count, when, note, extra)
    assert _general(event) == event.payload()


@given(values, values, values, values, values)
def test_payload_of_unexpected_values_is_the_converters_answer(
    label: Any, count: Any, when: Any, note: Any, extra: Any
) -> None:
    """Values of another class than the annotation's (an enumeration member in a str
    field, a bool in an int field, an instant not in UTC, ...) get the converter's
    answer, or its error."""
    event = Odd("SP-1", T0, label, count, when, note, extra)
    try:
        expected: Any = _general(event)
    except Exception as exc:  # the converter's error, raised by payload too
        with pytest.raises(type(exc)):
            event.payload()
        return
    assert expected == event.payload()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_cached_encoder_writes_canonical_json(value: Any) -> None:
    """The ledger's encoder built once writes exactly canonical_json's text."""
    assert canonical_json(value) == _canonical(value)


@given(st.integers(1, 6))
def test_appended_entries_have_distinct_hex_salts_and_verify(count: int) -> None:
    """Entries appended together get their own 32-hex-digit salts, and verify."""
    store, ledger = MemoryStore(), Ledger("history")
    with store.transaction() as tx:
        ledger.append_many(tx, "SP-1", [("seen", {"n": n}, T0) for n in range(count)])
        texts = [text for _, text in tx.read(ledger.stream("SP-1"))]
        assert ledger.verify(tx, "SP-1").ok
    salts = [re.search(r'"salt":"([^"]*)"', text).group(1) for text in texts]  # type: ignore[union-attr]
    assert count == len(set(salts))
    assert all(re.fullmatch(r"[0-9a-f]{32}", salt) for salt in salts)
