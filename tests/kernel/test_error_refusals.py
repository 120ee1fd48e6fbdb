"""``SymprogramError.refusal``: a refusal declared once, a new error each time it is raised."""

from __future__ import annotations

import pytest

from symprogram.accounts import rules as accounts_rules
from symprogram.awards import rules as awards_rules
from symprogram.errors import IllegalTransition, NotFound, PermissionDenied, RateLimited


def test_a_refusal_makes_a_new_error_of_its_class_each_call() -> None:
    """Each call makes a new error with the declared class, message, field and code."""
    refuse = NotFound.refusal("no such code", field="code", code="code_not_found")
    first, second = refuse(), refuse()
    assert first is not second
    assert (NotFound, "no such code", "code", "code_not_found") == (
        type(first),
        first.message,
        first.field,
        first.code,
    )
    assert (first.message, first.field, first.code) == (second.message, second.field, second.code)
    assert isinstance(RateLimited.refusal("slow down", code="rate_limited")(), RateLimited)


def test_a_refusal_documents_what_it_raises() -> None:
    """Its docstring names the class, code, field and message (the API reference shows it)."""
    refuse = IllegalTransition.refusal("not now", field="status", code="not_now")
    kind = ":class:`~symprogram.errors.IllegalTransition`"
    assert f'A new {kind} ``not_now`` on ``status``: "not now".' == refuse.__doc__
    assert IllegalTransition is refuse.__annotations__["return"]


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        (
            accounts_rules.account_erased,
            (
                IllegalTransition,
                "this account's personal data was erased; it cannot be used again",
                "candidate_id",
                "account_erased",
            ),
        ),
        (
            accounts_rules.invalid_credentials,
            (
                PermissionDenied,
                "the e-mail address or password is wrong",
                "password",
                "invalid_credentials",
            ),
        ),
        (
            awards_rules.unknown_code,
            (NotFound, "no disclosure has this verification code", "code", "disclosure_not_found"),
        ),
    ],
)
def test_the_rules_refusals_keep_their_class_message_field_and_code(
    refusal: object, expected: tuple[object, ...]
) -> None:
    """``account_erased()``, ``invalid_credentials()`` and ``unknown_code()`` raise what
    they raised as functions."""
    assert callable(refusal)
    error = refusal()
    assert expected == (type(error), error.message, error.field, error.code)
