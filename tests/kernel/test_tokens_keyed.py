"""Keyed token digests: ``Tokens(ledger_key)`` digests and seals under derived keys.

A row written without the key (a plain SHA-256 digest of a chosen secret, or a
genuine row with a sealed field changed) matches no secret: ``token_invalid``.
Tokens issued under a retired key of the ring stay valid; unkeyed ones do not.
"""

from __future__ import annotations

import hashlib
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.errors import TokenError, ValidationError
from symprogram.ledger_keys import LedgerKeys
from symprogram.serialization import dumps_without
from symprogram.storage.memory import MemoryStore
from symprogram.tokens import (
    TOKEN_KIND,
    TokenKey,
    TokenPurpose,
    TokenRecord,
    Tokens,
    check,
    digest,
)

T0 = datetime(2011, 1, 14, 9, 30, tzinfo=UTC)
KEY = b"kernel token tests ledger key 32"
OTHER = b"another ledger key, 32 bytes...."
DAY = timedelta(days=1)

secrets_ = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=64)
purposes = st.sampled_from([*TokenPurpose, "terms_acceptance"])
subjects = st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s)
keys = st.binary(min_size=1, max_size=48).filter(lambda k: k.rstrip(b"\x00") != b"")


def _write(store: MemoryStore, record: TokenRecord) -> None:
    """Write ``record`` as a database writer would: straight through the store."""
    with store.transaction() as tx:
        found = tx.load(TOKEN_KIND, record.digest)
        version = 0 if found is None else found.version
        tx.save(TOKEN_KIND, record.digest, dumps_without(record, frozenset({"version"})), version)


def _refusal(tokens: Tokens, store: MemoryStore, purpose: str, secret: str) -> str:
    with store.transaction() as tx, pytest.raises(TokenError) as caught:
        tokens.verify(tx, purpose=purpose, secret=secret, now=T0)
    return caught.value.code


def _issue(tokens: Tokens, store: MemoryStore, purpose: str = "password_reset") -> str:
    with store.transaction() as tx:
        return tokens.issue(tx, purpose=purpose, subject="c-1", ttl=DAY, now=T0)


@given(secrets_, purposes, subjects)
def test_a_row_minted_with_a_plain_digest_never_verifies_keyed(
    secret: str, purpose: str, subject: str
) -> None:
    """The row an unkeyed program would have written for ``secret`` verifies unkeyed
    and is ``token_invalid`` for keyed tokens."""
    store = MemoryStore()
    minted = TokenRecord(
        hashlib.sha256(secret.encode()).hexdigest(), purpose, subject, T0, T0 + DAY,
        generation=99,
    )  # fmt: skip
    _write(store, minted)
    with store.transaction() as tx:
        assert subject == Tokens().verify(tx, purpose=purpose, secret=secret, now=T0).subject
        assert Tokens(KEY).lookup(tx, secret=secret) is None
    assert "token_invalid" == _refusal(Tokens(KEY), store, purpose, secret)


CHANGES: dict[str, Any] = {
    "subject": "c-2",
    "generation": 5,
    "issued_at": T0 - DAY,
    "expires_at": T0 + 30 * DAY,
    "seal": None,
}


@given(st.sampled_from(sorted(CHANGES)), purposes)
def test_a_sealed_field_changed_in_the_store_never_verifies(field: str, purpose: str) -> None:
    """A genuine keyed row with its subject, generation, issue or expiry changed (or its
    seal dropped) is ``token_invalid``; put back as issued it verifies again."""
    store = MemoryStore()
    tokens = Tokens(KEY)
    secret = _issue(tokens, store, purpose)
    with store.transaction() as tx:
        genuine = tokens.verify(tx, purpose=purpose, secret=secret, now=T0)
    _write(store, attrs.evolve(genuine, **{field: CHANGES[field]}))
    assert "token_invalid" == _refusal(tokens, store, purpose, secret)
    with store.transaction() as tx:
        assert tokens.lookup(tx, secret=secret) is None
    _write(store, genuine)
    with store.transaction() as tx:
        used = tokens.consume(tx, purpose=purpose, secret=secret, now=T0)
    assert attrs.evolve(genuine, used_at=T0, version=used.version) == used


