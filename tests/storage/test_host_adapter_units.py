"""A host's adapter that keeps only the port's rules (commit or roll back; a nested
block joins the outer one) still keeps "all or nothing, messages included" under a
``Program``: the program gives it the units of work the built-in adapters have."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from _programs import register_form
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent.events import ConsentRecorded
from symprogram.errors import StorageError
from symprogram.notify import Outbox
from symprogram.persistence import Transaction
from symprogram.storage.memory import MemoryStore


class PortOnlyStore:
    """The how-to's adapter: each unit of work is one of "the database" (here the
    memory adapter), and a nested block in the same thread joins the open one. No
    ``on_commit``, no dooming."""

    def __init__(self) -> None:
        self._database = MemoryStore()
        self._local = threading.local()

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Transaction]:
        current = getattr(self._local, "tx", None)
        if current is not None:
            yield current
            return
        with self._database.transaction(readonly=readonly) as tx:
            self._local.tx = tx
            try:
                yield tx
            finally:
                self._local.tx = None

    def close(self) -> None:
        self._database.close()


class HostFailed(Exception):
    """The host's request failed after its calls."""


def _program() -> tuple[Program, Outbox]:
    outbox = Outbox()
    program = Program(
        PortOnlyStore(),  # type: ignore[arg-type]
        clock=FixedClock(datetime(2011, 1, 20, tzinfo=UTC)),
        notifier=outbox,
    )
    return program, outbox


def test_a_host_rollback_sends_nothing_on_a_port_only_adapter() -> None:
    """A registration inside the host's block that then rolls back: no account, and
    its activation link never goes out."""
    program, outbox = _program()
    with pytest.raises(HostFailed), program.store.transaction():
        register_form(program.accounts, "ada@example.com")
        raise HostFailed

    assert () == outbox.messages
    assert program.accounts.find_by_email("ada@example.com") is None


def test_a_committed_host_block_sends_its_messages_after_the_commit() -> None:
    """The same block committing: the message goes out once, after the commit."""
    program, outbox = _program()
    with program.store.transaction():
        register_form(program.accounts, "ada@example.com")
        assert () == outbox.messages

    assert ["activation"] == [m.kind for m in outbox.messages]


def test_a_failed_call_caught_by_the_host_dooms_the_block_on_a_port_only_adapter() -> None:
    """A call that failed after writing (a host reaction raised), its error caught by
    the host: the host's block is rolled back whole (``unit_of_work_doomed``), so the
    failed grant is not half-kept."""
    program, _ = _program()

    def refuse(event: Any) -> None:
        raise RuntimeError("the host's reaction failed")

    program.subscribe(ConsentRecorded, refuse)
    with pytest.raises(StorageError) as info, program.store.transaction():
        with pytest.raises(RuntimeError):
            program.consent.grant("subject-1", "newsletters", channel="web_form")

    assert "unit_of_work_doomed" == info.value.code
    assert () == tuple(program.consent.history("subject-1"))
