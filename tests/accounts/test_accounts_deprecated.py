"""The accounts names renamed in 0.2 still work for a release, each with a DeprecationWarning."""

from __future__ import annotations

import pytest
from accounts_helpers import World

from symprogram.accounts import AccountsSettings, TermsCatalogue
from symprogram.errors import ValidationError
from symprogram.persistence import Store


def test_get_warns_and_returns_the_candidate(world: World) -> None:
    """AccountsService.get() is get_candidate()."""
    cid = world.active().candidate_id
    with pytest.warns(DeprecationWarning, match=r"AccountsService\.get\(\)"):
        candidate = world.accounts.get(cid)
    assert world.accounts.get_candidate(cid) == candidate


def test_contact_reviews_due_warns_and_yields_the_due_ids(world: World) -> None:
    """AccountsService.contact_reviews_due() is iter_contact_reviews_due()."""
    world.active()
    with pytest.warns(DeprecationWarning, match="contact_reviews_due"):
        due = list(world.accounts.contact_reviews_due())
    assert list(world.accounts.iter_contact_reviews_due()) == due


def test_terms_keyword_warns_and_sets_the_catalogue(store: Store) -> None:
    """AccountsService(terms=...) is AccountsService(catalogue=...)."""
    catalogue = TermsCatalogue.default()
    with pytest.warns(DeprecationWarning, match=r"terms="):
        world = World(store, terms=catalogue)
    assert catalogue is world.accounts.catalogue
    assert catalogue is world.accounts.terms


def test_terms_and_catalogue_together_are_refused(store: Store) -> None:
    """Giving the old and the new keyword at once is conflicting_arguments."""
    catalogue = TermsCatalogue.default()
    with pytest.raises(ValidationError) as info:
        World(store, terms=catalogue, catalogue=catalogue)
    assert "conflicting_arguments" == info.value.code


def test_account_settings_warns_and_is_accounts_settings() -> None:
    """AccountSettings (package and models module) is AccountsSettings."""
    import symprogram.accounts
    import symprogram.accounts.models

    with pytest.warns(DeprecationWarning, match="AccountSettings"):
        old = symprogram.accounts.AccountSettings
    assert AccountsSettings is old
    with pytest.warns(DeprecationWarning, match="AccountSettings"):
        assert AccountsSettings is symprogram.accounts.models.AccountSettings


def test_settings_of_the_wrong_type_are_refused(store: Store) -> None:
    """settings= must be an AccountsSettings: invalid_settings."""
    with pytest.raises(ValidationError) as info:
        World(store, settings={"reset_limit": 5})
    assert "invalid_settings" == info.value.code


def test_incidents_warns_and_lists_what_incidents_of_answers(world: World) -> None:
    """AccountsService.incidents() is incidents_of(), still answering a list."""
    cid = world.active().candidate_id
    first = world.accounts.open_incident(cid, title="Kit", body="Where is my kit?")
    second = world.accounts.open_incident(cid, title="Score", body="My score report is wrong.")
    with pytest.warns(DeprecationWarning, match=r"AccountsService\.incidents_of\(\)"):
        old = world.accounts.incidents(cid)
    assert [first, second] == old
    assert type(old) is list
    assert (first, second) == world.accounts.incidents_of(cid)


def test_notification_setting_names_warn_and_answer_as_the_get_names(world: World) -> None:
    """notification_setting() and notification_settings() are get_notification_setting()
    and get_notification_settings()."""
    cid = world.active().candidate_id
    with pytest.warns(DeprecationWarning, match="notification_setting"):
        one = world.accounts.notification_setting(cid, "newsletters")
    assert world.accounts.get_notification_setting(cid, "newsletters") == one
    with pytest.warns(DeprecationWarning, match="notification_settings"):
        every = world.accounts.notification_settings(cid)
    assert world.accounts.get_notification_settings(cid) == every
    assert one in every


def test_score_reports_warns_and_is_score_reports_of(world: World) -> None:
    """score_reports() is score_reports_of()."""
    cid = world.active().candidate_id
    with pytest.warns(DeprecationWarning, match="score_reports"):
        old = world.accounts.score_reports(cid)
    assert world.accounts.score_reports_of(cid) == old


def test_terms_catalogue_get_warns_and_is_get_version() -> None:
    """TermsCatalogue.get() is get_version()."""
    catalogue = TermsCatalogue.default()
    version = catalogue.versions[-1].version
    with pytest.warns(DeprecationWarning, match=r"TermsCatalogue\.get\(\)"):
        old = catalogue.get(version)
    assert catalogue.get_version(version) == old
