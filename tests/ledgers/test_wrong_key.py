"""A ledger verified with a key that did not write it: a key problem, not tampering.

Every entry, head and erasure marker of a keyed ledger names the key it was made
with (its key id). Verified with a valid key whose id is another, a stream is
reported ``ledger_key_unknown`` (:class:`~symprogram.ledger.KeyUnknown`, naming
the key id it was made with and the verifying ring's, never a key), and its
outcome is ``ledger_key_unknown`` too (``raise_for_problems``, ``verify_all``, the
command line), never ``ledger_tampered``. A key id that matches while the MAC fails
is still tampering, and so is any other problem beside the key problems; entries
with no key id keep being checked with the legacy key (``hash_mismatch``).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import START, ProgramFactory, register_active
from symprogram import Program
from symprogram.errors import IntegrityError
from symprogram.ledger import KeyUnknown, Ledger
from symprogram.ledger_keys import LedgerKeys, key_id
from symprogram.persistence import Store

WRITER, OTHER = b"the key that wrote the entries!!", b"a valid key that wrote nothing!!"


def _write(program: Program) -> str:
    """An active account (history entries) and a consent choice, written with the key."""
    cid = register_active(program, "ada@example.com")
    program.consent.grant("c-1", "special_offers", channel="web_form", evidence="box")
    return cid


def _reopen(program: Program, key: bytes | LedgerKeys) -> Program:
    """Another program on the same store, as a host restarted with another key."""
    return Program(program.store, clock=program.clock, ledger_key=key)


def _no_key_in(text: str) -> bool:
    return all(k.hex() not in text and repr(k) not in text for k in (WRITER, OTHER))


def test_a_valid_key_that_did_not_write_the_ledger_is_reported_as_a_key_mismatch(
    make_program: ProgramFactory, backend: str
) -> None:
    """Reopened with another valid key: ``verify(subject)`` and ``verify_all()`` report
    only :class:`KeyUnknown` problems naming the writer's key id and the ring's, and
    raise ``ledger_key_unknown`` (details: both key ids, no key), not
    ``ledger_tampered``."""
    writer = make_program(backend, ledger_key=WRITER)
    cid = _write(writer)
    program = _reopen(writer, OTHER)
    result = program.history.verify(cid)
    assert (False, True) == (result.ok, result.key_mismatch)
    assert {(key_id(WRITER), (key_id(OTHER),))} == {
        (p.key_id, p.key_ids) for p in result.problems if isinstance(p, KeyUnknown)
    }
    with pytest.raises(IntegrityError) as caught:
        result.raise_for_problems()
    error = caught.value
    assert "ledger_key_unknown" == error.code
    assert [key_id(WRITER)] == error.details["key_ids"]
    assert [key_id(OTHER)] == error.details["verifying_key_ids"]
    assert _no_key_in(json.dumps(error.details) + str(error))
    everything = program.verify_all()
    assert {"history", "consent"} <= {f.subject.split(":")[0] for f in everything.failures}
    assert everything.key_mismatch and all(f.key_mismatch for f in everything.failures)
    with pytest.raises(IntegrityError) as caught:
        everything.raise_for_problems()
    assert "ledger_key_unknown" == caught.value.code
    assert _reopen(writer, LedgerKeys(OTHER, retired=(WRITER,))).verify_all().ok


def test_a_failing_mac_under_a_matching_key_id_is_still_tampering(
    make_program: ProgramFactory, backend: str
) -> None:
    """An entry edited under the key that wrote it is ``hash_mismatch``, not a key
    problem; verified with another key, the edited stream is still tampered (its other
    problems beside the key problems), and ``verify_all`` raises ``ledger_tampered``
    first even when a stream failing for the key alone comes before it."""
    program = make_program(backend, ledger_key=WRITER)
    cid = _write(program)
    rows = LedgerRows(program)
    stream = f"history:{cid}"
    position, text = rows.read(stream)[1]
    raw = json.loads(text)
    raw["hash"] = "0" * 64
    rows.rewrite(stream, position, raw)
    result = program.history.verify(cid)
    assert not result.key_mismatch
    assert not any(isinstance(p, KeyUnknown) for p in result.problems)
    assert "hash_mismatch" in {p.code for p in result.problems}
    with pytest.raises(IntegrityError) as caught:
        result.raise_for_problems()
    assert "ledger_tampered" == caught.value.code
    other = _reopen(program, OTHER)
    edited = other.history.verify(cid)
    assert any(isinstance(p, KeyUnknown) for p in edited.problems)
    assert not edited.key_mismatch
    everything = other.verify_all()
    mismatch = {f.subject: f.key_mismatch for f in everything.failures}
    assert mismatch.pop(stream) is False  # tampered
    assert mismatch and all(mismatch.values())  # the consent streams: the key alone
    assert not everything.key_mismatch
    with pytest.raises(IntegrityError) as caught:
        everything.raise_for_problems()
    assert "ledger_tampered" == caught.value.code


def test_entries_without_a_key_id_keep_their_current_verification(store: Store) -> None:
    """Entries written with no key (so no key id), verified with a key: checked with the
    ring's legacy key as before, ``hash_mismatch`` (tampering), not a key problem."""
    with store.transaction() as tx:
        Ledger("history").append(tx, "S1", "noted", {"n": 1}, START)
    with store.transaction(readonly=True) as tx:
        result = Ledger("history", key=OTHER).verify(tx, "S1")
    assert "hash_mismatch" in {p.code for p in result.problems}
    assert not result.key_mismatch
    assert not any(isinstance(p, KeyUnknown) for p in result.problems)


@settings(max_examples=30, deadline=None)
@given(
    keys=st.lists(st.binary(min_size=1, max_size=40), min_size=2, max_size=2).filter(
        lambda ks: key_id(ks[0]) != key_id(ks[1])
    ),
    count=st.integers(1, 5),
    erase=st.booleans(),
    keyless=st.booleans(),
)
def test_any_stream_of_another_key_is_only_a_key_problem(
    keys: list[bytes], count: int, erase: bool, keyless: bool
) -> None:
    """Any stream (any length, erased or not) written with one key and verified with
    another, or with no key: every problem is a :class:`KeyUnknown` naming the writer's
    key id and the verifying ring's ids, and the outcome is ``ledger_key_unknown``."""
    from symprogram.storage.memory import MemoryStore

    store = MemoryStore()
    writer = Ledger("history", key=keys[0])
    with store.transaction() as tx:
        items = [("noted", {"n": n}, START + timedelta(minutes=n)) for n in range(count)]
        writer.append_many(tx, "S1", items)
        if erase:
            writer.erase(tx, "S1")
    reader = Ledger("history", key=None if keyless else keys[1])
    with store.transaction(readonly=True) as tx:
        result = reader.verify(tx, "S1")
    held = () if keyless else (key_id(keys[1]),)
    assert result.key_mismatch
    assert {(key_id(keys[0]), held)} == {
        (p.key_id, p.key_ids) for p in result.problems if isinstance(p, KeyUnknown)
    }
    with pytest.raises(IntegrityError) as caught:
        result.raise_for_problems()
    assert "ledger_key_unknown" == caught.value.code
