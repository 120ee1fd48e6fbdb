"""A stream or head row whose name no subject can have is reported, not raised.

A probe inserted one head row named ``history:`` (an empty subject): every
``verify_all`` stopped with ``ValidationError invalid_key``, so one row turned
off the whole-store audit and hid every other problem. Now such a name is one
failed verification (``stream_name_invalid``) and the reading goes on.
"""

from __future__ import annotations

import json

import pytest
from ledger_rows import LedgerRows

from _programs import ProgramFactory, register_active
from symprogram._ledger_subjects import HEAD_KIND
from symprogram.errors import IntegrityError

KEY = b"misnamed streams ledger key, 32b"


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
@pytest.mark.parametrize("ledger", ["history", "consent", "entitlements"])
@pytest.mark.parametrize("row", ["head", "entries"])
def test_a_stream_named_with_no_subject_is_one_reported_failure(
    backend: str, make_program: ProgramFactory, ledger: str, row: str
) -> None:
    """A head or a stream named ``<ledger>:`` is reported as ``stream_name_invalid``
    beside the other problems (a truncated history here). A digest is made over a
    stray head (it reads the streams); over a stray stream it is refused as
    ``ledger_corrupt``, as over any stream it cannot read."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program)
    rows = LedgerRows(program)
    stream = f"{ledger}:"
    if row == "head":
        rows.put_record(HEAD_KIND, stream, json.dumps({"length": 1}))
    else:
        rows.put_stream(stream, [(1, "{}")])
    history = rows.read(f"history:{cid}")
    rows.put_stream(f"history:{cid}", history[:-1])  # a real problem elsewhere
    result = program.verify_all()
    found = {failure.subject: [p.code for p in failure.problems] for failure in result.failures}
    assert ["stream_name_invalid"] == found.pop(stream)
    assert [f"history:{cid}"] == list(found)  # the reading went on
    if row == "head":
        assert program.digest() is not None
    else:
        with pytest.raises(IntegrityError) as info:
            program.digest()
        assert ("ledger_corrupt", stream) == (info.value.code, info.value.details["stream"])


@pytest.mark.backends("memory", "sqlite")
@pytest.mark.parametrize("ledger", ["history", "consent", "entitlements"])
@pytest.mark.parametrize("upkeep", ["rekey", "adopt_erasures"])
def test_a_rewrite_stops_at_a_misnamed_stream_as_at_one_that_does_not_verify(
    backend: str, make_program: ProgramFactory, ledger: str, upkeep: str
) -> None:
    """``Program.rekey`` and ``Program.adopt_erasures`` over a stream named ``<ledger>:``
    refuse it like any stream that does not verify (``ledger_rekey_refused`` /
    ``ledger_adoption_refused``, problem ``stream_name_invalid``), not with a bare
    ``invalid_key`` about a name the caller never gave."""
    program = make_program(backend, ledger_key=KEY)
    register_active(program)
    stream = f"{ledger}:"
    LedgerRows(program).put_stream(stream, [(1, "{}")])
    with pytest.raises(IntegrityError) as info:
        getattr(program, upkeep)()
    expected = "ledger_rekey_refused" if upkeep == "rekey" else "ledger_adoption_refused"
    problems = [p["code"] for p in info.value.details["problems"]]
    assert (expected, stream, ["stream_name_invalid"]) == (
        info.value.code,
        info.value.details["stream"],
        problems,
    )
