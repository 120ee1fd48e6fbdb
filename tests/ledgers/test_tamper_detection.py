"""Every ledger, tampered with as an attacker with write access to the database would.

Random ledgers (the account history, the consent ledger through its service, the
entitlements audit) on every backend, with and without the program's ledger key,
with and without a digest kept outside the database, and 17 kinds of tampering
written straight into the store's rows. What is detected is exactly the table of
``docs/explanation-threat-model.md``:

- with the key and a kept digest, every tampering is detected;
- the chain alone (no key, no digest) detects every naive edit (:data:`CHAIN`);
- the key adds what needs the key to forge (:data:`FORGERIES`);
- only a digest detects a stream rolled back or dropped (:data:`ROLLBACKS`), and a
  digest without a key does not detect a forged erasure marker (:data:`KEY_ONLY`).
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import (
    LedgerRows,
    Snapshot,
    sha256_chain,
    sha256_digest,
    unkeyed_marker,
)

from _programs import START, ProgramFactory
from symprogram import Program
from symprogram.consent.ports import AUDIENCE_KIND, STATE_KIND
from symprogram.consent.storage import audience_key
from symprogram.digests import LedgerDigest
from symprogram.errors import IntegrityError
from symprogram.ledger import Verification

KEY = b"tamper-suite ledger key, 32 byte"
LEDGERS = ("history", "consent", "entitlements")
TOPICS = ("special_offers", "research")

#: Detected by the hash chain and the head alone: no key, no digest needed.
CHAIN = frozenset(
    {
        "edit_data",
        "edit_hash",
        "delete_entry",
        "truncate",
        "reorder",
        "duplicate",
        "null_data",
        "null_salt",
        "swap_streams",
        "change_position",
        "change_instant",
    }
)
#: Forged consistently by an attacker who can compute SHA-256 but not the key's HMAC.
FORGERIES = frozenset({"rechain", "insert_forged", "fake_erasure"})
#: An older, authentic state put back (or a stream removed): only a digest proves it.
ROLLBACKS = frozenset({"replay_head", "replay_backup", "drop_stream"})
#: Not detected by a digest without the key (the covered hashes are unchanged).
KEY_ONLY = frozenset({"fake_erasure"})
TAMPERS = tuple(sorted(CHAIN | FORGERIES | ROLLBACKS))

#: The consent verification's own checks (projection and audience index against a
#: replay of the ledger), beside the chain's.
PROJECTION_CODES = frozenset(
    {"projection_mismatch", "projection_unreadable", "audience_index_mismatch"}
)

HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
_SUBJECTS = itertools.count()


def expected_detected(kind: str, *, key: bool, digest: bool) -> bool:
    """The threat-model table: whether ``kind`` is detected with or without key and digest."""
    if kind in CHAIN:
        return True
    if kind in FORGERIES:
        return key or (digest and kind not in KEY_ONLY)
    return digest


def test_the_suite_has_every_tamper_kind_of_the_issue() -> None:
    """At least the 16 tamper kinds of issue 17, each in exactly one row of the table."""
    assert 17 == len(TAMPERS)
    assert not (CHAIN & FORGERIES or CHAIN & ROLLBACKS or FORGERIES & ROLLBACKS)
    assert all(expected_detected(k, key=True, digest=True) for k in TAMPERS)


@pytest.fixture(params=[None, KEY], ids=["no-key", "key"])
def keyed(request: pytest.FixtureRequest, backend: str, make_program: ProgramFactory) -> Program:
    """A program on ``backend``, with or without the ledger key."""
    return make_program(backend, ledger_key=request.param)


# -- building random ledgers ----------------------------------------------------


@attrs.define
class Built:
    """A random ledger stream, its sibling stream, and a backup taken part-way."""

    ledger: str
    subject: str
    other: str
    backup: Snapshot
    records: tuple[tuple[str, str], ...]


def _records(ledger: str, subject: str) -> tuple[tuple[str, str], ...]:
    if ledger != "consent":
        return ()
    return ((STATE_KIND, subject), *((AUDIENCE_KIND, audience_key(t, subject)) for t in TOPICS))


def _append(program: Program, ledger: str, subject: str, items: list[Any], first: int) -> None:
    if ledger == "consent":
        for topic, granted in items:
            if granted:
                program.consent.grant(subject, topic, channel="web_form", evidence="box ticked")
            else:
                program.consent.withdraw(subject, topic, channel="phone")
        return
    chosen = program.history.ledger if ledger == "history" else program.entitlements.ledger
    with program.store.transaction() as tx:
        chosen.append_many(
            tx,
            subject,
            [
                (kind, data, START + timedelta(minutes=first + i))
                for i, (kind, data) in enumerate(items)
            ],
        )


def _items(ledger: str, n: int) -> st.SearchStrategy[list[Any]]:
    if ledger == "consent":
        item: st.SearchStrategy[Any] = st.tuples(st.sampled_from(TOPICS), st.booleans())
    else:
        item = st.tuples(
            st.sampled_from(["registered", "escalated", "noted"]),
            st.dictionaries(
                st.sampled_from(["who", "why", "n"]),
                st.integers(-5, 5) | st.text("abcé", max_size=4),
            ),
        )
    return st.lists(item, min_size=n, max_size=n)


def build(program: Program, ledger: str, items: list[Any], cut: int, other: list[Any]) -> Built:
    """Two streams of ``ledger``; the first backed up after ``cut`` of its items."""
    number = next(_SUBJECTS)
    subject, sibling = f"T-{number}-a", f"T-{number}-b"
    rows = LedgerRows(program)
    stream = f"{ledger}:{subject}"
    records = _records(ledger, subject)
    _append(program, ledger, subject, items[:cut], 0)
    backup = rows.snapshot(stream, records)
    _append(program, ledger, subject, items[cut:], cut)
    _append(program, ledger, sibling, other, 0)
    return Built(ledger, subject, sibling, backup, records)


# -- tampering ------------------------------------------------------------------

Tamper = Callable[[LedgerRows, Built, int], None]


def _raw(rows: LedgerRows, stream: str) -> list[dict[str, Any]]:
    return [json.loads(text) for _, text in rows.read(stream)]


def _put(rows: LedgerRows, stream: str, raws: list[tuple[int, dict[str, Any]]]) -> None:
    rows.put_stream(stream, [(p, json.dumps(raw)) for p, raw in raws])


def _rechain(raws: list[dict[str, Any]], subject: str, start: int) -> None:
    """Recompute hashes and links from entry ``start`` (1-based) as SHA-256 would."""
    prev = raws[start - 2]["hash"] if start > 1 else "0" * 64
    for position in range(start, len(raws) + 1):
        raw = raws[position - 1]
        raw["prev"] = prev
        raw["hash"] = prev = sha256_chain(raw, subject, position, prev)


def _head_without_key(rows: LedgerRows, stream: str, raws: list[dict[str, Any]]) -> None:
    rows.put_head(stream, {"length": len(raws), "hash": raws[-1]["hash"]})


def edit_data(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    raw = _raw(rows, stream)[p - 1]
    raw["data"]["tampered"] = True
    rows.rewrite(stream, p, raw)


def edit_hash(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    raw = _raw(rows, stream)[p - 1]
    raw["hash"] = ("0" if raw["hash"][0] != "0" else "1") + raw["hash"][1:]
    rows.rewrite(stream, p, raw)


def delete_entry(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    rows.put_stream(stream, [(q, text) for q, text in rows.read(stream) if q != p])


def truncate(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    rows.put_stream(stream, rows.read(stream)[:-1])


def reorder(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    entries = rows.read(stream)
    q = p + 1 if p < len(entries) else p - 1
    texts = dict(entries)
    texts[p], texts[q] = texts[q], texts[p]
    rows.put_stream(stream, sorted(texts.items()))


def duplicate(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    entries = rows.read(stream)
    copy = entries[p - 1][1]
    rows.put_stream(stream, [*entries, (len(entries) + 1, copy)])
    head = rows.head(stream) or {}
    rows.put_head(stream, {**head, "length": len(entries) + 1, "hash": json.loads(copy)["hash"]})


def null_data(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    raw = _raw(rows, stream)[p - 1]
    raw["data"] = None
    rows.rewrite(stream, p, raw)


def null_salt(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    raw = _raw(rows, stream)[p - 1]
    raw["salt"] = None
    rows.rewrite(stream, p, raw)


def swap_streams(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    theirs = rows.read(f"{b.ledger}:{b.other}")
    rows.rewrite(stream, p, json.loads(theirs[min(p, len(theirs)) - 1][1]))


def change_position(rows: LedgerRows, b: Built, p: int) -> None:
    """Move entry ``p`` to another position (the first, or the second for the first)."""
    stream = f"{b.ledger}:{b.subject}"
    texts = [text for _, text in rows.read(stream)]
    moved = texts.pop(p - 1)
    texts.insert(1 if p == 1 else 0, moved)
    rows.put_stream(stream, list(enumerate(texts, start=1)))


def change_instant(rows: LedgerRows, b: Built, p: int) -> None:
    stream = f"{b.ledger}:{b.subject}"
    raw = _raw(rows, stream)[p - 1]
    raw["at"] = "1999-01-01T00:00:00+00:00"
    rows.rewrite(stream, p, raw)


def rechain(rows: LedgerRows, b: Built, p: int) -> None:
    """Edit an entry's data, then make its digest, the chain after it and the head agree."""
    stream = f"{b.ledger}:{b.subject}"
    raws = _raw(rows, stream)
    raw = raws[p - 1]
    raw["data"]["tampered"] = True
    raw["digest"] = sha256_digest(raw["salt"], raw["data"])
    _rechain(raws, b.subject, p)
    _put(rows, stream, list(enumerate(raws, start=1)))
    _head_without_key(rows, stream, raws)


