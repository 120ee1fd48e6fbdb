"""Ledger digests: made by the program, kept outside it, proving later that nothing changed."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symprogram.testing  # noqa: F401  (registers the strategies)
from _programs import START, ProgramFactory, db_path
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.digests import LedgerDigest, LedgersVerification, StreamHead, merkle_root
from symprogram.errors import IntegrityError, ValidationError
from symprogram.history import AccountHistory
from symprogram.ledger import Ledger, LedgerRegistry
from symprogram.ledger_keys import LedgerKeys, key_id
from symprogram.serialization import make_converter
from symprogram.testing._kernel import ledger_digests, stream_heads

KEY = b"digest tests ledger key, 32 byte"


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, as written there (slices, recursion)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(
        b"\x01" + _reference_root(leaves[:k]) + _reference_root(leaves[k:])
    ).digest()


@given(st.lists(st.binary(max_size=12), max_size=40))
def test_the_merkle_root_is_rfc_9162s_merkle_tree_hash(leaves: list[bytes]) -> None:
    """The index-range implementation equals the RFC's recursive definition."""
    assert _reference_root(leaves).hex() == merkle_root(leaves)


@settings(max_examples=50)
@given(ledger_digests())
def test_a_digest_reads_back_from_its_text_and_the_converter(digest: LedgerDigest) -> None:
    """``from_text(to_text())`` and the converter's round trip give the same digest,
    which still authenticates; the text is one line of ASCII."""
    text = digest.to_text()
    assert text.isascii()
    assert "\n" not in text
    assert digest == LedgerDigest.from_text(text)
    converter = make_converter()
    assert digest == converter.structure(converter.unstructure(digest), LedgerDigest)
    assert digest.sequence == sum(h.length for h in digest.streams)


@settings(max_examples=30)
@given(ledger_digests(key=KEY), st.data())
def test_any_altered_field_of_a_keyed_digest_is_refused(
    digest: LedgerDigest, data: st.DataObject
) -> None:
    """A changed length, head, sequence, instant or root, or a dropped stream, is
    ``digest_forged`` under the key."""
    changes = ["sequence", "at", "root"]
    if digest.streams:
        changes += ["length", "head", "drop"]
    change = data.draw(st.sampled_from(changes))
    streams = list(digest.streams)
    if change == "sequence":
        forged = attrs.evolve(digest, sequence=digest.sequence + 1)
    elif change == "at":
        forged = attrs.evolve(digest, at=digest.at + timedelta(seconds=1))
    elif change == "root":
        forged = attrs.evolve(digest, root=hashlib.sha256(b"x").hexdigest())
    elif change == "drop":
        gone = streams.pop(data.draw(st.integers(0, len(streams) - 1)))
        forged = attrs.evolve(
            digest, streams=tuple(streams), sequence=digest.sequence - gone.length
        )
    else:
        i = data.draw(st.integers(0, len(streams) - 1))
        head = streams[i]
        streams[i] = (
            attrs.evolve(head, length=head.length + 1)
            if change == "length"
            else attrs.evolve(head, head=hashlib.sha256(head.head.encode()).hexdigest())
        )
        forged = attrs.evolve(digest, streams=tuple(streams))
    digest.authenticate(KEY)
    with pytest.raises(IntegrityError) as info:
        forged.authenticate(KEY)
    assert "digest_forged" == info.value.code


@given(ledger_digests(key=KEY))
def test_a_digest_of_another_key_or_of_none_is_refused(digest: LedgerDigest) -> None:
    """Checked under another key, or without one, a keyed digest is ``digest_key_mismatch``."""
    for key in (b"another key", None):
        with pytest.raises(ValidationError) as info:
            digest.authenticate(key)
        assert "digest_key_mismatch" == info.value.code


@pytest.mark.parametrize("key", ["a text key", 42, ["k"]])
def test_a_key_that_is_not_bytes_is_invalid_key(key: object) -> None:
    """LedgerDigest.make (and key_id) refuse a key that is not bytes: ValidationError
    invalid_key, never a TypeError from hmac."""
    with pytest.raises(ValidationError) as info:
        LedgerDigest.make([], at=START, key=key)  # type: ignore[arg-type]
    assert ("invalid_key", "key") == (info.value.code, info.value.field)


@pytest.mark.parametrize(
    "text",
    ["", "hello", "symprogram-digest-v1:", "symprogram-digest-v1:!!!", "symprogram-digest-v1:eJw="],
)
def test_text_that_is_not_a_digest_is_invalid_digest(text: str) -> None:
    """Garbage, a bare prefix or broken compression is a ValidationError ``invalid_digest``."""
    with pytest.raises(ValidationError) as info:
        LedgerDigest.from_text(text)
    assert "invalid_digest" == info.value.code


