"""Every ledger's ``verify_all()`` answers alike: ``.ok`` and ``.failures``, whatever
the ledger (a host's ``if not result.ok: alert()`` works everywhere)."""

from __future__ import annotations

import pytest
from hypothesis import given

from _programs import register_active
from symprogram import Program
from symprogram.ledger import VerificationFailures
from symprogram.testing import strategies as sps

pytestmark = pytest.mark.backends("memory", "sqlite")


def _answers(program: Program) -> dict[str, object]:
    return {
        "history": program.history.verify_all(),
        "consent": program.consent.verify_all(),
        "entitlements": program.entitlements.verify_all(),
        "program": program.verify_all(),
    }


def test_every_verify_all_has_ok_and_failures(program: Program) -> None:
    """Each ledger's answer, and the program's, has ``ok`` and ``failures`` (the
    history and the entitlements audit used to answer a bare tuple, whose truth value
    meant the opposite of the consent ledger's): on a sound store every one is ok."""
    cid = register_active(program)
    program.consent.grant(cid, "newsletters", channel="web_form")
    answers = _answers(program)
    assert dict.fromkeys(answers, (True, ())) == {
        name: (a.ok, tuple(a.failures))  # type: ignore[attr-defined]
        for name, a in answers.items()
    }


@given(sps.verification_failures())
def test_a_failures_tuple_is_ok_exactly_when_empty(found: VerificationFailures) -> None:
    """``ok`` is true exactly when nothing failed; ``failures`` is the plain tuple."""
    assert (len(found) == 0, tuple(found)) == (found.ok, found.failures)


def test_the_truth_value_of_a_failures_tuple_is_deprecated() -> None:
    """Its truth value (true when something failed) is the opposite of every other
    verification answer's: it warns, and still answers as a tuple for this release."""
    with pytest.warns(DeprecationWarning, match=r"\.ok"):
        assert not VerificationFailures()