def insert_forged(rows: LedgerRows, b: Built, p: int) -> None:
    """Insert a made-up entry before entry ``p`` and re-chain everything after it."""
    stream = f"{b.ledger}:{b.subject}"
    raws = _raw(rows, stream)
    salt = secrets.token_hex(16)
    data = {"forged": True}
    forged = {
        "kind": raws[p - 1]["kind"],
        "at": raws[p - 1]["at"],
        "data": data,
        "salt": salt,
        "digest": sha256_digest(salt, data),
    }
    raws.insert(p - 1, forged)
    _rechain(raws, b.subject, p)
    _put(rows, stream, list(enumerate(raws, start=1)))
    _head_without_key(rows, stream, raws)


def fake_erasure(rows: LedgerRows, b: Built, p: int) -> None:
    """Null an entry as erasure does, with the marker an attacker can compute."""
    stream = f"{b.ledger}:{b.subject}"
    raw = _raw(rows, stream)[p - 1]
    raw["data"] = raw["salt"] = None
    raw["erased"] = unkeyed_marker(stream, p, raw["digest"], raw["hash"])
    rows.rewrite(stream, p, raw)


def replay_head(rows: LedgerRows, b: Built, p: int) -> None:
    """Delete the newer entries and put back the older head (and projection) rows."""
    stream = f"{b.ledger}:{b.subject}"
    kept = len(b.backup.rows)
    rows.put_stream(stream, rows.read(stream)[:kept])
    rows.put_record("ledger_head", stream, b.backup.head)
    for kind, key, data in b.backup.records:
        rows.put_record(kind, key, data)


