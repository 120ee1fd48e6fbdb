"""Deliberate rewrites of a ledger stream by the host that holds the key: re-keying, and
adopting erasures made before erasure markers existed.

Both verify the stream first and refuse one that does not verify, so neither can
launder a forgery; both rewrite one stream inside the caller's unit of work, so a
run over every stream (:meth:`Program.rekey <symprogram.Program.rekey>`,
:meth:`Program.adopt_erasures <symprogram.Program.adopt_erasures>`) can stop
anywhere and be run again: a stream done is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from symprogram._ledger_subjects import misnamed
from symprogram._ledger_text import _head_mac, _marker, _seal
from symprogram.clock import ensure_utc
from symprogram.errors import IntegrityError
from symprogram.ledger import Ledger, Problem, _read_stream
from symprogram.ledger_keys import key_id
from symprogram.persistence import Store, Transaction
from symprogram.serialization import canonical_json, json_value

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest

__all__ = [
    "adopt_ledger_erasures",
    "adopt_stream_erasures",
    "rekey_ledgers",
    "rekey_stream",
]


def _refuse(code: str, what: str, stream: str, problems: tuple[Problem, ...]) -> IntegrityError:
    return IntegrityError(
        f"{stream!r} does not verify, so it is not {what}: {problems[0].message} "
        f"(entry {problems[0].position}, {problems[0].code})",
        code=code,
        details={"stream": stream, "problems": [attrs.asdict(p) for p in problems]},
    )


def _made_with(ledger: Ledger, kid: object) -> str | None:
    """The key id a stored key id stands for (no key id: the ring's legacy key)."""
    if kid is not None or ledger.keys is None:
        return None if kid is None else str(kid)
    return key_id(ledger.keys.legacy)


def _reseal(ledger: Ledger, stream: str, subject: str, position: int, raw: Any) -> bool:
    """Move one verified entry (and its erasure marker) to the current key; whether it
    changed. The hash is kept: an entry of another key gets a seal instead."""
    keys = ledger.keys
    assert keys is not None
    key, kid = keys.current, keys.current_id
    changed = False
    sealed = raw.get("seal") is not None
    made_with = _made_with(ledger, raw.get("seal_key") if sealed else raw.get("key"))
    if made_with != kid:
        at = ensure_utc(datetime.fromisoformat(raw["at"])).isoformat()
        raw["seal"] = _seal(
            key, raw["prev"], subject, position, str(raw["kind"]), at, raw["digest"], raw["hash"]
        )
        raw["seal_key"] = kid
        changed = True
    elif not sealed and raw.get("key") is None:
        raw["key"] = kid  # an entry of the legacy key, which is the current one: named now
        changed = True
    if raw.get("data") is None and raw.get("erased_key") != kid:
        adopted = raw.get("erased_adopted")
        raw["erased"] = _marker(key, stream, position, raw["digest"], raw["hash"], adopted)
        raw["erased_key"] = kid
        changed = True
    return changed


def rekey_stream(
    ledger: Ledger, tx: Transaction, subject: str, *, against: LedgerDigest | None = None
) -> bool:
    """See :meth:`symprogram.ledger.Ledger.rekey`."""
    if ledger.keys is None:
        return False
    stream = ledger.stream(subject)
    checked = ledger.verify(tx, subject, against=against)
    if checked.problems:
        raise _refuse("ledger_rekey_refused", "re-keyed", stream, checked.problems)
    record = tx.load(Ledger.HEAD_KIND, stream)
    if record is None:
        return False
    changed = False
    for position, text in list(_read_stream(tx, stream, 0)):
        raw = json_value(text)
        if _reseal(ledger, stream, subject, position, raw):
            tx.rewrite(stream, position, canonical_json(raw))
            changed = True
    head = json_value(record.data)
    if head.get("key") != ledger.key_id:
        length, chain = int(head["length"]), str(head["hash"])
        mac = _head_mac(ledger.keys.current, stream, length, chain)
        fresh = {"length": length, "hash": chain, "mac": mac, "key": ledger.key_id}
        tx.save(Ledger.HEAD_KIND, stream, canonical_json(fresh), record.version)
        changed = True
    return changed


def _adoptable(raw: dict[str, Any]) -> bool:
    """An entry an earlier build erased: data and salt nulled, no marker at all."""
    return raw.get("data") is None and raw.get("salt") is None and "erased" not in raw


def adopt_stream_erasures(
    ledger: Ledger,
    tx: Transaction,
    subject: str,
    *,
    at: datetime,
    against: LedgerDigest | None = None,
) -> int:
    """See :meth:`symprogram.ledger.Ledger.adopt_erasures`."""
    stream = ledger.stream(subject)
    rows = {p: json_value(text) for p, text in _read_stream(tx, stream, 0)}
    adoptable = {p for p, raw in rows.items() if _adoptable(raw)}
    checked = ledger.verify(tx, subject, against=against)
    others = tuple(
        p for p in checked.problems if not (p.code == "erasure_forged" and p.position in adoptable)
    )
    if others:
        raise _refuse("ledger_adoption_refused", "adopted", stream, others)
    forged = sorted({p.position for p in checked.problems})
    when = at.isoformat()
    for position in forged:
        raw = rows[position]
        raw["erased_adopted"] = when
        raw["erased"] = ledger._erasure_marker(
            stream, position, str(raw["digest"]), str(raw["hash"]), when
        )
        if ledger.key_id is not None:
            raw["erased_key"] = ledger.key_id
        tx.rewrite(stream, position, canonical_json(raw))
    return len(forged)


def _each_stream(
    store: Store, ledgers: Iterable[Ledger], batch: int
) -> Iterator[tuple[Ledger, str]]:
    """Every ``(ledger, subject)`` of ``ledgers``, in stream order, a page at a time."""
    for ledger in ledgers:
        prefix = ledger.name + ":"
        after: str | None = None
        while True:
            with store.transaction(readonly=True) as tx:
                names = tx.streams(prefix=prefix, after=after, limit=batch)
            for name in names:
                yield ledger, name[len(prefix) :]
            if len(names) < batch:
                break
            after = names[-1]


def _require_named(ledger: Ledger, subject: str, code: str, what: str) -> None:
    """Refuse (``code``) a stored stream name no subject can have (written by hand):
    the rewrite stops there as at any stream that does not verify, never with a bare
    ``invalid_key`` about a name the caller did not give."""
    why = misnamed(subject)
    if why is not None:
        stream = f"{ledger.name}:{subject}"
        raise _refuse(code, what, stream, (Problem(0, "stream_name_invalid", why),))


def _check_covered_present(
    store: Store, ledgers: Iterable[Ledger], against: LedgerDigest | None, code: str, what: str
) -> None:
    """Refuse (``code``) when a stream or ledger ``against`` covered is gone: a rewrite
    that visits the streams present would never see it."""
    if against is None:
        return
    chosen = list(ledgers)
    for ledger in chosen:
        ledger.check_digest(against)
    with store.transaction(readonly=True) as tx:
        against.check_store(tx)
    names = {ledger.name for ledger in chosen}
    present = {f"{ledger.name}:{subject}" for ledger, subject in _each_stream(store, chosen, 500)}
    for head in against.streams:
        ledger_name = head.stream.split(":", 1)[0]
        if ledger_name not in names or head.stream not in present:
            problem = Problem(0, "digest_stream_missing", "the digest covered it; it is gone")
            raise _refuse(code, what, head.stream, (problem,))


def rekey_ledgers(
    store: Store,
    ledgers: Iterable[Ledger],
    *,
    against: LedgerDigest | None = None,
    batch: int = 500,
) -> int:
    """Re-key every stream of ``ledgers``, each in its own unit of work; return how many
    were rewritten. Stops at the first stream that does not verify (``ledger_rekey_refused``);
    what was re-keyed before stays re-keyed, and a second run skips it. With ``against``,
    a stream the digest covered that is gone is refused first."""

    def rekey(ledger: Ledger, tx: Transaction, subject: str) -> int:
        return int(ledger.rekey(tx, subject, against=against))

    return _rewrite_each(
        store, ledgers, against, batch, ("ledger_rekey_refused", "re-keyed"), rekey
    )


def adopt_ledger_erasures(
    store: Store,
    ledgers: Iterable[Ledger],
    *,
    at: datetime,
    against: LedgerDigest | None = None,
    batch: int = 500,
) -> int:
    """Adopt the marker-less erasures of every stream of ``ledgers``, each stream in its own
    unit of work; return the entries adopted. Stops at the first stream with another
    problem (``ledger_adoption_refused``), or, with ``against``, before anything when a
    stream the digest covered is gone."""

    def adopt(ledger: Ledger, tx: Transaction, subject: str) -> int:
        return ledger.adopt_erasures(tx, subject, at=at, against=against)

    refusal = ("ledger_adoption_refused", "adopted")
    return _rewrite_each(store, ledgers, against, batch, refusal, adopt)


def _rewrite_each(
    store: Store,
    ledgers: Iterable[Ledger],
    against: LedgerDigest | None,
    batch: int,
    refusal: tuple[str, str],
    rewrite: Callable[[Ledger, Transaction, str], int],
) -> int:
    """``rewrite`` every stream of ``ledgers``, each in its own unit of work; the sum of
    what each returns. ``refusal`` is the ``(code, what)`` of a stream refused: one the
    digest ``against`` covered that is gone (before anything), or a misnamed one."""
    chosen = list(ledgers)
    code, what = refusal
    _check_covered_present(store, chosen, against, code, what)
    count = 0
    for ledger, subject in _each_stream(store, chosen, batch):
        _require_named(ledger, subject, code, what)
        with store.transaction() as tx:
            count += rewrite(ledger, tx, subject)
    return count