@given(stream_heads())
def test_stream_heads_are_checked(head: StreamHead) -> None:
    """A head needs a ``<ledger>:<subject>`` name, a length of 0 or more and 64 hex digits."""
    for bad in ({"stream": "nocolon"}, {"length": -1}, {"head": "xyz"}, {"length": True}):
        with pytest.raises(ValidationError) as info:
            attrs.evolve(head, **bad)
        assert "invalid_digest" == info.value.code


def _fill(program: Program) -> str:
    """Something in every ledger; returns the consent subject."""
    program.consent.grant("cust-1", "special_offers", channel="web_form", evidence="box ticked")
    with program.store.transaction() as tx:
        program.history.ledger.append(tx, "SP-1", "registered", {"n": 1}, program.now())
        program.entitlements.ledger.append(tx, "C-1", "agreement_added", {"n": 1}, program.now())
    return "cust-1"


def test_a_digest_covers_every_stream_of_every_ledger(make_program: ProgramFactory) -> None:
    """Streams of the history, consent and entitlements ledgers with their length and head;
    ``sequence`` counts their entries; ``at`` is the clock's now or the instant given."""
    program = make_program("memory", ledger_key=KEY)
    _fill(program)
    digest = program.digest()
    assert ["consent:cust-1", "entitlements:C-1", "history:SP-1"] == [
        h.stream for h in digest.streams
    ]
    assert 3 == digest.sequence
    assert START == digest.at
    assert program.ledgers.key_id == digest.key_id
    with program.store.transaction(readonly=True) as tx:
        assert program.consent.ledger.head(tx, "cust-1") == (1, digest.streams[0].head)
    later = datetime(2013, 1, 1, tzinfo=START.tzinfo)
    assert later == program.digest(at=later).at
    with pytest.raises(ValidationError):
        program.digest(at=datetime(2013, 1, 1))


def test_a_digest_covers_ledgers_of_services_not_used_yet(make_program: ProgramFactory) -> None:
    """A program reopened on the same file digests every ledger before any service is used."""
    first = make_program("sqlite", ledger_key=KEY)
    _fill(first)
    expected = first.digest()
    first.close()
    again = make_program("sqlite", ledger_key=KEY)
    assert expected.streams == again.digest().streams


def test_todays_ledgers_extend_an_older_digest(make_program: ProgramFactory) -> None:
    """After more entries and new streams the older digest still verifies, the newer one
    has a larger sequence."""
    clock = FixedClock(START)
    program = make_program("memory", ledger_key=KEY, clock=clock)
    subject = _fill(program)
    older = program.digest()
    clock.advance(timedelta(days=1))
    program.consent.withdraw(subject, "special_offers", channel="phone")
    program.consent.grant("cust-2", "research", channel="web_form", evidence="box")
    newer = program.digest()
    assert newer.sequence == older.sequence + 2
    assert program.verify_all(against=older).ok
    assert program.verify_all(against=newer).ok
    assert program.consent.verify(subject, against=older).ok
    assert program.history.verify("SP-1", against=older).ok
    assert program.entitlements.verify("C-1", against=older).ok


def test_a_digest_of_another_program_or_key_is_refused(make_program: ProgramFactory) -> None:
    """A digest of a program with another key, or without a key, is ``digest_key_mismatch``;
    a digest altered after it was made is ``digest_forged``."""
    program = make_program("memory", ledger_key=KEY)
    _fill(program)
    stranger = Program.in_memory(ledger_key=b"someone else's key")
    unkeyed = Program.in_memory()
    for digest in (stranger.digest(), unkeyed.digest()):
        for verify in (
            lambda d: program.verify_all(against=d),
            lambda d: program.history.verify("SP-1", against=d),
            lambda d: program.consent.verify_all(against=d),
            lambda d: program.entitlements.verify_all(against=d),
        ):
            with pytest.raises(ValidationError) as info:
                verify(digest)
            assert "digest_key_mismatch" == info.value.code
    digest = program.digest()
    shortened = attrs.evolve(
        digest,
        streams=(attrs.evolve(digest.streams[0], length=0), *digest.streams[1:]),
        sequence=digest.sequence - 1,
    )
    with pytest.raises(IntegrityError) as forged:
        program.verify_all(against=shortened)
    assert "digest_forged" == forged.value.code