def replay_backup(rows: LedgerRows, b: Built, p: int) -> None:
    """Put the whole stream, head and projection back from an older backup."""
    rows.restore(b.backup)


def drop_stream(rows: LedgerRows, b: Built, p: int) -> None:
    """Remove the stream, its head and (consent) its projection rows."""
    stream = f"{b.ledger}:{b.subject}"
    rows.put_stream(stream, [])
    rows.put_head(stream, None)
    for kind, key in b.records:
        rows.put_record(kind, key, None)


TAMPER_FUNCTIONS: dict[str, Tamper] = {name: globals()[name] for name in TAMPERS}


# -- checking ---------------------------------------------------------------------


def verify(
    program: Program, ledger: str, subject: str, against: LedgerDigest | None
) -> Verification:
    """The ledger's own ``verify(subject, against=...)``."""
    if ledger == "history":
        return program.history.verify(subject, against=against)
    if ledger == "consent":
        return program.consent.verify(subject, against=against)
    return program.entitlements.verify(subject, against=against)


def chain_codes(result: Verification) -> set[str]:
    """The problems the ledger's chain, head and digest found (not consent's projection)."""
    return {p.code for p in result.problems} - PROJECTION_CODES


@settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
@given(
    ledger=st.sampled_from(LEDGERS),
    tamper=st.sampled_from(TAMPERS),
    with_digest=st.booleans(),
    data=st.data(),
)
def test_tampering_is_detected_exactly_as_the_threat_model_says(
    keyed: Program, ledger: str, tamper: str, with_digest: bool, data: st.DataObject
) -> None:
    """With the key and a kept digest every tampering is detected; without them, exactly
    the kinds the threat model lists (CHAIN, then FORGERIES with the key, ROLLBACKS with
    a digest); the untouched sibling stream always verifies."""
    program = keyed
    has_key = program.ledgers.key_id is not None
    n = data.draw(st.integers(2, 6), label="entries")
    items = data.draw(_items(ledger, n), label="items")
    other = data.draw(_items(ledger, n), label="sibling items")
    cut = data.draw(st.integers(1, n - 1), label="backup after")
    position = data.draw(st.integers(1, n), label="position")
    built = build(program, ledger, items, cut, other)
    rows = LedgerRows(program)
    stream = f"{ledger}:{built.subject}"
    before = rows.snapshot(stream, built.records)
    digest = program.digest() if with_digest else None
    kept = LedgerDigest.from_text(digest.to_text()) if digest is not None else None
    assert verify(program, ledger, built.subject, kept).ok
    try:
        TAMPER_FUNCTIONS[tamper](rows, built, position)
        result = verify(program, ledger, built.subject, kept)
        detected = bool(chain_codes(result))
        assert expected_detected(tamper, key=has_key, digest=kept is not None) == detected, (
            tamper,
            result.problems,
        )
        assert verify(program, ledger, built.other, kept).ok
        if kept is not None and expected_detected(tamper, key=has_key, digest=True):
            everything = program.verify_all(against=kept)
            assert stream in {f.subject for f in everything.failures}
    finally:
        rows.restore(before)
    assert verify(program, ledger, built.subject, kept).ok


