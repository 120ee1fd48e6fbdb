"""The consent service never waits for a unit of work while holding its own lock.

A fresh program reads the published policies on first use. That read used to
run under the consent service's lock, while an accounts flow reads the same
policies from inside its own unit of work (which holds the store's write lock):
a host's unit of work in one thread and a consent choice in another then waited
for each other for ever, and every other writer of the file with them.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _programs import register_active
from symprogram import Outbox, Program


class _SlowInHostThread:
    """The system clock, slower in the host's thread (so the other thread goes first)."""

    def now(self) -> datetime:
        if threading.current_thread().name == "host":
            time.sleep(0.2)
        return datetime.now(UTC)


def test_a_host_unit_of_work_and_a_consent_choice_do_not_wait_for_each_other(
    tmp_path: Path,
) -> None:
    """A host's unit of work that opens an incident (the accounts flow reads the consent
    policies inside it) and a consent grant in another thread, on a program that has
    not read its policies yet, both finish."""
    url = f"sqlite:///{tmp_path}/lock.db"
    setup = Program.open(url, notifier=Outbox())
    cid = register_active(setup)
    setup.close()
    program = Program.open(url, notifier=Outbox(), clock=_SlowInHostThread())
    failures: list[BaseException] = []

    def guarded(work: object) -> None:
        try:
            work()  # type: ignore[operator]
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    def host_unit() -> None:
        with program.store.transaction():
            time.sleep(0.5)
            program.accounts.open_incident(cid, title="Kit", body="Where is it?")

    def grant() -> None:
        time.sleep(0.2)
        program.consent.grant(cid, "research", channel="web_form", evidence="form 1")

    threads = [
        threading.Thread(target=guarded, args=(host_unit,), name="host", daemon=True),
        threading.Thread(target=guarded, args=(grant,), name="grant", daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert [False, False] == [thread.is_alive() for thread in threads]
    assert [] == failures
    assert 1 == len(program.accounts.get_candidate(cid).incidents)
    assert program.consent.may_use(cid, "research")
    program.close()
