"""``consent.catalogue`` and ``consent.settings`` name what the other services name so.

``accounts``, ``awards`` and ``entitlements`` each expose the catalogue and the
settings they were given as ``catalogue`` and ``settings``; the consent service took
``catalogue=`` and ``settings=`` but answered ``AttributeError`` for both names.
"""

from __future__ import annotations

from symprogram import Program
from symprogram.consent import ConsentSettings, PolicyCatalogue


def test_every_service_exposes_its_catalogue_and_settings() -> None:
    with Program.in_memory() as program:
        for name in ("accounts", "awards", "entitlements", "consent"):
            service = getattr(program, name)
            assert service.catalogue is not None, name
            assert service.settings is not None, name


def test_the_consent_catalogue_and_settings_are_those_given() -> None:
    catalogue = PolicyCatalogue.default()
    settings = ConsentSettings(cache_limit=7)
    options = {"consent": {"catalogue": catalogue, "settings": settings}}
    with Program.in_memory(options=options) as program:
        assert program.consent.catalogue is catalogue
        assert program.consent.catalogue is program.consent.policies
        assert program.consent.settings is settings


def test_the_consent_catalogue_includes_published_versions() -> None:
    """As ``policies`` does: the catalogue in use, not only the one given."""
    with Program.in_memory() as program:
        assert program.consent.catalogue.policies == program.consent.policies.policies
        assert program.consent.settings == ConsentSettings()
