"""AwardsSettings: the service's options, typed and checked when built."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from awards_env import START, Env

from symprogram.awards import AwardsService, AwardsSettings
from symprogram.clock import LONGEST_SPAN
from symprogram.errors import LimitExceeded, ValidationError
from symprogram.storage.memory import MemoryStore


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"salt": b"short"}, "invalid_salt"),
        ({"salt": "0123456789abcdef0"}, "invalid_salt"),
        ({"disclosure_ttl": 30}, "invalid_disclosure_ttl"),
        ({"disclosure_ttl": timedelta(0)}, "invalid_disclosure_ttl"),
        ({"disclosure_ttl": timedelta(days=400)}, "invalid_disclosure_ttl"),
        ({"max_disclosure_ttl": timedelta(days=-1)}, "invalid_max_disclosure_ttl"),
        ({"max_disclosure_ttl": timedelta.max}, "invalid_max_disclosure_ttl"),
        ({"max_disclosure_ttl": LONGEST_SPAN + timedelta(days=1)}, "invalid_max_disclosure_ttl"),
        ({"progress_memo_limit": 0}, "invalid_progress_memo_limit"),
        ({"progress_memo_limit": True}, "invalid_progress_memo_limit"),
    ],
)
def test_ill_typed_settings_are_refused_with_a_code(kwargs: dict[str, Any], code: str) -> None:
    """Each bad setting is a ValidationError with its code when the settings are built."""
    with pytest.raises(ValidationError) as info:
        AwardsSettings(**kwargs)
    assert code == info.value.code


def test_settings_must_be_an_awards_settings() -> None:
    """Anything else given as ``settings`` is a ValidationError ``invalid_settings``."""
    env = Env(MemoryStore())
    with pytest.raises(ValidationError) as info:
        AwardsService(
            env.store,
            env.clock,
            history=env.history,
            notifier=env.outbox,
            candidates=env.people,
            settings={"salt": None},  # type: ignore[arg-type]
        )
    assert "invalid_settings" == info.value.code


def test_catalogue_must_be_an_award_catalogue() -> None:
    """Anything else given as ``catalogue`` is a ValidationError ``invalid_catalogue``."""
    env = Env(MemoryStore())
    with pytest.raises(ValidationError) as info:
        AwardsService(
            env.store,
            env.clock,
            history=env.history,
            notifier=env.outbox,
            candidates=env.people,
            catalogue="program.toml",  # type: ignore[arg-type]
        )
    assert "invalid_catalogue" == info.value.code


def test_disclosure_lifetimes_come_from_the_settings() -> None:
    """A disclosure lasts ``disclosure_ttl`` by default and at most ``max_disclosure_ttl``."""
    env = Env(MemoryStore())
    env.service = AwardsService(
        env.store,
        env.clock,
        history=env.history,
        notifier=env.outbox,
        candidates=env.people,
        settings=AwardsSettings(
            disclosure_ttl=timedelta(days=2), max_disclosure_ttl=timedelta(days=5)
        ),
    )
    env.service.record_exam_result("ada", "ST0-091", 90, taken_at=START)
    env.service.evaluate("ada")
    published = env.service.publish("ada", ["sts-endpoint"], "hr@example.com")
    assert START + timedelta(days=2) == published.disclosure.expires_at
    with pytest.raises(LimitExceeded) as info:
        env.service.publish("ada", ["sts-endpoint"], "hr@example.com", ttl=timedelta(days=6))
    assert "disclosure_too_long" == info.value.code


def test_program_options_give_the_awards_settings() -> None:
    """``Program(options={"awards": {"settings": {...}}})`` builds checked AwardsSettings."""
    from symprogram import Program

    salt = b"0123456789abcdef"
    with Program.open("memory://", options={"awards": {"settings": {"salt": salt}}}) as program:
        assert AwardsSettings(salt=salt) == program.awards.settings
    with pytest.raises(ValidationError) as info:
        Program.open("memory://", options={"awards": {"settings": {"salt": b"short"}}})
    assert "invalid_salt" == info.value.code
