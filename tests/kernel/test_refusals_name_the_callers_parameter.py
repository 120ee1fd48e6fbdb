"""A refusal's ``field`` names the parameter the caller passed, not a model's attribute.

The tutorial promises every failure carries "the offending ``field`` -- ready to
show on a form": a bad ``by`` is refused on ``by`` (not the agreement's
``created_by``), a bad item of ``products`` on ``products`` (not ``product``), a
bad ``subject`` of the audit on ``subject``, a bad ``category`` on ``category``.
The code, message and details stay those of the check that refused it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from symprogram import FixedClock, Program
from symprogram._checks import check_text, reported_as
from symprogram.errors import LimitExceeded, NotFound, SymprogramError, ValidationError

NOW = datetime(2012, 6, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
END = date(2012, 12, 31)

Call = Callable[[Program, Any], object]


def _agreement(p: Program, **changed: Any) -> object:
    args: dict[str, Any] = {
        "agreement_id": "A-9",
        "level": "basic_maintenance",
        "products": ["NetBackup"],
        "starts_on": TODAY,
        "ends_on": END,
        "by": "sales",
    }
    return p.entitlements.add_agreement("C-1", **{**args, **changed})


def _extension(p: Program, **changed: Any) -> object:
    args: dict[str, Any] = {
        "extension_id": "X-9",
        "product": "NetBackup",
        "releases": ["6.5"],
        "starts_on": TODAY,
        "ends_on": END,
        "by": "sales",
    }
    return p.entitlements.add_extension("C-1", **{**args, **changed})


def _grant(p: Program, **changed: Any) -> object:
    args: dict[str, Any] = {
        "kind": "courtesy",
        "level": "basic_maintenance",
        "products": ["NetBackup"],
        "starts_on": TODAY,
        "ends_on": END,
        "reason": "outage",
        "approver": "manager",
        "by": "support",
    }
    return p.entitlements.grant_entitlement("C-1", **{**args, **changed})


def _case(p: Program, **changed: Any) -> object:
    args: dict[str, Any] = {
        "case_id": "K-9",
        "product": "NetBackup",
        "severity": "high",
        "summary": "down",
        "by": "support",
    }
    return p.entitlements.open_case("C-1", **{**args, **changed})


# (the parameter, the call given a bad value of it, bad values)
SITES: dict[str, tuple[str, Call, tuple[Any, ...]]] = {
    "add_agreement.by": ("by", lambda p, v: _agreement(p, by=v), (None, "", "a\x00b")),
    "add_agreement.products": ("products", lambda p, v: _agreement(p, products=[v]), (b"x", "")),
    "add_extension.by": ("by", lambda p, v: _extension(p, by=v), (None, "", 7)),
    "add_extension.releases": ("releases", lambda p, v: _extension(p, releases=[v]), (b"x", "")),
    "grant_entitlement.by": ("by", lambda p, v: _grant(p, by=v), (None, "")),
    "grant_entitlement.products": ("products", lambda p, v: _grant(p, products=[v]), (1, "")),
    "open_case.by": ("by", lambda p, v: _case(p, by=v), (None, "")),
    "entitlements.history": ("subject", lambda p, v: p.entitlements.history(v), (None, "")),
    "entitlements.verify": ("subject", lambda p, v: p.entitlements.verify(v), (None, "x" * 9999)),
    "consent.may_contact": ("category", lambda p, v: p.consent.may_contact("s1", v), ("nope", 3)),
    "consent.get_policy_change": (
        "version",
        lambda p, v: p.consent.get_policy_change(v),
        ("nope", None),
    ),
    "consent.request_correction": (
        "changes",
        lambda p, v: p.consent.request_correction("s1", v),
        (None, {}, {"\x00": "x"}),
    ),
}

CASES = [
    pytest.param(parameter, call, value, id=f"{site}-{index}")
    for site, (parameter, call, values) in SITES.items()
    for index, value in enumerate(values)
]


@pytest.mark.parametrize(("parameter", "call", "value"), CASES)
def test_a_refusal_names_the_parameter_the_caller_passed(
    parameter: str, call: Call, value: Any
) -> None:
    """Each call site refuses a bad value of ``parameter`` on ``parameter``."""
    program = Program.in_memory(clock=FixedClock(NOW))
    with pytest.raises(SymprogramError) as refused:
        call(program, value)
    assert refused.value.field == parameter, refused.value


def test_reported_as_keeps_the_refusal_but_its_field() -> None:
    """The same error object (its type, code, message, details) comes out on the parameter;
    a refusal on a field not named passes as it was raised."""
    with pytest.raises(LimitExceeded) as refused, reported_as(created_by="by"):
        check_text("x" * 11, "created_by", limit=10)
    assert ("by", "created_by_too_long") == (refused.value.field, refused.value.code)
    assert "created_by is longer than 10 characters" == refused.value.message

    details = {"items": ["a"]}
    with pytest.raises(NotFound) as other, reported_as(created_by="by"):
        raise NotFound("no such thing", field="thing", code="thing_not_found", details=details)
    assert ("thing", "thing_not_found", details) == (
        other.value.field,
        other.value.code,
        other.value.details,
    )

    with pytest.raises(ValidationError) as unnamed, reported_as(created_by="by"):
        raise ValidationError("bad", code="invalid")
    assert unnamed.value.field is None
