"""The subjects a ledger's ``verify_all`` checks: every stream with entries, every
stream with a head, and every key of the records a ledger keeps beside its streams.

A stream whose entries were all deleted still has its head (authenticated with the
key), and a consent projection can be left where the ledger is gone: listing the
subjects from the entries alone would skip both, while ``verify(subject)`` reports
them (``truncated``, ``projection_mismatch``). So the listing merges every source,
page by page, in key order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from symprogram.errors import IntegrityError, ValidationError
from symprogram.persistence import Store, Transaction, check_key

__all__ = ["HEAD_KIND", "misnamed", "subject_page", "verify_pages"]

R = TypeVar("R")

HEAD_KIND = "ledger_head"
"""The record kind of a stream's head (:attr:`symprogram.ledger.Ledger.HEAD_KIND`)."""


def subject_page(
    tx: Transaction,
    name: str,
    *,
    after: str | None,
    limit: int,
    kinds: Sequence[str] = (),
) -> tuple[list[str], bool]:
    """The next subjects of the ledger ``name`` after ``after``, and whether they are the last.

    Subjects come from the stream names (``"<name>:<subject>"``), the stream heads
    (records of :data:`HEAD_KIND` keyed by the stream name) and the keys of the
    record ``kinds`` (keyed by the subject). Each source is read ``limit`` at a
    time; the page holds, sorted and without repeats, what every source has up to
    the first key where a full source stops (beyond it a source may hold more).
    """
    prefix = name + ":"
    cut = len(prefix)
    stream_after = None if after is None else prefix + after
    found: list[tuple[list[str], bool]] = []
    names = tx.streams(prefix=prefix, after=stream_after, limit=limit)
    found.append(([n[cut:] for n in names], len(names) >= limit))
    heads = tx.scan(HEAD_KIND, prefix=prefix, after=stream_after, limit=limit)
    found.append(([r.key[cut:] for r in heads], len(heads) >= limit))
    for kind in kinds:
        records = tx.scan(kind, after=after, limit=limit)
        found.append(([r.key for r in records], len(records) >= limit))
    ends = [subjects[-1] for subjects, full in found if full]
    bound = min(ends) if ends else None
    page = sorted({s for subjects, _ in found for s in subjects if bound is None or s <= bound})
    return page, bound is None


def verify_pages(
    store: Store,
    name: str,
    check: Callable[[Transaction, str], R],
    *,
    batch: int,
    covered: Sequence[str] = (),
    kinds: Sequence[str] = (),
    invalid: Callable[[str, str, str], R] | None = None,
) -> Iterator[R]:
    """``check(tx, subject)`` of every subject of the ledger ``name``, in order.

    The subjects are those :func:`subject_page` lists and those of the ``covered``
    stream names (a digest's, sorted), merged as they go. Each page is read in one
    read-only unit of work; the results are yielded after it closes. When
    ``invalid`` is given, one bad row must not stop the reading of every other
    stream: a stored name that no subject can have (written into the database by
    hand: empty, a NUL, too long) gives ``invalid(subject, "stream_name_invalid",
    why)`` instead of its check, and a check that meets a row the store cannot
    read (an :class:`~symprogram.errors.IntegrityError`: a position or a version
    that is no integer, an entry that is no text, ``database_corrupt``) gives
    ``invalid(subject, code, message)``.
    """
    if invalid is not None:
        check = functools.partial(_named, check, invalid)
    cut = len(name) + 1
    pending = [stream[cut:] for stream in covered]
    index = 0
    after: str | None = None
    while True:
        done: list[R] = []
        with store.transaction(readonly=True) as tx:
            subjects, final = subject_page(tx, name, after=after, limit=batch, kinds=kinds)
            for subject in subjects:
                while index < len(pending) and pending[index] < subject:
                    done.append(check(tx, pending[index]))
                    index += 1
                if index < len(pending) and pending[index] == subject:
                    index += 1
                done.append(check(tx, subject))
            if final:
                done.extend(check(tx, subject) for subject in pending[index:])
        yield from done
        if final:
            return
        after = subjects[-1]


def _named(
    check: Callable[[Transaction, str], R],
    invalid: Callable[[str, str, str], R],
    tx: Transaction,
    subject: str,
) -> R:
    why = misnamed(subject)
    if why is not None:
        return invalid(subject, "stream_name_invalid", why)
    try:
        return check(tx, subject)
    except IntegrityError as error:  # a row of this subject the store cannot read
        return invalid(subject, error.code, error.message)


def misnamed(subject: str) -> str | None:
    """Why a stored stream's subject is a name no subject can have (written into the
    database by hand: empty, a NUL, too long), or ``None`` when it is a subject."""
    try:
        check_key(subject, "subject")
    except ValidationError as error:
        return f"no subject is named so: {error.message}"
    return None