def test_a_stream_dropped_whole_is_reported_by_every_verify_all(
    make_program: ProgramFactory,
) -> None:
    """A stream the digest covered and that is gone is ``digest_stream_missing`` in the
    ledger's own ``verify_all`` and in the program's."""
    program = make_program("sqlite", ledger_key=KEY)
    _fill(program)
    digest = program.digest()
    with closing(sqlite3.connect(db_path(make_program.directory))) as conn, conn:
        conn.execute("DELETE FROM sp_streams WHERE stream = 'history:SP-1'")
        conn.execute("DELETE FROM sp_records WHERE key = 'history:SP-1'")
    assert () == program.history.verify_all()
    (missing,) = program.history.verify_all(against=digest)
    assert ("SP-1", ["digest_stream_missing"]) == (
        missing.subject,
        [p.code for p in missing.problems],
    )
    everything = program.verify_all(against=digest)
    assert ["history:SP-1"] == [f.subject for f in everything.failures]
    with pytest.raises(IntegrityError):
        everything.raise_for_problems()


def test_a_digest_naming_a_ledger_the_program_lacks_is_reported(
    make_program: ProgramFactory,
) -> None:
    """A keyed digest with a stream of an unknown ledger: ``digest_ledger_unknown``."""
    program = make_program("memory", ledger_key=KEY)
    foreign = LedgerDigest.make([StreamHead("payroll:E-1", 1, "0" * 64)], at=START, key=KEY)
    result = program.verify_all(against=foreign)
    assert ["digest_ledger_unknown"] == [p.code for f in result.failures for p in f.problems]


def test_no_digest_is_made_over_a_forged_head(make_program: ProgramFactory) -> None:
    """A stream head not authenticated by the key stops the digest (``ledger_corrupt``)."""
    program = make_program("memory", ledger_key=KEY)
    _fill(program)
    with program.store.transaction() as tx:
        record = tx.load(Ledger.HEAD_KIND, "history:SP-1")
        assert record is not None
        forged = '{"hash":"%s","length":1}' % ("0" * 64)
        tx.save(Ledger.HEAD_KIND, "history:SP-1", forged, record.version)
    with pytest.raises(IntegrityError) as info:
        program.digest()
    assert "ledger_corrupt" == info.value.code


@pytest.mark.parametrize(
    "model", [StreamHead, LedgerDigest, LedgersVerification], ids=lambda m: m.__name__
)
def test_from_type_builds_every_digest_model(model: type) -> None:
    """``st.from_type`` draws each digest model (strategies in ``symprogram.testing``),
    and the converter reads back what it writes."""
    converter = make_converter()

    @settings(max_examples=15)
    @given(st.from_type(model))
    def check(value: object) -> None:
        assert isinstance(value, model)
        assert value == converter.structure(converter.unstructure(value), model)

    check()


def test_a_newer_digest_extends_an_older_one_unless_a_stream_was_rolled_back(
    make_program: ProgramFactory,
) -> None:
    """Between two digests alone: a grown stream extends, a stream shorter, gone, or of
    the same length with another head does not."""
    program = make_program("memory", ledger_key=KEY)
    _fill(program)
    older = program.digest()
    program.consent.withdraw("cust-1", "special_offers", channel="phone")
    newer = program.digest()
    assert () == newer.unextended(older)
    assert ("consent:cust-1",) == older.unextended(newer)
    first = older.streams[0]
    rolled = attrs.evolve(first, head=hashlib.sha256(b"other").hexdigest())
    forked = LedgerDigest.make([rolled, *older.streams[1:]], at=START, key=KEY)
    dropped = LedgerDigest.make(older.streams[1:], at=START, key=KEY)
    assert (first.stream,) == forked.unextended(older)
    assert (first.stream,) == dropped.unextended(older)


def test_an_empty_key_is_invalid_key_wherever_a_ledger_key_is_given(tmp_path: Path) -> None:
    """An empty key (bytes or bytearray) is ValidationError ``invalid_key`` in every
    public place a ledger key is given: ``LedgerDigest.make`` and ``key_id`` as a
    ledger, a key ring, a registry, an account history and a program; never a
    digest authenticated with no secret at all."""
    with Program.in_memory() as program:
        store = program.store
        places: list[Callable[[bytes], object]] = [
            lambda key: LedgerDigest.make([], at=START, key=key),
            key_id,
            lambda key: Ledger("history", key=key),
            LedgerKeys,
            lambda key: LedgerKeys(b"k" * 32, retired=(key,)),
            lambda key: LedgerKeys(b"k" * 32).rotated(key),
            LedgerRegistry,
            lambda key: AccountHistory(store, key=key),
            lambda key: Program.in_memory(ledger_key=key),
            lambda key: Program.open(f"sqlite:///{tmp_path / 'p.db'}", ledger_key=key),
        ]
        for place in places:
            for key in (b"", bytearray()):
                with pytest.raises(ValidationError) as info:
                    place(key)
                assert "invalid_key" == info.value.code, place
