"""Adopting erasures an earlier build made without markers, and the store a digest names.

An earlier build erased a ledger entry by nulling its ``data`` and ``salt`` and wrote
no marker; such entries verify as ``erasure_forged``. ``Program.adopt_erasures`` is
the deliberate, one-time step that marks them (recording that they were adopted and
when) after verifying everything else. A digest names the store it was taken of, so
``verify_all(against=)`` refuses a digest of another store even without a key.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import START, ProgramFactory
from symprogram import Program
from symprogram.digests import STORE_ID_KIND, LedgerDigest, _mac, ensure_store_id
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger_keys import LedgerKeys

KEY = b"adoption and identity key, 32 by"


def _history(program: Program, subject: str, n: int) -> None:
    with program.store.transaction() as tx:
        program.history.ledger.append_many(
            tx, subject, [("noted", {"n": i}, START + timedelta(minutes=i)) for i in range(n)]
        )


def old_style_erase(rows: LedgerRows, stream: str, position: int) -> None:
    """What the earlier build's erasure wrote: data and salt nulled, no marker."""
    raw = json.loads(dict(rows.read(stream))[position])
    raw["data"] = raw["salt"] = None
    rows.rewrite(stream, position, raw)


def problems(program: Program, subject: str) -> list[tuple[int, str]]:
    """The history stream's problems as ``(position, code)``."""
    return [(p.position, p.code) for p in program.history.verify(subject).problems]


# -- adoption ------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    key=st.sampled_from([KEY, None]),
    n=st.integers(1, 6),
    data=st.data(),
)
def test_adoption_marks_exactly_the_old_style_erasures_and_they_then_verify(
    key: bytes | None, n: int, data: st.DataObject
) -> None:
    """Entries nulled by the earlier build are ``erasure_forged`` (also after reopening:
    nothing adopts them at open); ``adopt_erasures`` marks exactly those, each recording
    when it was adopted, and the stream verifies, against a digest taken before too; an
    entry nulled after the adoption is ``erasure_forged`` again."""
    program = Program.in_memory(ledger_key=key)
    _history(program, "S", n)
    _history(program, "T", 2)
    before = program.digest()
    rows = LedgerRows(program)
    nulled = data.draw(st.sets(st.integers(1, n), min_size=1), label="nulled")
    for position in nulled:
        old_style_erase(rows, "history:S", position)
    expected = [(p, "erasure_forged") for p in sorted(nulled)]
    assert expected == problems(program, "S")
    reopened = Program(program.store, ledger_key=key)
    assert expected == problems(reopened, "S")
    at = START + timedelta(days=400)
    assert len(nulled) == reopened.adopt_erasures(at=at, against=before)
    assert [] == problems(reopened, "S")
    assert reopened.verify_all(against=before).ok
    stored = dict(rows.read("history:S"))
    adopted = {p for p, text in stored.items() if "erased_adopted" in json.loads(text)}
    assert nulled == adopted
    assert all(json.loads(stored[p])["erased_adopted"] == at.isoformat() for p in adopted)
    assert 0 == reopened.adopt_erasures(at=at)
    old_style_erase(rows, "history:T", 1)
    assert [(1, "erasure_forged")] == problems(reopened, "T")


@pytest.mark.parametrize("key", [KEY, None], ids=["key", "no-key"])
def test_adoption_refuses_a_stream_with_any_other_problem_and_writes_nothing(
    key: bytes | None, make_program: ProgramFactory
) -> None:
    """An old-style erasure beside an edited entry, or a null carrying a marker (a faked
    erasure, not the earlier build's), is refused (``ledger_adoption_refused``) and the
    stream is left as it was."""
    program = make_program("memory", ledger_key=key)
    _history(program, "S", 3)
    rows = LedgerRows(program)
    old_style_erase(rows, "history:S", 1)
    raw = json.loads(rows.read("history:S")[2][1])
    raw["data"]["n"] = 7
    rows.rewrite("history:S", 3, raw)
    written = rows.read("history:S")
    with pytest.raises(IntegrityError) as info:
        program.adopt_erasures()
    assert "ledger_adoption_refused" == info.value.code
    assert written == rows.read("history:S")
    _history(program, "U", 2)
    raw = json.loads(rows.read("history:U")[0][1])
    raw["data"] = raw["salt"] = None
    raw["erased"] = "0" * 64
    rows.rewrite("history:U", 1, raw)
    with pytest.raises(IntegrityError) as info, program.store.transaction() as tx:
        program.history.ledger.adopt_erasures(tx, "U", at=START)
    assert "ledger_adoption_refused" == info.value.code
    assert [(1, "erasure_forged")] == problems(program, "U")


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
def test_an_erased_history_of_the_earlier_build_is_adopted_on_every_backend(
    backend: str, make_program: ProgramFactory
) -> None:
    """The earlier build's erasure of a whole history, written straight into the store,
    verifies after ``adopt_erasures`` and stays verifiable after a later re-keying."""
    program = make_program(backend, ledger_key=KEY)
    _history(program, "S", 3)
    rows = LedgerRows(program)
    for position in (1, 2, 3):
        old_style_erase(rows, "history:S", position)
    assert not program.verify_all().ok
    assert 3 == program.adopt_erasures()
    assert program.verify_all().ok
    rotated = Program(program.store, ledger_key=LedgerKeys(b"n" * 32, retired=(KEY,)))
    assert 1 == rotated.rekey()
    assert Program(program.store, ledger_key=b"n" * 32).verify_all().ok