@pytest.mark.parametrize("tamper", ["replay_head", "replay_backup"])
def test_a_replayed_consent_backup_hides_a_withdrawal_unless_a_digest_was_kept(
    tamper: str, backend: str, make_program: ProgramFactory
) -> None:
    """Issue 17: put back an older consent head and projection and ``may_use`` answers
    granted again while ``verify`` (even with the key) passes; against a digest taken
    after the withdrawal, ``verify`` and ``verify_all`` report the stream truncated."""
    program = make_program(backend, ledger_key=KEY)
    built = build(program, "consent", [("special_offers", True), ("special_offers", False)], 1, [])
    digest = program.digest()
    assert ("withdrawn",) == program.consent.may_use(built.subject, "special_offers").codes
    TAMPER_FUNCTIONS[tamper](LedgerRows(program), built, 1)
    assert ("granted",) == program.consent.may_use(built.subject, "special_offers").codes
    assert program.consent.verify(built.subject).ok
    codes = [p.code for p in program.consent.verify(built.subject, against=digest).problems]
    assert ["digest_truncated"] == codes
    everything = program.verify_all(against=digest)
    assert [f"consent:{built.subject}"] == [f.subject for f in everything.failures]


@pytest.mark.parametrize("ledger", LEDGERS)
def test_every_entry_deleted_with_the_head_kept_is_found_by_verify_all(
    keyed: Program, ledger: str
) -> None:
    """Deleting every entry of a stream but not its head is ``truncated`` for
    ``verify(subject)``, and the ledger's and the program's ``verify_all`` report
    that stream too (they list the streams from their heads as well as their entries)."""
    program = keyed
    items = [("special_offers", True), ("special_offers", False)]
    if ledger != "consent":
        items = [("registered", {"who": "a"}), ("noted", {"n": 1})]
    built = build(program, ledger, items, 1, [])
    stream = f"{ledger}:{built.subject}"
    rows = LedgerRows(program)
    rows.put_stream(stream, [])
    assert rows.head(stream) is not None
    assert "truncated" in chain_codes(verify(program, ledger, built.subject, None))
    if ledger == "consent":
        found = [f.subject for f in program.consent.verify_all().failures]
    elif ledger == "history":
        found = [f.subject for f in program.history.verify_all()]
    else:
        found = [f.subject for f in program.entitlements.verify_all()]
    assert [built.subject] == found
    assert [stream] == [f.subject for f in program.verify_all().failures]


def test_a_consent_projection_without_its_ledger_is_found_by_verify_all(keyed: Program) -> None:
    """A consent projection copied to a subject that has no ledger is reported by
    ``consent.verify(subject)`` and by both ``verify_all`` (which list the subjects of
    the projections too), and ``may_use`` refuses to answer from it."""
    program = keyed
    built = build(program, "consent", [("special_offers", True)], 1, [])
    rows = LedgerRows(program)
    rows.put_record(STATE_KIND, "T-copy", rows.get_record(STATE_KIND, built.subject))
    assert not program.consent.verify("T-copy").ok
    assert ["T-copy"] == [f.subject for f in program.consent.verify_all().failures]
    assert ["consent:T-copy"] == [f.subject for f in program.verify_all().failures]
    with pytest.raises(IntegrityError) as raised:
        program.consent.may_use("T-copy", "special_offers")
    assert "record_corrupt" == raised.value.code
