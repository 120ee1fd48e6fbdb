"""The storage contract suite: one set of tests every adapter must pass.

A storage adapter's test module subclasses :class:`StoreContract` and provides a
factory, exactly as a third-party adapter would::

    import pytest
    from symprogram.testing.contract import PersistentStoreContract, StoreContract
    from my_adapter import MyStore

    class TestMyStore(StoreContract):
        def make_store(self, tmp_path):
            return MyStore(...)

    # for stores that outlive the process, also reopen what make_store created:
    class TestMyFileStore(PersistentStoreContract):
        def make_store(self, tmp_path):
            return MyStore(tmp_path / "data")

        def reopen_store(self, store, tmp_path):
            store.close()
            return MyStore(...)

The base class is not named ``Test*``, so pytest does not collect it by itself.
It is composed of themed contracts (records, index and streams; units of work;
batches; bad input), each a class of its own cases; a subclass inherits them all.
It needs ``pytest`` and ``hypothesis`` (the ``test`` extra).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from symprogram.persistence import Store
from symprogram.testing._contract_basics import (
    Boom,
    InputContract,
    RecordContract,
    UnitOfWorkContract,
    keys,
    texts,
)
from symprogram.testing._contract_batches import BatchContract

__all__ = ["PersistentStoreContract", "StoreContract", "keys", "texts"]


class StoreContract(RecordContract, UnitOfWorkContract, BatchContract, InputContract):
    """Behaviour every :class:`~symprogram.persistence.Store` must have.

    Subclasses implement :meth:`make_store`. Stores that persist beyond the
    process subclass :class:`PersistentStoreContract` instead. The cases come
    from the themed contracts it is composed of: records, the unique index and
    streams; units of work (all or nothing, read-only, nested, concurrent
    writers); batches; bad input and hostile text.
    """

    def make_store(self, tmp_path: Path) -> Store:
        """Return a new, empty store."""
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        """A fresh store, closed afterwards."""
        store = self.make_store(tmp_path)
        try:
            yield store
        finally:
            store.close()


class PersistentStoreContract(StoreContract):
    """:class:`StoreContract` plus the behaviour of stores that outlive the process.

    Subclasses also implement :meth:`reopen_store`.
    """

    def reopen_store(self, store: Store, tmp_path: Path) -> Store:
        """Close ``store`` and open the same data again."""
        raise NotImplementedError

    def test_reopening_gives_back_exactly_what_was_committed(
        self, store: Store, tmp_path: Path
    ) -> None:
        """A persistent store reopened holds the committed data and none of the rolled back."""
        with store.transaction() as tx:
            tx.save("thing", "a", '{"é": "ü\\u0000"}', 0)
            tx.index_put("email", "a@example.com", "a")
            tx.append("s", 1, "one")
        with pytest.raises(Boom), store.transaction() as tx:
            tx.save("thing", "b", "{}", 0)
            raise Boom
        reopened = self.reopen_store(store, tmp_path)
        try:
            with reopened.transaction(readonly=True) as tx:
                record = tx.load("thing", "a")
                assert record is not None
                assert (1, '{"é": "ü\\u0000"}') == (record.version, record.data)
                assert tx.load("thing", "b") is None
                assert "a" == tx.index_get("email", "a@example.com")
                assert [(1, "one")] == tx.read("s")
        finally:
            reopened.close()
