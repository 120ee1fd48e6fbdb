"""Addresses that differ only in case are one address; ``ß`` and ``ss`` are two.

Case folding maps letters that are not case variants of each other (``ß`` to
``ss``, ``ς`` to ``σ``, ``ﬁ`` to ``fi``), so it read ``ada@straße.de`` and
``ada@strasse.de`` (two domains: ``xn--strae-oqa.de`` and ``strasse.de``) as one
account. Addresses are compared in lower case.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram.accounts._text import email_key, fold_email
from symprogram.accounts.models import normalize_email

PAIRS = [
    ("ada@straße.de", "ada@strasse.de"),
    ("straße@example.com", "strasse@example.com"),
    ("ﬁle@example.com", "file@example.com"),
    ("ὀδυσσεύς@example.com", "ὀδυσσεύσ@example.com"),
]


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_addresses_case_folding_would_merge_are_two_accounts(
    backend: str, make_program: ProgramFactory, first: str, second: str
) -> None:
    """Each address registers its own account, and finds, logs in and resets its own."""
    program = make_program(backend)
    one = register_active(program, first)
    two = register_active(program, second)
    assert one != two
    for address, cid in ((first, one), (second, two)):
        found = program.accounts.find_by_email(address)
        assert found is not None and cid == found.candidate_id
        program.accounts.request_password_reset(address)
        assert normalize_email(address) == program.notifier.last("password_reset").to
    assert program.verify_all().ok


@given(
    local=st.text(st.sampled_from("abcxyzABCXYZ019._"), min_size=1, max_size=12).filter(
        lambda s: s[0].isalnum() and s[-1].isalnum() and ".." not in s
    ),
    flips=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_addresses_differing_only_in_case_share_one_key(local: str, flips: list[bool]) -> None:
    """``Ada@Example.com`` and ``ada@example.com``: one index key."""
    address = normalize_email(f"{local}@example.com")
    flipped = "".join(
        c.swapcase() if f else c for c, f in zip(address, flips + [False] * 99, strict=False)
    )
    assert email_key(address) == email_key(normalize_email(flipped))


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_the_key_keeps_letters_that_are_not_case_variants(first: str, second: str) -> None:
    """``fold_email`` lowers case only."""
    assert fold_email(normalize_email(first)) != fold_email(normalize_email(second))
    assert email_key(normalize_email(first)) != email_key(normalize_email(second))
