"""Rotating the ledger key: key rings, key ids, re-keying that launders nothing.

Every entry, head, erasure marker and digest names the key it was made with (a key
id); a program verifies each with the key of its ring that id names, new writes
use the current key, and ``Program.rekey`` re-authenticates every stream with the
current key after verifying it with its old one. Property tests rotate at random
points of random ledgers and tamper with them afterwards, on every backend the
``backend`` fixture gives (memory, SQLite, the SQLAlchemy adapter; the servers when
configured).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows, sha256_digest
from test_tamper_detection import (
    HEALTH,
    LEDGERS,
    TAMPER_FUNCTIONS,
    TAMPERS,
    TOPICS,
    _items,
    build,
    chain_codes,
    expected_detected,
    verify,
)

from _programs import START, ProgramFactory, drop_tables, new_prefix, open_program
from symprogram import Program
from symprogram._ledger_text import _chain_body, _head_mac, _mac
from symprogram.digests import LedgerDigest
from symprogram.errors import IntegrityError, NotFound, ValidationError
from symprogram.ledger import GENESIS
from symprogram.ledger_keys import LedgerKeys, key_id
from symprogram.testing.strategies import ledger_keys

KEYS = tuple(f"rotation key number {n}, 32 bytes".encode()[:32] for n in range(4))


def reopen(program: Program, key: bytes | LedgerKeys | None) -> Program:
    """Another program on the same store (as a host restarted with another key)."""
    return Program(program.store, clock=program.clock, ledger_key=key)


@contextlib.contextmanager
def fresh(backend: str, key: bytes) -> Iterator[Program]:
    """A program on a store of its own (one per Hypothesis example), dropped afterwards."""
    with tempfile.TemporaryDirectory() as directory:
        prefix = new_prefix()
        program = open_program(backend, Path(directory), prefix=prefix, ledger_key=key)
        try:
            yield program
        finally:
            program.close()
            drop_tables(backend, Path(directory), prefix)


def codes(program: Program) -> set[str]:
    """Every problem code ``verify_all`` reports."""
    return {p.code for f in program.verify_all().failures for p in f.problems}


# -- random histories with rotations ---------------------------------------------------

Step = tuple[Any, ...]


def _steps() -> st.SearchStrategy[list[Step]]:
    append = st.tuples(
        st.just("append"),
        st.sampled_from(LEDGERS),
        st.sampled_from(["S-a", "S-b"]),
        st.integers(1, 3),
    )
    erase = st.tuples(st.just("erase"), st.sampled_from(LEDGERS), st.sampled_from(["S-a", "S-b"]))
    other = st.sampled_from([("rotate",), ("rekey",), ("digest",)])
    return st.lists(st.one_of(append, append, erase, other), min_size=3, max_size=14)


def _do_append(program: Program, ledger: str, subject: str, n: int, tick: int) -> None:
    if ledger == "consent":
        for i in range(n):
            if (tick + i) % 2:
                program.consent.withdraw(subject, TOPICS[i % 2], channel="phone")
            else:
                program.consent.grant(subject, TOPICS[i % 2], channel="web_form", evidence="box")
        return
    chosen = program.history.ledger if ledger == "history" else program.entitlements.ledger
    with program.store.transaction() as tx:
        chosen.append_many(
            tx,
            subject,
            [
                ("noted", {"n": i, "who": "Ada"}, START + timedelta(minutes=tick + i))
                for i in range(n)
            ],
        )


def _do_erase(program: Program, ledger: str, subject: str) -> None:
    if ledger == "consent":
        with contextlib.suppress(NotFound):  # nothing recorded about the subject yet
            program.consent.erase(subject)
        return
    chosen = program.history.ledger if ledger == "history" else program.entitlements.ledger
    with program.store.transaction() as tx:
        chosen.erase(tx, subject)


def run(program: Program, steps: list[Step]) -> tuple[Program, list[LedgerDigest], int]:
    """Play ``steps``; return the program with the final ring, the digests kept (as text,
    read back) and how many rotations happened."""
    digests: list[LedgerDigest] = []
    ring = LedgerKeys(KEYS[0])
    rotations = 0
    erased: set[str] = set()  # consent subjects erased: nothing more is recorded about them
    for tick, step in enumerate(steps):
        if step[0] in ("append", "erase") and step[1] == "consent" and step[2] in erased:
            continue
        if step[0] == "erase" and step[1] == "consent":
            erased.add(step[2])
        if step[0] == "append":
            _do_append(program, step[1], step[2], step[3], tick * 10)
        elif step[0] == "erase":
            _do_erase(program, step[1], step[2])
        elif step[0] == "rotate" and rotations + 1 < len(KEYS):
            rotations += 1
            ring = ring.rotated(KEYS[rotations])
            program = reopen(program, ring)
        elif step[0] == "rekey":
            program.rekey()
        elif step[0] == "digest":
            digests.append(LedgerDigest.from_text(program.digest().to_text()))
    return program, digests, rotations


@settings(max_examples=12, deadline=None, suppress_health_check=HEALTH)
@given(steps=_steps())
def test_rotation_at_random_points_keeps_every_ledger_and_every_kept_digest_verifiable(
    backend: str, steps: list[Step]
) -> None:
    """Whatever the order of appends, erasures, rotations, re-keyings and digests: every
    ledger verifies with the ring, against every digest kept (those taken before a
    rotation too); a program holding only the current key reports the streams not yet
    re-keyed as ``ledger_key_unknown``, never ``hash_mismatch``; after ``rekey`` it
    verifies everything with the current key alone."""
    with fresh(backend, KEYS[0]) as first:
        check_rotations(first, steps)


def check_rotations(first: Program, steps: list[Step]) -> None:
    """The checks of the property above, on a fresh program."""
    program, digests, rotations = run(first, steps)
    assert program.verify_all().ok
    for digest in digests:
        assert program.verify_all(against=digest).ok
    assert codes(reopen(program, KEYS[rotations])) <= {"ledger_key_unknown"}
    program.rekey()
    assert 0 == program.rekey()
    assert reopen(program, KEYS[rotations]).verify_all().ok
    for digest in digests:
        assert program.verify_all(against=digest).ok


@settings(max_examples=30, deadline=None, suppress_health_check=HEALTH)
@given(
    ledger=st.sampled_from(LEDGERS),
    tamper=st.sampled_from(TAMPERS),
    rekeyed=st.booleans(),
    digest_after=st.booleans(),
    data=st.data(),
)
def test_every_tamper_kind_is_detected_after_a_rotation(
    backend: str,
    ledger: str,
    tamper: str,
    rekeyed: bool,
    digest_after: bool,
    data: st.DataObject,
) -> None:
    """Written under the old key, rotated (re-keyed or not), every tamper kind of the
    suite is still detected with the ring and a kept digest (taken before or after the
    rotation), what the threat model says the key alone detects is detected without the
    digest, re-keying against the digest refuses the stream and leaves it as it is (no
    forgery is laundered), and the sibling stream verifies."""
    with fresh(backend, KEYS[0]) as old:
        tamper_after_rotation(old, ledger, tamper, rekeyed, digest_after, data)


def tamper_after_rotation(
    old: Program, ledger: str, tamper: str, rekeyed: bool, digest_after: bool, data: st.DataObject
) -> None:
    """The checks of the property above, on a fresh program."""
    n = data.draw(st.integers(2, 5), label="entries")
    built = build(
        old,
        ledger,
        data.draw(_items(ledger, n), label="items"),
        data.draw(st.integers(1, n - 1), label="backup after"),
        data.draw(_items(ledger, n), label="sibling items"),
    )
    before = old.digest()
    program = reopen(old, LedgerKeys(KEYS[1], retired=(KEYS[0],)))
    if rekeyed:
        assert program.rekey() >= 2
    kept = program.digest() if digest_after else before
    rows = LedgerRows(program)
    stream = f"{ledger}:{built.subject}"
    snapshot = rows.snapshot(stream, built.records)
    assert verify(program, ledger, built.subject, kept).ok
    position = data.draw(st.integers(1, n), label="position")
    try:
        TAMPER_FUNCTIONS[tamper](rows, built, position)
        result = verify(program, ledger, built.subject, kept)
        assert chain_codes(result), (tamper, result.problems)
        if expected_detected(tamper, key=True, digest=False):
            assert chain_codes(verify(program, ledger, built.subject, None)), tamper
        tampered = rows.read(stream)
        with pytest.raises(IntegrityError) as info:
            program.rekey(against=kept)
        assert "ledger_rekey_refused" == info.value.code
        assert stream == info.value.details["stream"]
        assert tampered == rows.read(stream)
        assert verify(program, ledger, built.other, kept).ok
    finally:
        rows.restore(snapshot)
    assert verify(program, ledger, built.subject, kept).ok


# -- key ids ----------------------------------------------------------------------------


def _history(program: Program, subject: str, n: int) -> None:
    with program.store.transaction() as tx:
        program.history.ledger.append_many(
            tx, subject, [("noted", {"n": i}, START + timedelta(minutes=i)) for i in range(n)]
        )


def test_every_entry_and_head_names_its_key_never_the_key(make_program: ProgramFactory) -> None:
    """A keyed ledger writes the current key's id (16 hex digits) on each entry and head,
    and the key itself nowhere; an unkeyed ledger writes no key id."""
    program = make_program("memory", ledger_key=KEYS[0])
    _history(program, "S", 2)
    rows = LedgerRows(program)
    entries = [json.loads(text) for _, text in rows.read("history:S")]
    head = rows.head("history:S")
    assert [key_id(KEYS[0])] * 2 == [e["key"] for e in entries]
    assert head is not None and key_id(KEYS[0]) == head["key"]
    assert all(
        KEYS[0].hex() not in text and "rotation" not in text for _, text in rows.read("history:S")
    )
    unkeyed = make_program("memory")
    _history(unkeyed, "S", 1)
    assert "key" not in json.loads(LedgerRows(unkeyed).read("history:S")[0][1])


def test_an_unknown_key_id_is_reported_as_such_not_as_an_altered_entry(
    make_program: ProgramFactory,
) -> None:
    """Opened with a new key and no ring, the entries and head of the old key are
    ``ledger_key_unknown``; with the old key retired in the ring, they verify; a key id
    edited to one nobody holds is ``ledger_key_unknown`` too."""
    program = make_program("memory", ledger_key=KEYS[0])
    _history(program, "S", 2)
    assert {"ledger_key_unknown"} == codes(reopen(program, KEYS[1]))
    assert reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],))).verify_all().ok
    rows = LedgerRows(program)
    raw = json.loads(rows.read("history:S")[1][1])
    raw["key"] = "0123456789abcdef"
    rows.rewrite("history:S", 2, raw)
    found = [(p.position, p.code) for p in program.history.verify("S").problems]
    assert [(2, "ledger_key_unknown")] == found
    with pytest.raises(IntegrityError) as info:
        _history(reopen(program, KEYS[1]), "S", 1)
    assert "ledger_key_unknown" == info.value.code


def test_entries_written_before_key_ids_verify_with_the_current_or_declared_legacy_key(
    make_program: ProgramFactory,
) -> None:
    """Entries and heads with no key id (an earlier build) verify with the current key;
    after a rotation, with the ring's declared ``legacy`` key; ``rekey`` stamps them."""
    program = make_program("memory", ledger_key=KEYS[0])
    _history(program, "S", 3)
    rows = LedgerRows(program)
    legacy = []
    for position, text in rows.read("history:S"):
        raw = json.loads(text)
        del raw["key"]
        legacy.append((position, json.dumps(raw)))
    rows.put_stream("history:S", legacy)
    head = rows.head("history:S")
    assert head is not None
    del head["key"]
    rows.put_head("history:S", head)
    assert program.verify_all().ok
    rotated = reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],)))
    assert "hash_mismatch" in codes(rotated)
    declared = reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],), legacy=KEYS[0]))
    assert declared.verify_all().ok
    assert 1 == declared.rekey()
    assert reopen(program, KEYS[1]).verify_all().ok


