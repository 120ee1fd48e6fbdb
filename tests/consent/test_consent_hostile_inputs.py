"""Hostile arguments to the consent service and catalogue are refused like any bad
value, with the same code, and write nothing (never Python's own ValueError,
RecursionError, AttributeError or OverflowError)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from _hostile import HUGE, deep
from symprogram.consent import (
    Collection,
    ConsentService,
    Notice,
    PolicyCatalogue,
    Recipient,
    TrafficLogging,
    TrustProgram,
)
from symprogram.consent import catalogue as policy_catalogue
from symprogram.errors import CatalogueError, SymprogramError, ValidationError

Snapshot = Callable[[], Any]


CALLS: dict[str, Callable[[ConsentService, Any], object]] = {
    "get_policy_change": lambda c, v: c.get_policy_change(v),
    "iter_subjects_to_notify": lambda c, v: list(c.iter_subjects_to_notify(v)),
    "grant.site": lambda c, v: c.grant("cust-1", "special_offers", channel="web_form", site=v),
    "grant.channel": lambda c, v: c.grant("cust-1", "special_offers", channel=v),
    "may_use.channel": lambda c, v: c.may_use("cust-1", "special_offers", channel=v),
    "record_personal_data.activity": lambda c, v: c.record_personal_data(
        "cust-1", v, {"name": "Ann"}
    ),
    "record_gathered.activity": lambda c, v: c.record_gathered("cust-1", v, ["name"]),
    "complete_correction": lambda c, v: c.complete_correction("cust-1", v),
}


@pytest.mark.parametrize("value", [HUGE, deep()], ids=["huge_int", "deep_list"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_hostile_argument_is_refused_as_a_plain_bad_one(
    consent: ConsentService, snapshot: Snapshot, name: str, value: object
) -> None:
    """Refused with the code an ordinary bad value gets; nothing is written."""
    consent.record_personal_data("cust-1", "order", {"name": "Ann"})
    call = CALLS[name]
    with pytest.raises(SymprogramError) as plain:
        call(consent, "no such thing!")
    before = snapshot()
    with pytest.raises(SymprogramError) as hostile:
        call(consent, value)
    assert (type(plain.value), plain.value.code) == (type(hostile.value), hostile.value.code)
    assert before == snapshot()


@pytest.mark.parametrize("against", ["digest", 0, object()])
def test_verify_refuses_what_is_not_a_digest(consent: ConsentService, against: object) -> None:
    """verify and verify_all(against=...) refuse a non-digest: invalid_digest."""
    consent.grant("cust-1", "special_offers", channel="web_form")
    for call in (
        lambda: consent.verify("cust-1", against=against),  # type: ignore[arg-type]
        lambda: consent.verify_all(against=against),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert ("invalid_digest", "against") == (info.value.code, info.value.field)


@pytest.mark.parametrize("text", [5, None, b"version = 1", object()])
def test_from_toml_refuses_what_is_not_text(text: object) -> None:
    """Not text: invalid_toml, not AttributeError or TypeError."""
    with pytest.raises(CatalogueError) as info:
        policy_catalogue.from_toml(text)  # type: ignore[arg-type]
    assert "invalid_toml" == info.value.code


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_from_toml_refuses_an_effective_instant_outside_the_calendar_in_utc(
    instant: str,
) -> None:
    """An offset instant with no UTC counterpart: CatalogueError, not OverflowError."""
    text = resources.files("symprogram.data.consent").joinpath("policy.toml").read_text("utf-8")
    line = "effective_at = 2005-07-01T00:00:00Z"
    assert line in text
    with pytest.raises(CatalogueError):
        policy_catalogue.from_toml(text.replace(line, f"effective_at = {instant}", 1))


NAME_CALLS: dict[str, Callable[[ConsentService, str], object]] = {
    "record_gathered": lambda c, n: c.record_gathered("cust-1", "other_activities", ["ok", n]),
    "record_gathered_many": lambda c, n: c.record_gathered_many(
        [("cust-1", "other_activities", [n])]
    ),
    "record_personal_data": lambda c, n: c.record_personal_data(
        "cust-1", "other_activities", {n: "x"}
    ),
}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("\ud800", "invalid_data"),
        ("a\udfffb", "invalid_data"),
        ("a\x00b", "invalid_data"),
        ("\x1b[2J", "invalid_data"),
        ("line\nbreak", "invalid_data"),
        ("x" * 1_000_000, "item_name_too_long"),
    ],
    ids=["surrogate", "inner_surrogate", "nul", "escape", "newline", "one_megabyte"],
)
@pytest.mark.parametrize("call", sorted(NAME_CALLS))
def test_an_item_name_is_one_line_of_plain_text(
    consent: ConsentService, snapshot: Snapshot, call: str, name: str, code: str
) -> None:
    """The name of an item of personal information gathered ("or engage in certain other
    activities", where any item is accepted) is refused like any bad value when it holds
    a lone surrogate, a control character or a line break, or is too long; nothing is
    written into the ledger."""
    consent.record_personal_data("cust-1", "order", {"name": "Ann"})
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        NAME_CALLS[call](consent, name)
    assert code == info.value.code
    assert before == snapshot()


def test_an_endless_iterable_of_item_names_is_refused_after_the_limit(
    consent: ConsentService,
) -> None:
    """Item names are read up to one past the limit, so an endless iterable is
    refused (``too_many_items``) instead of being read forever."""
    endless = iter(lambda: "favourite_product", None)
    with pytest.raises(ValidationError) as info:
        consent.record_gathered("cust-1", "other_activities", endless)
    assert "too_many_items" == info.value.code


def wrong(value: object) -> Any:
    """``value`` typed as anything: a shape the type checker would refuse."""
    return value


AT = datetime(2011, 1, 15, tzinfo=UTC)
PARTS: dict[str, tuple[Callable[[], object], str]] = {
    "TrafficLogging(items=None)": (
        lambda: TrafficLogging(items=wrong(None), purpose="p"),
        "invalid_policy",
    ),
    "TrafficLogging(items=5)": (
        lambda: TrafficLogging(items=wrong(5), purpose="p"),
        "invalid_policy",
    ),
    "TrustProgram(discloses=None)": (
        lambda: TrustProgram(name="n", statement="s", discloses=wrong(None)),
        "invalid_policy",
    ),
    "TrustProgram(not_covered=5)": (
        lambda: TrustProgram(name="n", statement="s", not_covered=wrong(5)),
        "invalid_policy",
    ),
    "Notice(kind=None)": (
        lambda: Notice(kind=wrong(None), title="t", text="x", policy_version="1"),
        "invalid_policy",
    ),
    "Notice(kind=bogus)": (
        lambda: Notice(kind=wrong("bogus"), title="t", text="x", policy_version="1"),
        "invalid_policy",
    ),
    "Recipient(id=huge int)": (
        lambda: Recipient(id=wrong(HUGE), name="n"),
        "invalid_recipient",
    ),
    "Collection(channel=bogus)": (
        lambda: Collection(
            activity="a", items=("x",), at=AT, channel=wrong("bogus"), policy_version="1"
        ),
        "invalid_channel",
    ),
    "PolicyCatalogue(None)": (lambda: PolicyCatalogue(wrong(None)), "catalogue_invalid"),
    "PolicyCatalogue([str])": (lambda: PolicyCatalogue(wrong(["x"])), "catalogue_invalid"),
}


@pytest.mark.parametrize("case", sorted(PARTS))
def test_a_policy_part_of_a_wrong_shape_is_refused_with_a_code(case: str) -> None:
    """A part of a policy (what ``publish_policy`` takes), a collection record or a
    catalogue built with a wrong shape (a list that is none, an unknown kind or
    channel, an id too long to print) is refused with a code, never a bare
    ``TypeError`` or ``ValueError``."""
    build, code = PARTS[case]
    with pytest.raises(ValidationError) as info:
        build()
    assert code == info.value.code
