"""The kernel's public helpers refuse an argument of a wrong shape with a coded error.

``serialization.json_value(None)``, ``toml_value(None)`` or ``toml_value("a = [")``,
``digests.merkle_root(5)``, ``tokens.new_secrets(-1)``, ``clock.start_of_day(None)``,
``clock.read_clock(None)``, ``CandidateId.generate(rng=5)``,
``erasure.erase_person(None, ...)``, ``LedgerRegistry.holds_key_of(None)`` and
``LedgerRegistry.ledger(["history"])`` let Python's ``TypeError``,
``AttributeError``, ``ValueError`` or ``TOMLDecodeError`` escape (DESIGN principle 4:
every bad input is a ``SymprogramError`` with a stable code).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from symprogram import Program
from symprogram.clock import read_clock, start_of_day
from symprogram.digests import merkle_root
from symprogram.erasure import erase_person
from symprogram.errors import ValidationError
from symprogram.ids import CandidateId
from symprogram.ledger import LedgerRegistry
from symprogram.serialization import json_value, toml_value
from symprogram.tokens import new_secrets


def wrong(value: object) -> Any:
    """``value`` typed as anything: a shape the type checker would refuse."""
    return value


CALLS: dict[str, tuple[Callable[[], object], str]] = {
    "json_value(None)": (lambda: json_value(wrong(None)), "invalid_json"),
    "json_value(not JSON)": (lambda: json_value("{"), "invalid_json"),
    "toml_value(None)": (lambda: toml_value(wrong(None)), "invalid_toml"),
    "toml_value(not TOML)": (lambda: toml_value("a = ["), "invalid_toml"),
    "merkle_root(5)": (lambda: merkle_root(wrong(5)), "invalid_digest"),
    "merkle_root([str])": (lambda: merkle_root(wrong(["leaf"])), "invalid_digest"),
    "new_secrets(-1)": (lambda: new_secrets(-1), "invalid_count"),
    "new_secrets(None)": (lambda: new_secrets(wrong(None)), "invalid_count"),
    "start_of_day(None)": (lambda: start_of_day(wrong(None)), "invalid_date"),
    "read_clock(None)": (lambda: read_clock(wrong(None)), "invalid_clock"),
    "CandidateId.generate(rng=5)": (lambda: CandidateId.generate(rng=wrong(5)), "invalid_rng"),
    "erase_person(None)": (
        lambda: erase_person(wrong(None), "SP-0000-0000-0000-0", reason="r"),
        "invalid_program",
    ),
    "holds_key_of(None)": (lambda: LedgerRegistry().holds_key_of(wrong(None)), "invalid_ledger"),
    "ledger([name])": (lambda: LedgerRegistry().ledger(wrong(["history"])), "invalid_key"),
}


@pytest.mark.parametrize("case", sorted(CALLS))
def test_a_kernel_helper_given_a_wrong_shape_is_refused_with_a_code(case: str) -> None:
    """A ``ValidationError`` (so still a ``ValueError`` for the callers that catch
    one) with the helper's code, never Python's own error."""
    call, code = CALLS[case]
    with pytest.raises(ValidationError) as info:
        call()
    assert code == info.value.code


def test_the_helpers_still_answer_the_right_shapes() -> None:
    """The checks refuse only what was never served."""
    assert [1] == json_value("[1]")
    assert {"a": 1} == toml_value("a = 1")
    assert 64 == len(merkle_root([b"leaf", bytearray(b"other")]))
    assert [] == new_secrets(0)
    assert 2 == len(new_secrets(2))
    assert 0 == start_of_day(date(2011, 1, 15)).hour
    with Program.in_memory() as program:
        assert program.ledgers.holds_key_of(program.ledgers.ledger("history"))