# -- re-keying ----------------------------------------------------------------------------


def test_rekey_refuses_a_stream_that_does_not_verify_and_resumes_after(
    make_program: ProgramFactory,
) -> None:
    """A tampered stream is refused (``ledger_rekey_refused``) and left as it was, so
    re-keying never launders a forgery; the streams before it stay re-keyed, and once
    the stream is restored a second run re-keys the rest and skips what was done."""
    program = make_program("memory", ledger_key=KEYS[0])
    for subject in ("A", "B", "C"):
        _history(program, subject, 2)
    rows = LedgerRows(program)
    original = rows.read("history:B")
    raw = json.loads(original[0][1])
    raw["data"]["n"] = 99
    rows.rewrite("history:B", 1, raw)
    tampered = rows.read("history:B")
    ring = reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],)))
    with pytest.raises(IntegrityError) as info:
        ring.rekey()
    assert "ledger_rekey_refused" == info.value.code
    assert "history:B" == info.value.details["stream"]
    assert tampered == rows.read("history:B")
    assert ["A"] == [s for s in "ABC" if reopen(program, KEYS[1]).history.verify(s).ok]
    rows.put_stream("history:B", original)
    assert 2 == ring.rekey()
    assert 0 == ring.rekey()
    assert reopen(program, KEYS[1]).verify_all().ok


