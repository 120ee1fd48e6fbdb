"""Failed log-ins for addresses nobody has cannot grow the store without bound (issue 17).

A failed log-in leaves a count for the address (known or not: the limit must
answer alike for every address, issue 18), and for the client key. Each failure
also looks at a few request logs and deletes those no window counts any more, so
a stranger trying ever new addresses leaves at most what the windows still count
plus a small lag, never one record per address ever tried. Runs through
``Program`` on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from accounts_helpers import spy_locks
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory
from symprogram import Program
from symprogram.accounts.ports import REQUEST_LOG_KIND
from symprogram.accounts.storage import AccountsStorage, RequestRecord
from symprogram.clock import FixedClock
from symprogram.errors import PermissionDenied
from symprogram.persistence import Repository
from symprogram.storage.memory import MemoryStore

START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
WRONG = "not the password at all"


def _logs(program: Program) -> int:
    with program.store.transaction(readonly=True) as tx:
        return len(tx.scan(REQUEST_LOG_KIND, limit=100_000))


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_failed_log_ins_for_ever_new_addresses_leave_a_bounded_number_of_counts(
    backend: str, make_program: ProgramFactory
) -> None:
    """600 failed log-ins, one a minute, each for a new unknown address and from a
    new client key: the store keeps about the counts of the last hour (the longest
    window) and a sweep's lag, and stops growing: not 1,200 records."""
    clock = FixedClock(START)
    program = make_program(backend, clock=clock)
    seen = {}
    for i in range(600):
        with pytest.raises(PermissionDenied):
            program.accounts.authenticate(
                f"nobody-{i}@example.com", WRONG, client_key=f"198.51.100.{i % 250}-{i}"
            )
        clock.advance(timedelta(minutes=1))
        if i + 1 in (300, 600):
            seen[i + 1] = _logs(program)
    horizon = max(
        program.accounts.settings.login_failure_window,
        program.accounts.settings.client_failure_window,
        program.accounts.settings.resend_window,
    )
    live = 2 * int(horizon / timedelta(minutes=1))  # an address and a client key a minute
    assert seen[600] <= seen[300] + 16  # no longer growing
    assert seen[600] <= live * 3 // 2  # what the windows count, and the sweep's lag


def test_counts_within_their_window_are_kept(make_program: ProgramFactory) -> None:
    """The sweep never forgets failures a window still counts: an address failing
    again and again while strangers' failures are swept is limited as before."""
    clock = FixedClock(START)
    program = make_program("memory", clock=clock)
    limit = program.accounts.settings.login_failure_limit
    for i in range(limit):
        for j in range(5):  # strangers' failures, sweeping around the address's count
            with pytest.raises(PermissionDenied):
                program.accounts.authenticate(f"other-{i}-{j}@example.com", WRONG)
        with pytest.raises(PermissionDenied):
            program.accounts.authenticate("target@example.com", WRONG)
        clock.advance(timedelta(seconds=10))
    with pytest.raises(PermissionDenied) as refused:
        program.accounts.authenticate("target@example.com", WRONG)
    assert "rate_limited" == refused.value.code


instants = st.lists(
    st.integers(min_value=0, max_value=100).map(lambda m: START + timedelta(minutes=m)),
    max_size=4,
).map(lambda xs: tuple(sorted(xs)))


@settings(max_examples=50)
@given(
    logs=st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), instants, max_size=20),
    cutoff=st.integers(min_value=0, max_value=100),
    limit=st.integers(min_value=1, max_value=25),
)
def test_a_sweep_deletes_exactly_the_logs_no_window_counts(
    logs: dict[str, tuple[datetime, ...]], cutoff: int, limit: int
) -> None:
    """Of the logs a sweep looks at (the first ``limit`` in key order), those whose
    newest instant is before the cut-off are deleted; every other log stays."""
    store = MemoryStore()
    with store.transaction() as tx:
        repo = Repository(tx, REQUEST_LOG_KIND, RequestRecord, key=lambda r: r.key)
        for key, at in logs.items():
            repo.add(RequestRecord(key, at))
    older_than = START + timedelta(minutes=cutoff)
    with store.transaction() as tx:
        following = AccountsStorage(tx).requests.sweep("", older_than, limit)
    looked = sorted(logs)[:limit]
    expected = {
        key for key, at in logs.items() if key not in looked or (at and at[-1] >= older_than)
    }
    with store.transaction(readonly=True) as tx:
        left = {r.key for r in tx.scan(REQUEST_LOG_KIND, limit=1000)}
    assert expected == left
    assert following == (looked[-1] if len(looked) == limit else "")


@settings(max_examples=30)
@given(logs=st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), instants, max_size=12))
def test_a_sweep_locks_only_the_logs_it_deletes(logs: dict[str, tuple[datetime, ...]]) -> None:
    """The sweep decides from its scan and locks only the logs it then deletes: a log a
    request is counting in at that moment is never locked by it, so a sweep beside
    requests on a database server cannot deadlock with them."""
    store = MemoryStore()
    with store.transaction() as tx:
        repo = Repository(tx, REQUEST_LOG_KIND, RequestRecord, key=lambda r: r.key)
        for key, at in logs.items():
            repo.add(RequestRecord(key, at))
    older_than = START + timedelta(minutes=50)
    with store.transaction() as tx:
        locked = spy_locks(tx)
        AccountsStorage(tx).requests.sweep("", older_than, 100)
    stale = [key for key, at in sorted(logs.items()) if not at or at[-1] < older_than]
    assert stale == locked
