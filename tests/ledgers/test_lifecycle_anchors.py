"""A product's stored release lifecycle is decided with only as its audit registered it.

A probe edited the ``entitlements_product`` row of NetBackup (release 6.5: a later
end of standard support and end of life) or deleted it (a release not listed reads
as a current one): ``support_decision(customer, "NetBackup", "6.5")`` then answered
``active_agreement`` instead of ``extension_required``, ``get_lifecycle`` answered
the forged dates, and ``verify_all`` stayed ok, even against a kept digest. Each
``register_release`` appends a ``release_registered`` entry (release, end of
standard support, end of life) to the product's audit stream (``product:<name>``),
so:

- ``verify("product:<name>")`` and ``verify_all`` report the release or the field
  (``aggregate_mismatch``, kind ``entitlements_product``: ``releases[6.5]``,
  ``releases[6.5].end_of_standard_support``, ...), and ``verify_all`` a lifecycle
  whose product's audit holds no entry at all;
- the support decisions (``support_decision`` with a release, ``open_case``,
  ``escalate_case``, ``start_remote_session`` on a case naming a release),
  ``get_lifecycle`` and ``register_release`` refuse it (``record_corrupt``, naming
  the field), writing nothing;
- the genuine row put back is decided with again;
- the lifecycle is compared once per stored version and head of the product's
  audit, not once per decision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import add_agreement
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.entitlements import _lifecycle_anchors
from symprogram.entitlements import rules as entitlement_rules
from symprogram.entitlements.models import ProductLifecycle, Release
from symprogram.errors import IntegrityError

PRODUCT = "entitlements_product"
SUBJECT = "product:NetBackup"


def _registered(program: Program) -> str:
    """C-1 with the standard agreement (NetBackup, 2012) and an open case K-1 on release
    6.5, whose standard support ended on 2011-10-01 (end of life 2013-01-01): support
    for 6.5 needs an extension. Returns the stored lifecycle's text."""
    ents = program.entitlements
    add_agreement(ents)
    ents.register_release(
        "NetBackup", "6.5", end_of_standard_support=date(2011, 10, 1), end_of_life=date(2013, 1, 1)
    )
    ents.register_release("NetBackup", "7.0", end_of_standard_support=date(2014, 1, 1))
    program.consent_to_remote_access("C-1")
    ents.open_case(
        "C-1",
        case_id="K-1",
        product="NetBackup",
        release="7.0",
        severity="high",
        summary="down",
        by="me",
    )
    assert ents.support_decision("C-1", "NetBackup", "6.5").has("extension_required")
    genuine = LedgerRows(program).get_record(PRODUCT, "NetBackup")
    assert genuine is not None
    return genuine


def _later(genuine: str) -> str:
    """The lifecycle with release 6.5's support moved years later."""
    data = json.loads(genuine)
    for release in data["releases"]:
        if release["release"] == "6.5":
            release.update(end_of_standard_support="2015-01-01", end_of_life="2016-01-01")
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def _mismatches(program: Program) -> set[str]:
    """The lifecycle fields ``verify(SUBJECT)`` reports (and ``verify_all`` reports it)."""
    assert f"entitlements:{SUBJECT}" in {f.subject for f in program.verify_all().failures}
    return {
        p.field
        for p in program.entitlements.verify(SUBJECT).problems
        if isinstance(p, AggregateMismatch) and p.kind == PRODUCT
    }


def _corrupt(field: str, call: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError) as raised:
        call()
    assert "record_corrupt" == raised.value.code
    assert {"kind": PRODUCT, "key": "NetBackup", "field": field} == raised.value.details


def _refused(program: Program, field: str) -> None:
    """Every support decision on a NetBackup release, the lifecycle's read and its
    change refuse the lifecycle, naming ``field``; nothing is recorded."""
    ents = program.entitlements
    lengths = len(ents.history("C-1")), len(ents.history(SUBJECT))
    _corrupt(field, lambda: ents.support_decision("C-1", "NetBackup", "6.5"))
    _corrupt(field, lambda: ents.get_lifecycle("NetBackup"))
    _corrupt(
        field,
        lambda: ents.open_case(
            "C-1",
            case_id="K-2",
            product="NetBackup",
            release="6.5",
            severity="high",
            summary="x",
            by="me",
        ),
    )
    _corrupt(field, lambda: ents.escalate_case("K-1", by="agent", reason="stuck"))
    _corrupt(field, lambda: ents.start_remote_session("K-1", by="engineer"))
    _corrupt(
        field,
        lambda: ents.register_release("NetBackup", "8.0", end_of_standard_support=date(2016, 1, 1)),
    )
    assert ents.support_decision("C-1", "NetBackup").allowed  # no release: no lifecycle read
    assert lengths == (len(ents.history("C-1")), len(ents.history(SUBJECT)))