# -- the store a digest names -------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, None], ids=["key", "no-key"])
def test_a_digest_of_another_store_is_refused_even_without_a_key(
    key: bytes | None, backend: str, make_program: ProgramFactory
) -> None:
    """Two programs with the same key (or none): each one's digest is refused by the other
    (``digest_store_mismatch``), by ``verify_all`` and by a ledger's ``verify``."""
    one = make_program(backend, ledger_key=key)
    other = Program.in_memory(ledger_key=key)
    for program in (one, other):
        _history(program, "S", 2)
    mine, theirs = one.digest(), other.digest()
    assert mine.store_id is not None and mine.store_id != theirs.store_id
    assert one.verify_all(against=mine).ok
    for verify in (
        lambda: one.verify_all(against=theirs),
        lambda: one.history.verify("S", against=theirs),
        lambda: other.verify_all(against=mine),
    ):
        with pytest.raises(ValidationError) as info:
            verify()
        assert "digest_store_mismatch" == info.value.code


def test_the_store_id_is_made_once_and_kept_with_the_store(make_program: ProgramFactory) -> None:
    """Every digest of a store names the same id, also after the store is reopened; a
    store whose identity record was removed refuses its digests."""
    program = make_program("sqlite")
    first = program.digest()
    program.close()
    again = make_program("sqlite")
    assert first.store_id == again.digest().store_id
    assert again.verify_all(against=first).ok
    LedgerRows(again).put_record(STORE_ID_KIND, "store", None)
    with pytest.raises(ValidationError) as info:
        again.verify_all(against=first)
    assert "digest_store_mismatch" == info.value.code


def _version_1(digest: LedgerDigest, key: bytes | None) -> LedgerDigest:
    """``digest`` as the earlier build wrote it: version 1, no store id."""
    old = attrs.evolve(digest, version=1, store_id=None, mac=None)
    return old if key is None else attrs.evolve(old, mac=_mac(key, old._body()))


@pytest.mark.parametrize("key", [KEY, None], ids=["key", "no-key"])
def test_a_version_1_digest_text_is_still_read_and_verified(
    key: bytes | None, make_program: ProgramFactory
) -> None:
    """A digest text of the earlier format (no store id) reads back and verifies (it is
    not checked against the store); a version 1 digest claiming a store id is refused."""
    program = make_program("memory", ledger_key=key)
    _history(program, "S", 2)
    text = _version_1(program.digest(), key).to_text()
    old = LedgerDigest.from_text(text)
    assert (1, None) == (old.version, old.store_id)
    assert program.verify_all(against=old).ok
    with pytest.raises(ValidationError) as info:
        attrs.evolve(old, store_id="ab" * 16)
    assert "invalid_digest" == info.value.code


def test_an_altered_store_id_in_a_keyed_digest_is_forged(make_program: ProgramFactory) -> None:
    """The store id is covered by the digest's MAC: changing it is ``digest_forged``."""
    program = make_program("memory", ledger_key=KEY)
    _history(program, "S", 1)
    digest = program.digest()
    assert digest.store_id is not None
    altered = attrs.evolve(digest, store_id="0" * 32)
    with pytest.raises(IntegrityError) as info:
        altered.authenticate(KEY)
    assert "digest_forged" == info.value.code


@settings(max_examples=30, deadline=None)
@given(store_id=st.none() | st.text("0123456789abcdef", min_size=32, max_size=32))
def test_a_digest_text_keeps_its_store_id(store_id: str | None) -> None:
    """``from_text(to_text(d))`` gives back the digest, its store id included."""
    digest = LedgerDigest.make([], at=START, store_id=store_id)
    again = LedgerDigest.from_text(digest.to_text())
    assert digest == again
    assert store_id == again.store_id


def test_programs_taking_their_first_digests_at_once_agree_on_the_store_id(
    make_program: ProgramFactory,
) -> None:
    """Eight threads taking the first digests of one SQLite store at once all name the
    same store id (the first saved wins; the others read it)."""
    program = make_program("sqlite")
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(lambda _: ensure_store_id(program.store), range(8)))
    assert 1 == len(ids)
    assert ids == {program.digest().store_id}


def test_adoption_against_a_digest_refuses_when_a_covered_stream_is_gone(
    make_program: ProgramFactory,
) -> None:
    """A stream the digest covered, dropped whole, is refused before anything is adopted
    (``ledger_adoption_refused``): the old-style erasure elsewhere stays unadopted."""
    program = make_program("memory", ledger_key=KEY)
    _history(program, "A", 2)
    _history(program, "B", 2)
    digest = program.digest()
    rows = LedgerRows(program)
    old_style_erase(rows, "history:A", 1)
    rows.put_stream("history:B", [])
    rows.put_head("history:B", None)
    with pytest.raises(IntegrityError) as info:
        program.adopt_erasures(against=digest)
    assert ("ledger_adoption_refused", "history:B") == (
        info.value.code,
        info.value.details["stream"],
    )
    assert [(1, "erasure_forged")] == problems(program, "A")
