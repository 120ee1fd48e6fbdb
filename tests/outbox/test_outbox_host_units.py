"""A message goes out for every change that committed, and never for one that was
rolled back: ``deliver_pending`` called inside a host's unit of work waits for its
commit, and a committed call does not fail for its mail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from _programs import ProgramFactory, register_form
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.errors import StorageError
from symprogram.notify import Outbox
from symprogram.storage.memory import MemoryStore

pytestmark = pytest.mark.backends("memory", "sqlite")


class RequestFailed(Exception):
    """The host's request failed after its calls: its unit of work rolls back."""


def _outbox(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def test_deliver_pending_inside_a_host_unit_that_rolls_back_sends_nothing(
    backend: str, make_program: ProgramFactory
) -> None:
    """A request registers, flushes pending mail, then fails: the account is rolled back,
    so its activation link (address, candidate ID, token) must never go out."""
    program = make_program(backend)
    with pytest.raises(RequestFailed), program.store.transaction():
        register_form(program.accounts, "ada@example.com")
        assert 0 == program.deliver_pending()
        raise RequestFailed

    assert () == _outbox(program).messages
    assert program.accounts.find_by_email("ada@example.com") is None


def test_deliver_pending_inside_a_host_unit_delivers_once_it_commits(
    backend: str, make_program: ProgramFactory
) -> None:
    """The same request that commits: the delivery runs after the commit, and the
    message goes out once."""
    program = make_program(backend)
    with program.store.transaction():
        register_form(program.accounts, "ada@example.com")
        assert 0 == program.deliver_pending()
        assert () == _outbox(program).messages

    assert ["activation"] == [m.kind for m in _outbox(program).messages]


class _FailsAfterCommit:
    """A store (not a compliant adapter) whose unit of work right after the next commit
    raises ``error``: the claim of the committed call's messages fails."""

    def __init__(self, error: BaseException) -> None:
        self.inner, self.error = MemoryStore(), error
        self.armed = self.committed = False

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Any]:
        if self.armed and self.committed:
            self.armed = False
            raise self.error
        with self.inner.transaction(readonly=readonly) as tx:
            yield tx
        if not readonly:
            self.committed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize(
    "error", [StorageError("connection reset", code="connection_lost"), OSError("reset")]
)
def test_a_committed_call_does_not_fail_for_its_mail(error: BaseException) -> None:
    """The store fails while a committed registration's message is claimed: the call
    returns (the account exists) and the message stays pending for the next delivery,
    whatever the error's class."""
    from datetime import UTC, datetime

    store = _FailsAfterCommit(error)
    outbox = Outbox()
    program = Program(
        store,  # type: ignore[arg-type]
        clock=FixedClock(datetime(2011, 1, 20, tzinfo=UTC)),
        notifier=outbox,
    )
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    store.armed, store.committed = True, False

    register_form(program.accounts, "ada@example.com", terms_receipt=receipt.token)

    assert program.accounts.find_by_email("ada@example.com") is not None
    assert () == outbox.messages
    assert 1 == program.deliver_pending()