def _decided_again(program: Program) -> None:
    ents = program.entitlements
    assert ents.support_decision("C-1", "NetBackup", "6.5").has("extension_required")
    assert date(2011, 10, 1) == ents.get_lifecycle("NetBackup").releases[0].end_of_standard_support
    assert program.verify_all().ok


@pytest.mark.parametrize(
    ("edit", "fields"),
    [
        ("later", {"releases[6.5].end_of_standard_support", "releases[6.5].end_of_life"}),
        ("deleted", {"releases[6.5]", "releases[7.0]"}),
        ("dropped", {"releases[6.5]"}),
    ],
)
def test_a_lifecycle_edited_or_deleted_is_reported_and_refused(
    program: Program, edit: str, fields: set[str]
) -> None:
    """The stored lifecycle edited (6.5's dates later), deleted, or without 6.5: verify
    reports the fields, every decision on a release refuses the lifecycle, even one
    remembered just before; the genuine row put back is decided with again."""
    genuine = _registered(program)
    _decided_again(program)  # remembered before the edit
    rows = LedgerRows(program)
    if edit == "later":
        forged: str | None = _later(genuine)
    elif edit == "deleted":
        forged = None
    else:
        data = json.loads(genuine)
        data["releases"] = [r for r in data["releases"] if r["release"] != "6.5"]
        forged = json.dumps(data)
    rows.put_record(PRODUCT, "NetBackup", forged)
    assert fields == _mismatches(program)
    _refused(program, min(fields))
    rows.put_record(PRODUCT, "NetBackup", genuine)
    _decided_again(program)


def test_a_lifecycle_no_audit_registered_is_reported_and_refused(program: Program) -> None:
    """A lifecycle written in by hand for a product nobody registered: ``verify_all``
    reports it under the product's audit subject, and it is not decided with."""
    add_agreement(program.entitlements, products=["Backup Exec"])
    text = json.dumps(
        {
            "product": "Backup Exec",
            "releases": [{"release": "2010", "end_of_standard_support": "2011-01-01"}],
        }
    )
    LedgerRows(program).put_record(PRODUCT, "Backup Exec", text)
    found = {
        (failure.subject, p.key, p.field)
        for failure in program.verify_all().failures
        for p in failure.problems
        if isinstance(p, AggregateMismatch)
    }
    assert {("entitlements:product:Backup Exec", "Backup Exec", PRODUCT)} == found
    with pytest.raises(IntegrityError) as raised:
        program.entitlements.support_decision("C-1", "Backup Exec", "2010")
    assert "record_corrupt" == raised.value.code


