"""The models a caller builds refuse a wrong value with a coded ``ValidationError``.

``BulkCandidate`` (a row of ``register_many``), ``LedgerKeys``, ``Decision`` and
``Reason``, ``Message`` and a ``Policy`` (what ``publish_policy`` takes) raised a
bare ``TypeError``, ``ValueError`` or ``AttributeError`` for a value of the wrong
shape; ``ContactDetails`` and ``Reader`` already refused with a code.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from symprogram.accounts.models import BulkCandidate
from symprogram.consent import PolicyCatalogue
from symprogram.decisions import Decision, Reason
from symprogram.errors import ValidationError
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Message

KEY = b"k" * 32
POLICY = PolicyCatalogue.default().latest

CASES: dict[str, tuple[Callable[[], object], str]] = {
    "BulkCandidate(contact=None)": (lambda: BulkCandidate(contact=None), "invalid_contact"),  # type: ignore[arg-type]
    "BulkCandidate(contact=dict)": (
        lambda: BulkCandidate(contact={"email": "a@example.com"}),  # type: ignore[arg-type]
        "invalid_contact",
    ),
    "LedgerKeys(retired=None)": (lambda: LedgerKeys(KEY, retired=None), "invalid_key"),  # type: ignore[arg-type]
    "LedgerKeys(retired=5)": (lambda: LedgerKeys(KEY, retired=5), "invalid_key"),  # type: ignore[arg-type]
    "Decision(details=list)": (
        lambda: Decision(allowed=True, details=["x"]),  # type: ignore[arg-type]
        "invalid_details",
    ),
    "Reason(facts=5)": (lambda: Reason("code", "msg", facts=5), "invalid_details"),  # type: ignore[arg-type]
    "Message(data=list)": (
        lambda: Message("a@example.com", "k", "s", "b", data=["x"]),  # type: ignore[arg-type]
        "invalid_message_data",
    ),
    "Policy(purposes=[str])": (
        lambda: attrs.evolve(POLICY, purposes=["x"]),
        "invalid_policy",
    ),
    "Policy(recipients=[str])": (
        lambda: attrs.evolve(POLICY, recipients=["x"]),
        "invalid_policy",
    ),
    "Policy(sites=None)": (lambda: attrs.evolve(POLICY, sites=None), "invalid_policy"),
    "Policy(purposes=5)": (lambda: attrs.evolve(POLICY, purposes=5), "invalid_policy"),
    "Policy(reading=strict)": (lambda: attrs.evolve(POLICY, reading="strict"), "invalid_policy"),
    "Policy(version=huge int)": (
        lambda: attrs.evolve(POLICY, version=10**5000),
        "invalid_version",
    ),
    "Purpose(basis=maybe)": (
        lambda: attrs.evolve(POLICY.purposes[0], basis="maybe"),
        "invalid_policy",
    ),
    "Activity(data=None)": (
        lambda: attrs.evolve(POLICY.activities[0], data=None),
        "invalid_policy",
    ),
    "ContactPoint(channel=None)": (
        lambda: attrs.evolve(POLICY.contact_points[0], channel=None),
        "invalid_policy",
    ),
    "ContactPoint(uses=5)": (
        lambda: attrs.evolve(POLICY.contact_points[0], uses=5),
        "invalid_policy",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_model_built_with_a_wrong_shape_is_refused_with_a_code(case: str) -> None:
    build, code = CASES[case]
    with pytest.raises(ValidationError) as refused:
        build()
    assert code == refused.value.code


def test_the_right_shapes_still_build() -> None:
    """The same models built as documented."""
    assert Decision(allowed=True, details={"a": 1}).detail("a") == 1
    assert ("n", 1) in Reason("code", "msg", facts={"n": 1}).facts
    assert LedgerKeys(KEY, retired=[b"r" * 32]).retired == (b"r" * 32,)
    assert attrs.evolve(POLICY, purposes=list(POLICY.purposes)) == POLICY
