"""The kernel's memo of answers guarded by the store's change token (symprogram._memo)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from symprogram._memo import TokenMemo
from symprogram.storage.memory import MemoryStore


def _commit(store: MemoryStore) -> None:
    with store.transaction() as tx:
        version = tx.load("memo_test", "k")
        tx.save("memo_test", "k", "{}", 0 if version is None else version.version)


def test_an_answer_is_reused_only_while_nothing_was_committed() -> None:
    """A commit changes the token, and the remembered answer is gone."""
    store = MemoryStore()
    memo: TokenMemo[str, int] = TokenMemo(store)
    assert memo.enabled
    token = memo.token()
    memo.put("a", token, 1)
    assert memo.get("a", memo.token()) == 1
    _commit(store)
    assert memo.get("a", memo.token()) is None


def test_a_store_without_change_token_never_remembers() -> None:
    """Without change_token() the memo is disabled and get() always misses."""
    memo: TokenMemo[str, int] = TokenMemo(object())
    assert not memo.enabled
    memo.put("a", memo.token(), 1)
    assert memo.get("a", None) is None
    assert len(memo) == 0


@given(st.lists(st.integers(0, 50), max_size=200), st.integers(1, 10))
def test_the_memo_stays_within_its_limit(keys: list[int], limit: int) -> None:
    """However many answers are put, at most `limit` are kept, the newest among them."""
    memo: TokenMemo[int, int] = TokenMemo(MemoryStore(), limit=limit)
    token = memo.token()
    for key in keys:
        memo.put(key, token, key * 2)
        assert len(memo) <= limit
        assert memo.get(key, token) == key * 2