def test_rekey_against_a_digest_refuses_a_rolled_back_stream(make_program: ProgramFactory) -> None:
    """With ``against``, a stream rolled back behind the digest (valid on its own, with
    its old head) is refused too."""
    program = make_program("memory", ledger_key=KEYS[0])
    _history(program, "A", 1)
    rows = LedgerRows(program)
    backup = rows.snapshot("history:A")
    _history(program, "A", 1)
    digest = program.digest()
    rows.restore(backup)
    ring = reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],)))
    assert 1 == ring.rekey()  # without a digest, the rollback is not seen
    rows.restore(backup)
    with pytest.raises(IntegrityError) as info:
        reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],))).rekey(against=digest)
    assert "ledger_rekey_refused" == info.value.code


def test_a_digest_made_with_a_key_the_ring_does_not_hold_is_refused(
    make_program: ProgramFactory,
) -> None:
    """A digest of a retired key verifies while the ring keeps the key, and is
    ``digest_key_mismatch`` once it is dropped; a digest of the current key is refused
    by a program holding only the old key."""
    program = make_program("memory", ledger_key=KEYS[0])
    _history(program, "A", 2)
    old = program.digest()
    ring = reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],)))
    ring.rekey()
    new = ring.digest()
    assert ring.verify_all(against=old).ok and ring.verify_all(against=new).ok
    assert new.key_id == key_id(KEYS[1]) != old.key_id
    for holder, digest in ((reopen(program, KEYS[1]), old), (reopen(program, KEYS[0]), new)):
        with pytest.raises(ValidationError) as info:
            holder.verify_all(against=digest)
        assert "digest_key_mismatch" == info.value.code