@given(st.lists(keys, min_size=2, max_size=4, unique_by=lambda k: k.rstrip(b"\x00")))
def test_a_token_verifies_under_any_ring_holding_its_key(ring: list[bytes]) -> None:
    """Issued under the first key: verifies after any number of rotations while that key
    is retired in the ring; issued again under the current key; refused once dropped."""
    store = MemoryStore()
    first, *later = ring
    secret = _issue(Tokens(first), store)
    rotated = LedgerKeys(first)
    for key in later:
        rotated = rotated.rotated(key)
        with store.transaction() as tx:
            assert Tokens(rotated).verify(tx, purpose="password_reset", secret=secret, now=T0)
    dropped = LedgerKeys(later[-1], retired=later[:-1])
    assert "token_invalid" == _refusal(Tokens(dropped), store, "password_reset", secret)


def test_an_unkeyed_token_is_refused_once_a_key_is_set() -> None:
    """Upgrade: a token stored with a plain SHA-256 digest is ``token_invalid`` under a
    key, and one issued under a key is ``token_invalid`` without it."""
    store = MemoryStore()
    plain = _issue(Tokens(), store)
    keyed = _issue(Tokens(KEY), store)
    assert "token_invalid" == _refusal(Tokens(KEY), store, "password_reset", plain)
    assert "token_invalid" == _refusal(Tokens(), store, "password_reset", keyed)
    assert "token_invalid" == _refusal(Tokens(OTHER), store, "password_reset", keyed)


def test_check_needs_the_key_a_keyed_record_was_issued_under() -> None:
    """The pure check accepts a keyed record with its key and refuses it without."""
    store = MemoryStore()
    secret = _issue(Tokens(KEY), store)
    with store.transaction() as tx:
        record = Tokens(KEY).verify(tx, purpose="password_reset", secret=secret, now=T0)
    check(record, secret, "password_reset", T0, current_generation=0, key=TokenKey.derive(KEY))
    for key in (None, TokenKey.derive(OTHER)):
        with pytest.raises(TokenError) as caught:
            check(record, secret, "password_reset", T0, current_generation=0, key=key)
        assert "token_invalid" == caught.value.code


@pytest.mark.parametrize("bad", ["key", b"", 3])
def test_a_malformed_key_is_refused(bad: object) -> None:
    """A key that is neither non-empty bytes nor a ring: ``invalid_key``."""
    with pytest.raises(ValidationError) as caught:
        Tokens(bad)  # type: ignore[arg-type]
    assert "invalid_key" == caught.value.code
    with pytest.raises(ValidationError) as derived:
        TokenKey.derive(bad)  # type: ignore[arg-type]
    assert "invalid_key" == derived.value.code


@pytest.mark.parametrize("bad", ["key", b"", 3, None])
def test_a_token_key_is_built_of_non_empty_bytes_only(bad: object) -> None:
    """``TokenKey(digest_key, seal_key)`` refuses a key that is not non-empty bytes
    (``invalid_key``, naming the field) when built, not at its first use; a
    ``bytearray`` is kept as ``bytes``."""
    for args, field in (((bad, b"seal"), "digest_key"), ((b"digest", bad), "seal_key")):
        with pytest.raises(ValidationError) as caught:
            TokenKey(*args)  # type: ignore[arg-type]
        assert ("invalid_key", field) == (caught.value.code, caught.value.field)
    built = TokenKey(bytearray(b"digest"), bytearray(b"seal"))
    assert (b"digest", b"seal") == (built.digest_key, built.seal_key)


@pytest.mark.parametrize("bad", [b"raw ledger key", KEY.hex(), LedgerKeys(KEY), 0])
def test_digest_and_check_take_a_token_key_or_none(bad: object) -> None:
    """A ``key`` that is not a :class:`TokenKey` (raw key bytes, a ring) is refused by
    ``digest`` and ``check`` as ``invalid_key``, never an AttributeError."""
    for call in (
        lambda: digest("a secret", bad),  # type: ignore[arg-type]
        lambda: check(None, "a secret", "password_reset", T0, current_generation=0, key=bad),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert ("invalid_key", "key") == (caught.value.code, caught.value.field)
