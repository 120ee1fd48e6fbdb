"""Hostile arguments to the entitlements service are refused like any bad value,
with the same code, and write nothing (never Python's own ValueError,
RecursionError or AttributeError)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from entitlements_helpers import Env

from _hostile import HUGE, deep
from _programs import add_agreement, add_extension, add_grant
from symprogram.entitlements import (
    CustomerEntitlements,
    EntitlementCatalogue,
    EntitlementsService,
    EntitlementsSettings,
    InMemoryRemoteAccessConsent,
    ProductLifecycle,
    Reader,
    RemoteAccessTerms,
)
from symprogram.entitlements.models import MAX_NAMES
from symprogram.errors import LimitExceeded, SymprogramError, ValidationError

CALLS: dict[str, Callable[[EntitlementsService, Any], object]] = {
    "add_agreement.level": lambda s, v: add_agreement(s, agreement_id="A-2", level=v),
    "decide.document": lambda s, v: s.decide(Reader("C-1", logged_in=True), v),
    "end_remote_session.session_id": lambda s, v: s.end_remote_session("CASE-1", v, by="eng1"),
    "open_case.severity": lambda s, v: s.open_case(
        "C-1", case_id="CASE-2", product="NetBackup", severity=v, summary="x", by="customer"
    ),
    "grant_entitlement.kind": lambda s, v: add_grant(s, kind=v),
}


@pytest.mark.parametrize("value", [HUGE, deep()], ids=["huge_int", "deep_list"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_hostile_argument_is_refused_as_a_plain_bad_one(
    env: Env, name: str, value: object
) -> None:
    """Refused with the code an ordinary bad value gets; nothing is written."""
    add_agreement(env.service)
    env.service.open_case(
        "C-1", case_id="CASE-1", product="NetBackup", severity="critical", summary="x", by="c"
    )
    assert isinstance(env.consent, InMemoryRemoteAccessConsent)
    call = CALLS[name]
    with pytest.raises(SymprogramError) as plain:
        call(env.service, "no such thing!")
    before = env.snapshot("A-2")
    with pytest.raises(SymprogramError) as hostile:
        call(env.service, value)
    assert (type(plain.value), plain.value.code) == (type(hostile.value), hostile.value.code)
    assert before == env.snapshot("A-2")


@pytest.mark.parametrize("against", ["digest", 0, object()])
def test_verify_refuses_what_is_not_a_digest(env: Env, against: object) -> None:
    """verify and verify_all(against=...) refuse a non-digest: invalid_digest."""
    add_agreement(env.service)
    for call in (
        lambda: env.service.verify("C-1", against=against),  # type: ignore[arg-type]
        lambda: env.service.verify_all(against=against),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert ("invalid_digest", "against") == (info.value.code, info.value.field)


NAMED: dict[str, Callable[[EntitlementsService, Any], object]] = {
    "add_agreement.products": lambda s, v: add_agreement(s, agreement_id="A-2", products=v),
    "grant_entitlement.products": lambda s, v: add_grant(s, products=v),
    "add_extension.releases": lambda s, v: add_extension(s, releases=v),
}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (itertools.count, "too_many"),
        (lambda: (f"p{n}" for n in range(MAX_NAMES + 1)), "too_many"),
        (lambda: [["a list"]], "invalid"),
    ],
    ids=["endless", "one_too_many", "unhashable"],
)
@pytest.mark.parametrize("name", sorted(NAMED))
def test_products_and_releases_are_bounded_and_names(
    env: Env, name: str, value: Callable[[], object], code: str
) -> None:
    """At most ``MAX_NAMES`` are read (an endless iterable is refused, not read for
    ever inside the unit of work); an item that is no name is ``invalid_<field>``;
    nothing is written."""
    add_agreement(env.service)
    field = name.rpartition(".")[2]
    before = env.snapshot("A-2")
    with pytest.raises(ValidationError) as refused:
        NAMED[name](env.service, value())
    assert f"{code}_{field}" == refused.value.code
    assert (code == "too_many") == isinstance(refused.value, LimitExceeded)
    assert before == env.snapshot("A-2")


def test_as_many_names_as_the_limit_are_kept(env: Env) -> None:
    """Exactly ``MAX_NAMES`` products are accepted."""
    names = [f"p{n}" for n in range(MAX_NAMES)]
    assert MAX_NAMES == len(add_agreement(env.service, agreement_id="A-2", products=names).products)


def wrong(value: object) -> Any:
    """``value`` typed as anything: a shape the type checker would refuse."""
    return value


MODELS: dict[str, tuple[Callable[[], object], str]] = {
    "CustomerEntitlements(agreements=None)": (
        lambda: CustomerEntitlements(customer_id="C", agreements=wrong(None)),
        "invalid_agreements",
    ),
    "CustomerEntitlements(grants=5)": (
        lambda: CustomerEntitlements(customer_id="C", grants=wrong(5)),
        "invalid_grants",
    ),
    "CustomerEntitlements(extensions=[str])": (
        lambda: CustomerEntitlements(customer_id="C", extensions=wrong(["x"])),
        "invalid_extensions",
    ),
    "ProductLifecycle(releases=None)": (
        lambda: ProductLifecycle(product="P", releases=wrong(None)),
        "invalid_releases",
    ),
    "ProductLifecycle(releases=[str])": (
        lambda: ProductLifecycle(product="P", releases=wrong(("6.0",))),
        "invalid_releases",
    ),
    "RemoteAccessTerms(version=list)": (
        lambda: RemoteAccessTerms("remote_access_standard_terms", wrong(["2011-01"])),
        "invalid_remote_access_versions",
    ),
    "EntitlementsSettings(reading=huge int)": (
        lambda: EntitlementsSettings(reading=wrong(HUGE)),
        "invalid_reading",
    ),
    "EntitlementCatalogue.default(reading=huge int)": (
        lambda: EntitlementCatalogue.default(reading=wrong(HUGE)),
        "invalid_reading",
    ),
}


@pytest.mark.parametrize("case", sorted(MODELS))
def test_a_model_or_setting_of_a_wrong_shape_is_refused_with_a_code(case: str) -> None:
    """A record's list that is none (or holds something else), a version label that
    is no text, a reading too long to print: refused with the field's code, never a
    bare ``TypeError``, ``AttributeError`` or ``ValueError``."""
    build, code = MODELS[case]
    with pytest.raises(ValidationError) as info:
        build()
    assert code == info.value.code


def test_a_customer_id_is_bounded_by_what_its_audit_stream_can_be_named(env: Env) -> None:
    """A customer's audit stream is ``entitlements:<id>``: an ID of 242 characters is
    taken, one of 243 is ``customer_id_too_long`` on the caller's field (it used to pass
    the check and fail in the store as ``key_too_long`` on field ``key``)."""
    longest = "C" * 242
    add_agreement(env.service, longest)
    with pytest.raises(LimitExceeded) as info:
        add_agreement(env.service, "C" * 243)
    assert ("customer_id_too_long", "customer_id") == (info.value.code, info.value.field)
    assert longest == env.service.get_holdings(longest).customer_id