# -- the key ring ---------------------------------------------------------------------------


# HMAC pads a short key with zero bytes: b"a" and b"a\x00" are one key (the same id).
_KEY_LISTS = st.lists(
    st.binary(min_size=1, max_size=40).filter(lambda k: k.rstrip(b"\x00")),
    min_size=1,
    max_size=5,
    unique_by=lambda k: k.rstrip(b"\x00"),
)


@given(keys=_KEY_LISTS)
def test_a_key_ring_finds_each_key_by_its_id_and_never_shows_a_key(keys: list[bytes]) -> None:
    """Every key of the ring is found by its id, the current one first; an id not in the
    ring finds nothing; ``repr`` shows ids only; ``rotated`` retires the current key."""
    ring = LedgerKeys(keys[0], retired=keys[1:])
    assert tuple(key_id(k) for k in keys) == ring.ids
    assert all(ring.key_for(key_id(k)) == k for k in keys)
    assert ring.key_for(None) == keys[0]
    assert ring.key_for("g" * 16) is None
    assert all(k.hex() not in repr(ring) and repr(k) not in repr(ring) for k in keys if len(k) > 3)
    turned = ring.rotated(b"N" * 41)
    assert (keys[0], *keys[1:]) == turned.retired
    assert ring == LedgerKeys(keys[0], retired=keys[1:]) != turned
    with pytest.raises(ValidationError) as info:
        LedgerKeys(b"same", retired=(b"same\x00",))
    assert "invalid_key_ring" == info.value.code


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((b"",), "invalid_key"),
        (("text",), "invalid_key"),
        ((b"a", b"b"), "invalid_key"),
        ((b"a", (b"a",)), "invalid_key_ring"),
        ((b"a", (b"b",), b"c"), "invalid_key_ring"),
    ],
)
def test_a_malformed_key_ring_is_refused(args: tuple[Any, ...], code: str) -> None:
    """An empty or non-bytes key, retired keys given as one bytes value, a key twice, or a
    legacy key outside the ring: ``ValidationError`` with a stable code."""
    with pytest.raises(ValidationError) as info:
        LedgerKeys(*args)
    assert code == info.value.code


