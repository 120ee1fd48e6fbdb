"""The catalogue models' effective instants are aware datetimes: a naive one is refused
with ``naive_datetime`` when the model is made, before any instant is compared (never a
bare ``TypeError`` from comparing naive with aware), so no catalogue holds one that
cannot be stored or compared."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from symprogram import serialization
from symprogram.entitlements.models import (
    Access,
    AccessRule,
    RemoteAccessTerms,
    RemoteAccessVersion,
)
from symprogram.errors import ValidationError

DOC = "remote_access_standard_terms"
AWARE = datetime(2011, 1, 1, tzinfo=UTC)
NAIVE = datetime(2011, 6, 1)

NAIVE_MODELS: dict[str, Callable[[], object]] = {
    "naive latest after an aware earlier version": lambda: RemoteAccessTerms(
        DOC, "2", NAIVE, earlier=(RemoteAccessVersion("1", AWARE),)
    ),
    "naive latest alone": lambda: RemoteAccessTerms(DOC, "2", NAIVE),
    "naive earlier version": lambda: RemoteAccessTerms(
        DOC, "2", AWARE, earlier=(RemoteAccessVersion("1", NAIVE),)
    ),
    "naive version": lambda: RemoteAccessVersion("1", NAIVE),
    "naive access rule": lambda: AccessRule(Access.LOGIN, NAIVE),
}


@pytest.mark.parametrize("make", NAIVE_MODELS.values(), ids=NAIVE_MODELS.keys())
def test_a_naive_effective_instant_is_refused(make: Callable[[], object]) -> None:
    """A naive effective_from raises ValidationError naive_datetime, naming the field."""
    with pytest.raises(ValidationError) as info:
        make()
    assert ("naive_datetime", "effective_from") == (info.value.code, info.value.field)


@pytest.mark.parametrize("bad", ["2011-06-01", 1_300_000_000, object()])
def test_an_effective_instant_that_is_no_datetime_is_refused(bad: object) -> None:
    """Anything but a datetime (or None) is invalid_instant, before versions are compared."""
    for make in (
        lambda: RemoteAccessTerms(DOC, "2", bad, earlier=(RemoteAccessVersion("1", AWARE),)),  # type: ignore[arg-type]
        lambda: RemoteAccessVersion("1", bad),  # type: ignore[arg-type]
        lambda: AccessRule(Access.LOGIN, bad),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as info:
            make()
        assert "invalid_instant" == info.value.code


def test_earlier_versions_must_be_versions() -> None:
    """An ``earlier`` that is not a tuple of RemoteAccessVersion is
    invalid_remote_access_versions, not a bare AttributeError."""
    for earlier in (("1",), [RemoteAccessVersion("1")], (None,)):
        with pytest.raises(ValidationError) as info:
            RemoteAccessTerms(DOC, "2", AWARE, earlier=earlier)  # type: ignore[arg-type]
        assert "invalid_remote_access_versions" == info.value.code


def test_aware_instants_are_held_in_utc_and_serialize() -> None:
    """An aware instant in another zone is the same instant, held in UTC; the terms
    serialize and compare against UTC instants."""
    plus_two = timezone(timedelta(hours=2))
    terms = RemoteAccessTerms(
        DOC,
        "2",
        datetime(2011, 6, 1, 2, tzinfo=plus_two),
        earlier=(RemoteAccessVersion("1", AWARE),),
    )
    assert datetime(2011, 6, 1, tzinfo=UTC) == terms.effective_from
    assert terms.effective_from is not None and UTC == terms.effective_from.tzinfo
    assert "2" == terms.version_at(datetime(2011, 6, 1, tzinfo=UTC)).version  # type: ignore[union-attr]
    assert "effective_from" in serialization.dumps(terms)
    assert (
        UTC == AccessRule(Access.LOGIN, datetime(2011, 1, 1, tzinfo=plus_two)).effective_from.tzinfo
    )  # type: ignore[union-attr]
