"""A stored row nested deeper than Python's JSON parser goes is reported, never raised.

``json.loads("[" * 100_000 + "]" * 100_000)`` raises ``RecursionError``, which is no
``ValueError``: every reader that turned unreadable text into a reported problem let
it escape. A row written so by hand (a ledger entry or head, an outbox message) now
reads as unreadable like any other junk, and ``serialization.loads`` refuses such
text as ``invalid_json``.
"""

from __future__ import annotations

import pytest
from ledger_rows import LedgerRows

from _programs import ProgramFactory, register_active
from symprogram import serialization
from symprogram._ledger_subjects import HEAD_KIND
from symprogram.accounts import Candidate
from symprogram.errors import IntegrityError, ValidationError
from symprogram.outbox import MESSAGE_KIND, MessageOutbox

DEEP = "[" * 100_000 + "]" * 100_000
KEY = b"deeply nested rows ledger key 32b"


@pytest.mark.parametrize("text", [DEEP, DEEP.encode(), " " + DEEP, '{"a":' * 60_000 + "1"])
def test_loads_refuses_text_nested_too_deeply(text: str | bytes) -> None:
    """``invalid_json``, as for any text that is not JSON it can read."""
    with pytest.raises(ValidationError) as caught:
        serialization.loads(text, Candidate)
    assert "invalid_json" == caught.value.code


def test_json_value_turns_recursion_into_a_value_error() -> None:
    """The kernel's reader of stored JSON: every failure is a ``ValueError``."""
    with pytest.raises(ValueError, match="nested too deeply"):
        serialization.json_value(DEEP)
    assert [[1]] == serialization.json_value("[[1]]")


@pytest.mark.backends("memory", "sqlite")
@pytest.mark.parametrize("row", ["entry", "head"])
def test_a_ledger_row_nested_too_deeply_is_a_reported_problem(
    backend: str, make_program: ProgramFactory, row: str
) -> None:
    """``verify_all`` reports the stream and goes on; nothing raises."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program)
    rows = LedgerRows(program)
    stream = f"history:{cid}"
    if row == "entry":
        entries = rows.read(stream)
        rows.put_stream(stream, [*entries[:-1], (entries[-1][0], DEEP)])
    else:
        rows.put_record(HEAD_KIND, stream, DEEP)
    result = program.verify_all()
    assert [stream] == [failure.subject for failure in result.failures]


@pytest.mark.backends("memory", "sqlite")
def test_an_outbox_message_nested_too_deeply_is_record_corrupt(
    backend: str, make_program: ProgramFactory
) -> None:
    """Delivery names the unreadable record (``record_corrupt``) instead of crashing."""
    program = make_program(backend)
    LedgerRows(program).put_record(MESSAGE_KIND, "-:deep", DEEP)
    with pytest.raises(IntegrityError) as caught:
        list(MessageOutbox(program.store, program.notifier).iter_records())
    assert "record_corrupt" == caught.value.code