@settings(max_examples=25, deadline=None)
@given(ring=ledger_keys(), data=st.data())
def test_entries_of_a_ring_verify_with_every_ring_that_holds_its_current_key(
    ring: LedgerKeys, data: st.DataObject
) -> None:
    """Entries written with ``ring`` verify with any ring holding its current key (current
    or retired), and are ``ledger_key_unknown`` for a ring that does not."""
    program = Program.in_memory(ledger_key=ring)
    _history(program, "S", data.draw(st.integers(1, 4), label="entries"))
    other = data.draw(ledger_keys(), label="another ring")
    if ring.current_id in other.ids:
        assert reopen(program, other).verify_all().ok
        return
    assert {"ledger_key_unknown"} == codes(reopen(program, other))
    holder = LedgerKeys(other.current, retired=(*other.retired, ring.current))
    assert reopen(program, holder).verify_all().ok


def _forge_with(key: bytes, rows: LedgerRows, subject: str) -> None:
    """What an attacker holding ``key`` writes: entry 1's data edited, every entry
    re-chained with ``key`` (seals dropped), and a head authenticated with it."""
    stream = f"history:{subject}"
    raws = [json.loads(text) for _, text in rows.read(stream)]
    raws[0]["data"]["n"] = 99
    raws[0]["digest"] = sha256_digest(raws[0]["salt"], raws[0]["data"])
    prev = GENESIS
    for position, raw in enumerate(raws, start=1):
        for field in ("seal", "seal_key"):
            raw.pop(field, None)
        body = _chain_body(prev, subject, position, raw["kind"], raw["at"], raw["digest"])
        raw.update(prev=prev, hash=_mac(key, body), key=key_id(key))
        prev = raw["hash"]
    rows.put_stream(stream, [(p, json.dumps(raw)) for p, raw in enumerate(raws, start=1)])
    mac = _head_mac(key, stream, len(raws), prev)
    rows.put_head(stream, {"length": len(raws), "hash": prev, "mac": mac, "key": key_id(key)})


@pytest.mark.parametrize("taken", ["before", "after"])
def test_a_leaked_retired_key_cannot_rewrite_what_a_kept_digest_covered(
    taken: str, make_program: ProgramFactory
) -> None:
    """Re-keyed entries keep their hashes under a seal of the new key. An attacker holding
    the old key (still in the ring) can rewrite a stream consistently under it, which
    ``verify`` alone accepts (the threat model says so), but not match a digest kept out
    of reach, taken before the rotation or after the re-keying (``digest_head_mismatch``);
    with the old key dropped from the ring the forgery is ``ledger_key_unknown``."""
    program = make_program("memory", ledger_key=KEYS[0])
    _history(program, "S", 3)
    before = program.digest()
    ring = reopen(program, LedgerKeys(KEYS[1], retired=(KEYS[0],)))
    assert 1 == ring.rekey()
    rows = LedgerRows(program)
    assert all("seal" in json.loads(text) for _, text in rows.read("history:S"))
    kept = before if taken == "before" else ring.digest()
    assert ring.history.verify("S", against=kept).ok
    _forge_with(KEYS[0], rows, "S")
    assert ring.history.verify("S").ok
    found = {p.code for p in ring.history.verify("S", against=kept).problems}
    assert {"digest_head_mismatch"} == found
    assert {"ledger_key_unknown"} == codes(reopen(program, KEYS[1]))
