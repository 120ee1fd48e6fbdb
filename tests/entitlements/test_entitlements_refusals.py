"""The refusals of the entitlements context are decided by pure rules (no storage, no clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.entitlements import (
    CustomerEntitlements,
    EntitlementCatalogue,
    Reader,
    Release,
    Severity,
    SupportCase,
    rules,
)
from symprogram.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    SymprogramError,
    ValidationError,
)

CATALOGUE = EntitlementCatalogue.default()
AT = datetime(2012, 3, 1, tzinfo=UTC)
CASE = SupportCase(
    case_id="K-1",
    customer_id="C-1",
    product="NetBackup",
    severity=Severity.HIGH,
    summary="backup fails",
    opened_at=AT,
    opened_by="C-1",
)


def holdings() -> CustomerEntitlements:
    """C-1 with one Essential Support agreement for NetBackup in 2012."""
    held, _ = rules.add_agreement(
        CATALOGUE,
        CustomerEntitlements("C-1"),
        agreement_id="A-1",
        level="essential_support",
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        at=AT,
        by="sales",
    )
    return held


@pytest.mark.parametrize(
    ("refuse", "error", "code"),
    [
        (lambda: rules.require_document(CATALOGUE, "nope"), NotFound, "document_not_found"),
        (lambda: rules.require_document(CATALOGUE, 7), NotFound, "document_not_found"),
        (lambda: rules.reader_of("C-1"), ValidationError, "invalid_reader"),
        (lambda: rules.held_agreement(holdings(), "A-2"), NotFound, "agreement_not_found"),
        (lambda: rules.held_grant(holdings(), "grant-1"), NotFound, "grant_not_found"),
        (lambda: rules.held_grant(holdings(), 1), ValidationError, "invalid_grant_id"),
        (lambda: rules.held_extension(holdings(), "X-1"), NotFound, "extension_not_found"),
        (lambda: rules.telephone_line(CATALOGUE, "ZZ"), NotFound, "telephone_line_not_found"),
        (lambda: rules.telephone_line(CATALOGUE, None), ValidationError, "invalid_country"),
        (
            lambda: rules.remote_access_terms(attrs.evolve(CATALOGUE, remote_access=None)),
            PermissionDenied,
            "remote_access_not_offered",
        ),
        (
            lambda: rules.require_remote_consent(CASE, CATALOGUE.remote_access, False),  # type: ignore[arg-type]
            PermissionDenied,
            "remote_access_consent_required",
        ),
    ],
)  # fmt: skip
def test_each_refusal_has_its_code(refuse: object, error: type[SymprogramError], code: str) -> None:
    """Each rule refuses with its own error class and stable code."""
    with pytest.raises(error) as caught:
        refuse()  # type: ignore[operator]
    assert code == caught.value.code


def test_support_is_refused_with_the_first_reason_of_the_coverage() -> None:
    """require_support refuses a case not covered, with every reason and the hint in details."""
    past = Release("7.0", end_of_standard_support=date(2011, 1, 1))
    coverage = rules.support_coverage(CATALOGUE, holdings(), "NetBackup", past, AT)
    with pytest.raises(PermissionDenied) as caught:
        rules.require_support(coverage, CASE)
    assert ("extension_required", ["extension_required"]) == (
        caught.value.code,
        caught.value.details["reasons"],
    )
    covered = rules.support_coverage(CATALOGUE, holdings(), "NetBackup", None, AT)
    assert rules.require_support(covered, CASE) is None


def test_consent_given_lets_the_session_start() -> None:
    """With consent to the current terms require_remote_consent refuses nothing."""
    terms = rules.remote_access_terms(CATALOGUE)
    assert rules.require_remote_consent(CASE, terms, True) is None
    assert Reader.anonymous() == rules.reader_of(None)


@given(
    what=st.sampled_from(["agreement", "extension", "grant"]),
    record_id=st.text(min_size=1, max_size=20),
    taken=st.booleans(),
)
def test_a_taken_record_id_is_refused_and_a_free_one_passes(
    what: str, record_id: str, taken: bool
) -> None:
    """``require_new_id`` refuses exactly a taken id, naming ``<what>_id`` and ``<what>_exists``."""
    if not taken:
        assert rules.require_new_id(False, what, record_id) is None
        return
    with pytest.raises(Conflict) as refused:
        rules.require_new_id(True, what, record_id)
    assert (f"{what}_exists", f"{what}_id") == (refused.value.code, refused.value.field)


def test_adding_an_agreement_or_extension_twice_is_one_conflict() -> None:
    """The rules that add an agreement and an extension refuse an id the customer already holds."""
    held = holdings()
    with pytest.raises(Conflict) as agreement:
        rules.add_agreement(
            CATALOGUE,
            held,
            agreement_id="A-1",
            level="essential_support",
            products=["NetBackup"],
            starts_on=date(2012, 1, 1),
            ends_on=date(2012, 12, 31),
            at=AT,
            by="staff",
        )
    extended, _ = rules.add_extension(
        held,
        extension_id="X-1",
        product="NetBackup",
        releases=["6.5"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        at=AT,
        by="staff",
    )
    with pytest.raises(Conflict) as extension:
        rules.add_extension(
            extended,
            extension_id="X-1",
            product="NetBackup",
            releases=["6.5"],
            starts_on=date(2012, 1, 1),
            ends_on=date(2012, 12, 31),
            at=AT,
            by="staff",
        )
    assert ("agreement_exists", "extension_exists") == (agreement.value.code, extension.value.code)
