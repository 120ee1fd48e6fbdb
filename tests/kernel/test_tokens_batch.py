"""Tokens issued in a batch: the same records as one ``issue`` per subject."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.errors import LimitExceeded, ValidationError
from symprogram.storage.memory import MemoryStore
from symprogram.tokens import (
    GENERATION_KIND,
    ISSUE_HISTORY,
    MAX_SUBJECT_LENGTH,
    TOKEN_KIND,
    Tokens,
    new_secrets,
)

T0 = datetime(2011, 1, 14, 9, 30, tzinfo=UTC)
TOKENS = Tokens()
URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")

subjects = st.lists(st.sampled_from(["c-1", "c-2", "SP-0000-0003", "é"]), max_size=8)


def _byte_stream(seed: int) -> Callable[[int], bytes]:
    """A deterministic stand-in for ``secrets.token_bytes``: one continuous byte stream
    (SHA-256 of a counter), so drawing 32 + 32 bytes gives what drawing 64 gives."""
    state = {"at": 0}

    def draw(count: int) -> bytes:
        start = state["at"]
        state["at"] = start + count
        first, last = start // 32, (start + count) // 32 + 1
        blocks = b"".join(
            hashlib.sha256(f"{seed}:{n}".encode()).digest() for n in range(first, last)
        )
        return blocks[start - 32 * first : start - 32 * first + count]

    return draw


def _state(store: MemoryStore) -> dict[str, Any]:
    with store.transaction(readonly=True) as tx:
        return {
            kind: [(r.key, r.version, r.data) for r in tx.scan(kind, limit=10_000)]
            for kind in (TOKEN_KIND, GENERATION_KIND)
        }


def _store_with(history: dict[str, int]) -> MemoryStore:
    """A store where each subject already has ``history[subject]`` activation tokens
    (their secrets drawn from the same deterministic bytes every time)."""
    store = MemoryStore()
    with pytest.MonkeyPatch.context() as patch, store.transaction() as tx:
        patch.setattr(secrets, "token_bytes", _byte_stream(1000))
        for subject, count in history.items():
            for _ in range(count):
                TOKENS.issue(
                    tx, purpose="activation", subject=subject, ttl=timedelta(days=2), now=T0
                )
    return store


@given(
    subjects,
    st.dictionaries(st.sampled_from(["c-1", "c-2"]), st.integers(0, ISSUE_HISTORY + 1)),
    st.integers(0, 255),
    st.booleans(),
)
def test_issue_many_is_issue_per_subject(
    chosen: list[str], history: dict[str, int], seed: int, revoked: bool
) -> None:
    """With the same random bytes, issue_many writes exactly the records (tokens and
    generations, byte for byte, versions included) and returns exactly the secrets of
    issue() called for each subject in order, whatever each subject's earlier issues
    and generation."""
    one, many = _store_with(history), _store_with(history)
    if revoked:
        for store in (one, many):
            with store.transaction() as tx:
                TOKENS.revoke_all(tx, purpose="activation", subject="c-1")
    now = T0 + timedelta(minutes=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(secrets, "token_bytes", _byte_stream(seed))
        with one.transaction() as tx:
            expected = [
                TOKENS.issue(tx, purpose="activation", subject=s, ttl=timedelta(hours=3), now=now)
                for s in chosen
            ]
        patch.setattr(secrets, "token_bytes", _byte_stream(seed))
        with many.transaction() as tx:
            got = TOKENS.issue_many(
                tx, purpose="activation", subjects=chosen, ttl=timedelta(hours=3), now=now
            )
    assert expected == got
    assert _state(one) == _state(many)


def test_issued_secrets_verify_for_their_own_subject() -> None:
    """Every secret of a batch is valid, once, for the subject it was issued to."""
    store = MemoryStore()
    with store.transaction() as tx:
        drawn = TOKENS.issue_many(
            tx, purpose="activation", subjects=["a", "b", "c"], ttl=timedelta(hours=1), now=T0
        )
    with store.transaction() as tx:
        owners = [TOKENS.consume(tx, purpose="activation", secret=s, now=T0).subject for s in drawn]
    assert ["a", "b", "c"] == owners


@given(st.integers(0, 64))
def test_new_secrets_are_what_token_urlsafe_gives(count: int) -> None:
    """new_secrets(n) gives n distinct secrets of 43 URL-safe characters, each the
    unpadded URL-safe base64 of 32 bytes (what secrets.token_urlsafe(32) gives)."""
    drawn = new_secrets(count)
    assert count == len(drawn) == len(set(drawn))
    for secret in drawn:
        assert 43 == len(secret) and set(secret) <= URLSAFE
        raw = base64.urlsafe_b64decode(secret + "=")
        assert 32 == len(raw)
        assert secret == base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def test_new_secrets_cut_one_draw_like_token_urlsafe(monkeypatch: Any) -> None:
    """The same bytes give the same texts as secrets.token_urlsafe drawing 32 at a time."""
    monkeypatch.setattr(secrets, "token_bytes", _byte_stream(3))
    one_by_one = [secrets.token_urlsafe(32) for _ in range(5)]
    monkeypatch.setattr(secrets, "token_bytes", _byte_stream(3))
    assert one_by_one == new_secrets(5)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"purpose": "Bad Purpose"}, "invalid_token_purpose"),
        ({"subjects": "abc"}, "invalid_token_subject"),
        ({"subjects": ["a", ""]}, "invalid_token_subject"),
        ({"subjects": ["a", "x" * (MAX_SUBJECT_LENGTH + 1)]}, "token_subject_too_long"),
        ({"ttl": timedelta(0)}, "invalid_token_ttl"),
        ({"now": datetime(2011, 1, 14)}, "naive_datetime"),
    ],
)
def test_issue_many_refuses_bad_arguments_before_writing(
    changes: dict[str, Any], code: str
) -> None:
    """A bad argument anywhere raises the error issue() raises, and nothing is written."""
    store = MemoryStore()
    arguments: dict[str, Any] = {
        "purpose": "activation",
        "subjects": ["a"],
        "ttl": timedelta(hours=1),
        "now": T0,
    }
    arguments.update(changes)
    with pytest.raises((ValidationError, LimitExceeded)) as info:
        with store.transaction() as tx:
            TOKENS.issue_many(tx, **arguments)
    assert code == info.value.code
    assert {TOKEN_KIND: [], GENERATION_KIND: []} == _state(store)