def test_the_product_audit_is_read_once_per_version_of_the_lifecycle(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The support decisions read the product's audit the first time they read a stored
    version of its lifecycle beside a head of that audit, not for every decision: a
    write for a customer does not make them read it again, a registration does."""
    _registered(program)
    ents = program.entitlements
    reads: list[str] = []
    original = getattr(_lifecycle_anchors, "audit_entries")  # noqa: B009 - not exported

    def counted(ledger: Any, tx: Any, subject: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(subject)
        return original(ledger, tx, subject, *args, **kwargs)

    monkeypatch.setattr(_lifecycle_anchors, "audit_entries", counted)
    ents.register_release("NetBackup", "8.0", end_of_standard_support=date(2016, 1, 1))
    del reads[:]
    for _ in range(3):
        assert ents.support_decision("C-1", "NetBackup", "6.5").has("extension_required")
    assert ents.support_decision("C-1", "NetBackup", "8.0").allowed
    assert [SUBJECT] == reads
    add_agreement(ents, "C-2", agreement_id="A-2")
    assert ents.support_decision("C-1", "NetBackup", "6.5").has("extension_required")
    assert [SUBJECT] == reads
    ents.register_release("NetBackup", "9.0", end_of_standard_support=date(2017, 1, 1))
    assert ents.support_decision("C-1", "NetBackup", "6.5").has("extension_required")
    assert [SUBJECT] * 2 == reads  # the registration's read found it remembered as it was


# -- the rule ---------------------------------------------------------------------------

_NAMES = {"6.5": ["6.5", " 6.5 ", "６.５"], "7.0": ["7.0"], "7.5": ["7.5"]}
_DAYS = st.integers(0, 3650).map(lambda n: date(2005, 1, 1) + timedelta(days=n))


@st.composite
def _registrations(draw: st.DrawFn) -> list[tuple[str, date, date | None]]:
    """Releases registered (and corrected) one after the other, a name written
    another way now and then: ``(name, end of standard support, end of life)``."""
    found = []
    for _ in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(sorted(_NAMES)))
        spelt = draw(st.sampled_from(_NAMES[name]))
        ends = draw(_DAYS)
        more = draw(st.none() | st.integers(0, 2000))
        life = None if more is None else ends + timedelta(days=more)
        found.append((spelt, ends, life))
    return found


Entries = list[tuple[str, dict[str, Any] | None]]


def _replay(registrations: list[tuple[str, date, date | None]]) -> tuple[ProductLifecycle, Entries]:
    """The lifecycle ``register_release`` stores and the entries it appends."""
    lifecycle = ProductLifecycle("NetBackup")
    entries: Entries = []
    for name, ends, life in registrations:
        lifecycle = entitlement_rules.register_release(
            lifecycle, name, end_of_standard_support=ends, end_of_life=life
        )
        entries.append(
            (
                "release_registered",
                {
                    "release": name,
                    "end_of_standard_support": ends.isoformat(),
                    "end_of_life": None if life is None else life.isoformat(),
                },
            )
        )
    return lifecycle, entries


EDITS = ("end_of_standard_support", "end_of_life", "dropped", "added")


@settings(max_examples=200, deadline=None)
@given(registrations=_registrations(), edit=st.sampled_from(EDITS), which=st.integers(0, 5))
def test_any_edited_lifecycle_field_is_reported(
    registrations: list[tuple[str, date, date | None]], edit: str, which: int
) -> None:
    """The lifecycle ``register_release`` stores is as its entries say; one of its
    releases given another end of standard support or end of life, dropped, or a
    release added that no entry registered, is reported (that field alone) and
    refused."""
    lifecycle, entries = _replay(registrations)
    assert () == entitlement_rules.lifecycle_differences("NetBackup", lifecycle, entries)
    assert lifecycle is entitlement_rules.require_lifecycle_anchored(
        "NetBackup", lifecycle, entries
    )
    releases = list(lifecycle.releases)
    target = releases[which % len(releases)]
    index = releases.index(target)
    if edit == "end_of_standard_support":
        ends = target.end_of_standard_support - timedelta(days=1)
        releases[index] = Release(target.release, ends, target.end_of_life)
        field = f"releases[{target.release}].end_of_standard_support"
    elif edit == "end_of_life":
        later = (target.end_of_life or target.end_of_standard_support) + timedelta(days=1)
        life = None if target.end_of_life is not None and which % 2 else later
        releases[index] = Release(target.release, target.end_of_standard_support, life)
        field = f"releases[{target.release}].end_of_life"
    elif edit == "dropped":
        del releases[index]
        field = f"releases[{target.release}]"
    else:
        releases.append(Release("99.9", target.end_of_standard_support))
        field = "releases[99.9]"
    forged = ProductLifecycle("NetBackup", releases)
    found = entitlement_rules.lifecycle_differences("NetBackup", forged, entries)
    assert [field] == [d.field for d in found]
    with pytest.raises(IntegrityError) as raised:
        entitlement_rules.require_lifecycle_anchored("NetBackup", forged, entries)
    assert field == raised.value.details["field"]


def test_the_lifecycle_rule_compares_what_the_entries_hold() -> None:
    """A field an entry does not hold is not compared; an erased entry, or one that
    names no release, hides which release it was about: nothing is compared."""
    lifecycle, entries = _replay([("6.5", date(2010, 10, 1), None)])
    older = [("release_registered", {"release": "6.5"})]
    assert () == entitlement_rules.lifecycle_differences("NetBackup", lifecycle, older)
    other = [("release_registered", {"release": "6.5", "end_of_life": "2012-01-01"})]
    [found] = entitlement_rules.lifecycle_differences("NetBackup", lifecycle, other)
    assert ("releases[6.5].end_of_life", None, "2012-01-01") == (
        found.field,
        found.stored,
        found.ledger,
    )
    for hidden in (None, {"end_of_life": None}):
        erased = [*entries, ("release_registered", hidden)]
        assert () == entitlement_rules.lifecycle_differences("NetBackup", None, erased)
    assert () == entitlement_rules.lifecycle_differences("NetBackup", None, [])
    assert () == entitlement_rules.lifecycle_differences("NetBackup", None, [("other", {})])
