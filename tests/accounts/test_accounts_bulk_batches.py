"""register_many reads and writes each batch in a few batched store calls, and still
refuses an address registered concurrently (``email_taken``) without writing anything."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from accounts_helpers import World

from _programs import contact
from symprogram.accounts import _text
from symprogram.errors import Conflict
from symprogram.persistence import Store, Transaction


class _CountingTx:
    """Delegates to a transaction, counting the calls made to it by name."""

    def __init__(self, tx: Transaction, calls: Counter[str], hidden: set[str]) -> None:
        self._tx = tx
        self._calls = calls
        self._hidden = hidden

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._tx, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            result = target(*args, **kwargs)
            if name == "index_get" and args[1] in self._hidden:
                return None
            if name == "index_get_many":
                return {v: k for v, k in result.items() if v not in self._hidden}
            return result

        return call


class _CountingStore:
    """A store whose units of work count their calls, and can hide index values
    (as if another unit of work had written them after they were read)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()
        self.hidden: set[str] = set()

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Any]:
        with self.store.transaction(readonly=readonly) as tx:
            yield _CountingTx(tx, self.calls, self.hidden)

    def close(self) -> None:
        self.store.close()


def test_a_batch_takes_a_few_batched_calls_whatever_its_size(store: Store) -> None:
    """Registering 40 new addresses in one batch reads and writes the store only through
    its batch methods (when it has them): no call per candidate."""
    counting = _CountingStore(store)
    world = World(counting)
    report = world.accounts.register_many([contact(f"c{n}@example.com") for n in range(40)])
    assert 40 == report.created
    batched = {"save_many", "index_put_many", "append_many", "load_many", "index_get_many"}
    with store.transaction(readonly=True) as tx:
        native = all(callable(getattr(tx, name, None)) for name in batched)
    if native:
        # One read of the index, three of records (IDs, token states, history heads),
        # one write each of records (the outbox's messages among them), index entries
        # and history entries; after commit, the delivery reads the batch's one pending
        # marker (locked), claims its messages with one more batched save (marking them
        # delivered) and deletes the marker.
        assert Counter(
            {"index_get_many": 1, "load_many": 3, "save_many": 2, "index_put_many": 1,
             "append_many": 1, "load": 1, "delete": 1}
        ) == counting.calls  # fmt: skip
    for n in (0, 39):
        owner = world.accounts.find_by_email(f"c{n}@example.com")
        assert owner is not None
        assert world.history.verify(owner.candidate_id).ok


def test_an_address_taken_meanwhile_is_email_taken_and_the_batch_leaves_nothing(
    store: Store,
) -> None:
    """If an address of the batch was registered after the batch read the index, the
    batched write refuses it: Conflict ``email_taken``, and nothing of that batch stays
    (batches committed before it do)."""
    counting = _CountingStore(store)
    world = World(counting)
    world.accounts.register_many([contact("early@example.com")])
    counting.hidden.add(_text.email_key("early@example.com"))
    rows = [contact(f"c{n}@example.com") for n in range(12)] + [contact("early@example.com")]
    with pytest.raises(Conflict) as info:
        world.accounts.register_many(rows, batch_size=100)
    assert "email_taken" == info.value.code
    counting.hidden.clear()
    assert world.accounts.find_by_email("c0@example.com") is None
    assert world.accounts.find_by_email("early@example.com") is not None
    with store.transaction(readonly=True) as tx:
        assert 1 == len(tx.scan("candidate"))
