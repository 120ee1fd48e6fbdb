"""The old names of the entitlements API still work for a release, with a DeprecationWarning."""

from __future__ import annotations

import importlib
import tomllib
from datetime import date
from importlib import resources
from typing import Any

import pytest
from entitlements_helpers import Env

from _programs import add_agreement
from symprogram.entitlements import EntitlementCatalogue, InMemoryRemoteAccessConsent, Severity
from symprogram.entitlements import storage as entitlements_storage


@pytest.fixture
def filled(env: Env) -> Env:
    """An environment with an agreement, a release and a case of customer C-1."""
    add_agreement(env.service)
    env.service.register_release("NetBackup", "7.5", end_of_standard_support=date(2014, 1, 1))
    env.service.open_case(
        "C-1",
        case_id="K-1",
        product="NetBackup",
        severity=Severity.HIGH,
        summary="backup fails",
        by="C-1",
    )
    return env


def test_audit_is_history(filled: Env) -> None:
    """service.audit(customer) warns and returns history(customer)."""
    with pytest.deprecated_call():
        old = filled.service.audit("C-1")
    assert filled.service.history("C-1") == tuple(old)


def test_verify_audit_is_verify(filled: Env) -> None:
    """service.verify_audit(customer) warns and returns verify(customer)."""
    with pytest.deprecated_call():
        old = filled.service.verify_audit("C-1")
    assert filled.service.verify("C-1") == old


def test_agreement_is_get_agreement(filled: Env) -> None:
    """service.agreement(id) warns and returns get_agreement(id)."""
    with pytest.deprecated_call():
        old = filled.service.agreement("A-1")
    assert filled.service.get_agreement("A-1") == old


def test_holdings_is_get_holdings(filled: Env) -> None:
    """service.holdings(customer) warns and returns get_holdings(customer)."""
    with pytest.deprecated_call():
        old = filled.service.holdings("C-1")
    assert filled.service.get_holdings("C-1") == old


def test_case_is_get_case(filled: Env) -> None:
    """service.case(id) warns and returns get_case(id)."""
    with pytest.deprecated_call():
        old = filled.service.case("K-1")
    assert filled.service.get_case("K-1") == old


def test_lifecycle_is_get_lifecycle(filled: Env) -> None:
    """service.lifecycle(product) warns and returns get_lifecycle(product)."""
    with pytest.deprecated_call():
        old = filled.service.lifecycle("NetBackup")
    assert filled.service.get_lifecycle("NetBackup") == old


def test_from_mapping_is_from_toml() -> None:
    """EntitlementCatalogue.from_mapping(data) warns and builds the catalogue from_toml would."""
    data: dict[str, Any] = {}
    root = resources.files("symprogram").joinpath("data", "entitlements")
    for item in root.iterdir():
        if item.name.endswith(".toml"):
            data.update(tomllib.loads(item.read_text(encoding="utf-8")))
    with pytest.deprecated_call():
        old = EntitlementCatalogue.from_mapping(data)
    assert EntitlementCatalogue.default().documents == old.documents


@pytest.mark.parametrize(
    ("name", "now"),
    [
        ("StoredHoldings", entitlements_storage.StoredHoldings),
        ("StoredCases", entitlements_storage.StoredCases),
        ("StoredLifecycles", entitlements_storage.StoredLifecycles),
        ("InMemoryRemoteAccessConsent", InMemoryRemoteAccessConsent),
    ],
)
def test_names_moved_out_of_ports(name: str, now: object) -> None:
    """symprogram.entitlements.ports.<name> warns and is the class where it lives now."""
    ports = importlib.import_module("symprogram.entitlements.ports")
    with pytest.deprecated_call():
        old = getattr(ports, name)
    assert now is old


def test_find_document_is_require_document() -> None:
    """rules.find_document warns (a ``find_`` would answer None) and answers as
    rules.require_document, refusals included."""
    from symprogram.entitlements import rules
    from symprogram.errors import NotFound

    catalogue = EntitlementCatalogue.default()
    document = next(iter(catalogue.documents))
    with pytest.deprecated_call():
        old = rules.find_document(catalogue, document.id)
    assert rules.require_document(catalogue, document.id) == old
    with pytest.deprecated_call(), pytest.raises(NotFound) as caught:
        rules.find_document(catalogue, "no-such-document")
    assert caught.value.code == "document_not_found"
