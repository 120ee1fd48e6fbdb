"""The units of work of the built-in adapters, given to a store that has not got them.

A :class:`~symprogram.Program` relies on three things of its store's units of work
beyond the port's commit-or-roll-back: a unit of work opened inside another one in
the same thread joins it; a joined block that raised after writing dooms the one it
joined (nothing of it is half-kept); and ``on_commit(callback)`` defers work (the
outbox's delivery) until the outermost one has committed, never running it if that
rolls back. The built-in adapters get them from :class:`~symprogram.storage._base.Units`.
A host's adapter that passes the contract suite need not have them: ``Program``
wraps such a store (one without ``on_commit``) in a :class:`JoiningStore`, so that a
message is never handed over for a change a host's block then rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from symprogram._persistence_records import WRITE_METHODS, check_writable
from symprogram.persistence import Store, Transaction
from symprogram.storage._base import CommitHooks, Unit, Units

__all__ = ["JoiningStore", "joining"]


class _Joined:
    """A unit of work of the wrapped store, its writes counted (see :mod:`._base`)."""

    __slots__ = ("_tx", "context", "readonly")

    def __init__(self, tx: Transaction, context: AbstractContextManager[Any], readonly: bool):
        self._tx = tx
        self.context = context
        self.readonly = readonly

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._tx, name)
        if name not in WRITE_METHODS:  # writes are counted: a failed joined block dooms
            return found

        def write(*args: Any, **kwargs: Any) -> Any:
            check_writable(self.readonly)
            return found(*args, **kwargs)

        return write


class JoiningStore(CommitHooks):
    """``inner`` with the units of work of the built-in adapters: nested blocks of a
    thread join its open unit of work, a joined block that failed after writing dooms
    it (``unit_of_work_doomed``), and :meth:`on_commit` defers work until it commits.
    Everything else is ``inner``'s (attributes are forwarded).

    Args:
        inner: the host's store.
    """

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self._units: Units[_Joined] = Units(self._begin, self._end)

    def _begin(self, readonly: bool) -> _Joined:
        context = self.inner.transaction(readonly=readonly)
        return _Joined(context.__enter__(), context, readonly)

    @staticmethod
    def _end(tx: _Joined, error: BaseException | None) -> None:
        if error is None:
            tx.context.__exit__(None, None, None)
        else:
            tx.context.__exit__(type(error), error, error.__traceback__)

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Any]:
        """A unit of work of the wrapped store, joining this thread's open one."""
        return Unit(self._units, readonly)

    def close(self) -> None:
        """Close the wrapped store."""
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"JoiningStore({self.inner!r})"


def joining(store: Store) -> Store:
    """``store`` itself when its units of work defer work until they commit (it has
    ``on_commit``, as every built-in adapter does), else ``store`` wrapped in a
    :class:`JoiningStore`."""
    hook: Callable[..., Any] | None = getattr(store, "on_commit", None)
    return store if callable(hook) else JoiningStore(store)
