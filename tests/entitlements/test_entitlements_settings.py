"""The service's construction (settings, catalogue) and the audit ledger's verify_all."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from entitlements_helpers import Env

from _programs import add_agreement
from symprogram.clock import FixedClock
from symprogram.entitlements import EntitlementsService, EntitlementsSettings, Reader
from symprogram.errors import ValidationError
from symprogram.storage.memory import MemoryStore

CLOCK = FixedClock(datetime(2012, 3, 1, tzinfo=UTC))


def test_default_settings() -> None:
    """Without settings the service uses EntitlementsSettings() and says so."""
    service = EntitlementsService(MemoryStore(), CLOCK)
    assert EntitlementsSettings() == service.settings
    custom = EntitlementsSettings(cache_limit=10, memo_limit=20)
    assert custom == EntitlementsService(MemoryStore(), CLOCK, settings=custom).settings


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cache_limit": 0}, "invalid_cache_limit"),
        ({"cache_limit": "10"}, "invalid_cache_limit"),
        ({"cache_limit": True}, "invalid_cache_limit"),
        ({"memo_limit": -1}, "invalid_memo_limit"),
        ({"memo_limit": 1.5}, "invalid_memo_limit"),
    ],
)
def test_ill_typed_settings_are_refused(kwargs: dict[str, Any], code: str) -> None:
    """An ill-typed or out-of-range setting is a ValidationError naming it."""
    with pytest.raises(ValidationError) as caught:
        EntitlementsSettings(**kwargs)
    assert code == caught.value.code


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"settings": {"memo_limit": 5}}, "invalid_settings"),
        ({"catalogue": "default"}, "invalid_catalogue"),
    ],
)
def test_wrong_constructor_arguments_are_refused(kwargs: dict[str, Any], code: str) -> None:
    """Settings that are not EntitlementsSettings, or a catalogue of another type, are refused."""
    with pytest.raises(ValidationError) as caught:
        EntitlementsService(MemoryStore(), CLOCK, **kwargs)
    assert code == caught.value.code


def test_a_small_memo_still_answers_right() -> None:
    """With memo and cache limits of 1, answers stay those of a service without memory."""
    store = MemoryStore()
    small = EntitlementsService(
        store, CLOCK, settings=EntitlementsSettings(cache_limit=1, memo_limit=1)
    )
    add_agreement(small)
    fresh = EntitlementsService(store, CLOCK)
    for _ in range(2):
        for reader in (Reader("C-1", logged_in=True), Reader("C-2", logged_in=True), None):
            for doc in ("essential_support_basic_maintenance_handbook", "technical_support_policy"):
                assert fresh.decide(reader, doc, "ja") == small.decide(reader, doc, "ja")


def test_verify_all_finds_every_tampered_trail(env: Env) -> None:
    """verify_all() is empty for intact trails and names each subject whose trail was edited."""
    for customer in ("C-1", "C-2"):
        env.service.add_agreement(
            customer,
            agreement_id=f"A-{customer}",
            level="essential_support",
            products=["NetBackup"],
            starts_on=date(2012, 1, 1),
            ends_on=date(2012, 12, 31),
            by="sales",
        )
    env.service.register_release("NetBackup", "7.5", end_of_standard_support=date(2014, 1, 1))
    assert () == env.service.verify_all()
    assert () == env.service.verify_all(batch=1)
    with env.store.transaction() as tx:
        stream = "entitlements:C-2"
        (position, text), *_ = tx.read(stream)
        tx.append(stream, position + 1, text.replace("sales", "someone"))
    failed = env.service.verify_all(batch=1)
    assert ["C-2"] == [result.subject for result in failed]
    assert not env.service.verify("C-2").ok
    with pytest.raises(ValidationError) as caught:
        env.service.verify_all(batch=0)
    assert "invalid_batch" == caught.value.code
