"""The awards names renamed in 0.2 still work for a release, each with a DeprecationWarning."""

from __future__ import annotations

import pytest
from awards_env import START, Env

from symprogram.awards import AwardCatalogue, AwardsService, AwardsSettings
from symprogram.awards.catalogue import FORMAT, from_toml
from symprogram.errors import ValidationError
from symprogram.storage.memory import MemoryStore

TOML = f"""
format = {FORMAT}
[exams.E1]
title = "Exam one"
[awards.a]
name = "Award A"
kind = "accreditation"
requires = {{ exam = "E1" }}
"""


def test_catalogue_loads_warns_and_is_from_toml() -> None:
    """``AwardCatalogue.loads`` warns and gives what ``from_toml`` gives."""
    with pytest.deprecated_call():
        old = AwardCatalogue.loads(TOML)
    assert AwardCatalogue.from_toml(TOML) == old


def test_catalogue_from_mapping_warns_and_validates() -> None:
    """``AwardCatalogue.from_mapping`` warns and validates parsed data as before."""
    raw = {
        "exams": {"E1": {"title": "Exam one"}},
        "awards": {"a": {"name": "Award A", "kind": "accreditation", "requires": {"exam": "E1"}}},
    }
    with pytest.deprecated_call():
        old = AwardCatalogue.from_mapping(raw)
    assert from_toml(TOML) == old


def test_catalogue_award_warns_and_is_get_award() -> None:
    """``AwardCatalogue.award`` warns and returns what ``get_award`` returns."""
    catalogue = AwardCatalogue.default()
    with pytest.deprecated_call():
        old = catalogue.award("sts-endpoint")
    assert catalogue.get_award("sts-endpoint") == old


def test_catalogue_exam_warns_and_is_get_exam() -> None:
    """``AwardCatalogue.exam`` warns and returns what ``get_exam`` returns."""
    catalogue = AwardCatalogue.default()
    with pytest.deprecated_call():
        old = catalogue.exam("ST0-091")
    assert catalogue.get_exam("ST0-091") == old


def test_service_kit_warns_and_is_get_kit() -> None:
    """``AwardsService.kit`` warns and returns what ``get_kit`` returns."""
    env = Env(MemoryStore())
    env.service.record_exam_result("ada", "ST0-091", 90, taken_at=START)
    env.service.record_exam_result("ada", "250-315", 90, taken_at=START)
    env.service.evaluate("ada")
    (kit,) = env.service.kits_of("ada")
    with pytest.deprecated_call():
        old = env.service.kit(kit.kit_id)
    assert env.service.get_kit(kit.kit_id) == old


def test_service_salt_keyword_warns_and_becomes_the_settings_salt() -> None:
    """``AwardsService(salt=...)`` warns and sets ``settings.salt``; with a settings salt
    too it is refused (``conflicting_arguments``)."""
    env = Env(MemoryStore())
    salt = b"0123456789abcdef"
    with pytest.deprecated_call():
        service = AwardsService(
            env.store,
            env.clock,
            history=env.history,
            notifier=env.outbox,
            candidates=env.people,
            salt=salt,
        )
    assert salt == service.settings.salt
    with pytest.deprecated_call(), pytest.raises(ValidationError) as info:
        AwardsService(
            env.store,
            env.clock,
            history=env.history,
            notifier=env.outbox,
            candidates=env.people,
            salt=salt,
            settings=AwardsSettings(salt=salt),
        )
    assert "conflicting_arguments" == info.value.code


def test_service_exam_results_warns_and_is_exam_results_of() -> None:
    """``AwardsService.exam_results`` warns and returns what ``exam_results_of`` returns."""
    env = Env(MemoryStore())
    env.service.record_exam_result("ada", "ST0-091", 90, taken_at=START)
    with pytest.deprecated_call():
        old = env.service.exam_results("ada")
    assert env.service.exam_results_of("ada") == old != ()
