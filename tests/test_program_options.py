"""Program(options=...) is checked when the program is built, and services are built once."""

from __future__ import annotations

import threading
import warnings
from datetime import UTC, date, datetime

import pytest

from symprogram import Outbox, Program, ValidationError
from symprogram.accounts import ScryptHasher


def test_a_misspelled_option_is_refused_when_the_program_is_built() -> None:
    """A key the service's constructor does not take is ValidationError unknown_option."""
    with pytest.raises(ValidationError) as caught:
        Program.in_memory(options={"accounts": {"hashr": ScryptHasher(n=2**4)}})
    assert "unknown_option" == caught.value.code
    assert "options.accounts.hashr" == caught.value.field


def test_an_ill_typed_option_is_refused_when_the_program_is_built() -> None:
    """A value of the wrong type for a constructor keyword is invalid_option."""
    with pytest.raises(ValidationError) as caught:
        Program.in_memory(options={"entitlements": {"catalogue": "the default one"}})
    assert "invalid_option" == caught.value.code


def test_options_that_are_not_a_mapping_are_refused() -> None:
    """options must map service names to mappings of options."""
    for bad in (["accounts"], {"accounts": ["hasher"]}):
        with pytest.raises(ValidationError) as caught:
            Program.in_memory(options=bad)  # type: ignore[arg-type]
        assert "invalid_option" == caught.value.code


def test_settings_given_as_a_mapping_become_the_typed_settings() -> None:
    """{"settings": {...}} builds the service's settings object, checking each field."""
    with Program.in_memory(options={"accounts": {"settings": {"reset_limit": 5}}}) as program:
        assert 5 == program.accounts.settings.reset_limit
    with pytest.raises(ValidationError) as caught:
        Program.in_memory(options={"accounts": {"settings": {"reset_limt": 5}}})
    assert "unknown_option" == caught.value.code
    with pytest.raises(ValidationError):
        Program.in_memory(options={"accounts": {"settings": {"reset_limit": "five"}}})


def test_services_are_built_once_when_threads_race_for_them() -> None:
    """Threads asking for a service at once all get the same object."""
    with Program.in_memory() as program:
        seen: list[object] = []
        barrier = threading.Barrier(8)

        def ask() -> None:
            barrier.wait()
            seen.append(program.consent)
            seen.append(program.entitlements)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert {id(program.consent), id(program.entitlements)} == {id(s) for s in seen}


def test_a_deprecated_option_warns_at_the_caller_and_still_works() -> None:
    """options={"accounts": {"terms": ...}} warns (pointing at this file) and is used."""
    from symprogram.accounts import TermsCatalogue

    terms = TermsCatalogue.default()
    with pytest.warns(DeprecationWarning, match="catalogue") as caught:
        program = Program.in_memory(options={"accounts": {"terms": terms}})
    assert any(w.filename == __file__ for w in caught)
    with program:
        assert terms is program.accounts.catalogue


def test_the_deprecated_policies_option_of_consent_warns_and_still_works() -> None:
    """options={"consent": {"policies": ...}} warns and is used, as ``terms`` and
    ``salt`` are ("Deprecated: old names keep working for a release")."""
    from symprogram.consent import PolicyCatalogue

    policies = PolicyCatalogue.default()
    with pytest.warns(DeprecationWarning, match="catalogue"):
        program = Program.in_memory(options={"consent": {"policies": policies}})
    with program:
        assert policies is program.consent.catalogue


@pytest.mark.parametrize(
    ("context", "name", "value"),
    [
        ("accounts", "terms", 5),
        ("awards", "salt", "not bytes"),
        ("consent", "policies", {"version": "1"}),
    ],
)
def test_a_deprecated_option_of_the_wrong_type_is_refused_when_the_program_is_built(
    context: str, name: str, value: object
) -> None:
    """A deprecated keyword is checked as its new home checks it, when the ``Program``
    is built, not at the first call of the service."""
    with pytest.warns(DeprecationWarning, match=name), pytest.raises(ValidationError) as info:
        Program.in_memory(options={context: {name: value}})
    assert "invalid_option" == info.value.code
    assert f"options.{context}.{name}" == info.value.field


@pytest.mark.parametrize("clock", [datetime(2011, 1, 15, tzinfo=UTC), date(2011, 1, 15), datetime])
def test_a_date_or_datetime_given_as_the_clock_is_refused(clock: object) -> None:
    """A ``datetime`` has a ``now()`` too, but returns the machine's naive wall time:
    refused as ``invalid_clock`` when the program is built."""
    with pytest.raises(ValidationError) as info:
        Program.in_memory(clock=clock)  # type: ignore[arg-type]
    assert "invalid_clock" == info.value.code


@pytest.mark.parametrize("name", ["outbox", "store", "clok", "catalogue", "settings"])
def test_a_keyword_the_program_does_not_take_is_refused(name: str) -> None:
    """``Program.open(url, outbox=...)`` is ValidationError unknown_option, not a TypeError."""
    for build in (
        lambda: Program.open("memory://", **{name: 1}),
        lambda: Program.in_memory(**{name: 1}),
    ):
        with pytest.raises(ValidationError) as caught:
            build()
        assert "unknown_option" == caught.value.code
        assert name == caught.value.field
        assert "notifier" in caught.value.message


def test_open_closes_the_store_it_opened_when_the_program_refuses_its_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused ``options`` leaves no store (a database connection) open behind it."""
    import symprogram.program as program_module
    from symprogram.storage.memory import MemoryStore

    opened: list[MemoryStore] = []
    closed: list[MemoryStore] = []

    class Recording(MemoryStore):
        def close(self) -> None:
            closed.append(self)
            super().close()

    def open_store(url: object) -> MemoryStore:
        opened.append(Recording())
        return opened[-1]

    monkeypatch.setattr(program_module, "open_store", open_store)
    with pytest.raises(ValidationError) as caught:
        Program.open("memory://", options={"nope": {}})
    assert "unknown_service" == caught.value.code
    assert opened == closed and len(opened) == 1


@pytest.mark.parametrize("notifier", [5, "outbox", print, Outbox])
def test_a_notifier_that_is_not_one_is_refused_when_the_program_is_built(
    notifier: object,
) -> None:
    """Not at the first message the program sends, as it was."""
    with pytest.raises(ValidationError) as caught:
        Program.in_memory(notifier=notifier)  # type: ignore[arg-type]
    assert ("invalid_notifier", "notifier") == (caught.value.code, caught.value.field)


def _options_wrong_together() -> list[tuple[str, dict[str, object], str]]:
    """Options each right on its own but refused together by the service's constructor."""
    from symprogram.accounts import TermsCatalogue
    from symprogram.consent import PolicyCatalogue
    from symprogram.entitlements import EntitlementCatalogue

    policies, terms = PolicyCatalogue.default(), TermsCatalogue.default()
    return [
        (
            "entitlements",
            {"settings": {"reading": "login"}, "catalogue": EntitlementCatalogue.default()},
            "reading_mismatch",
        ),
        (
            "consent",
            {"catalogue": policies, "settings": {"policy": "opt_in"}},
            "conflicting_arguments",
        ),
        (
            "consent",
            {"policies": policies, "settings": {"policy": "opt_in"}},
            "conflicting_arguments",
        ),
        ("consent", {"catalogue": policies, "policies": policies}, "conflicting_arguments"),
        ("accounts", {"catalogue": terms, "terms": terms}, "conflicting_arguments"),
        ("awards", {"salt": b"s" * 16, "settings": {"salt": b"t" * 16}}, "conflicting_arguments"),
        ("awards", {"salt": b"short"}, "invalid_salt"),
    ]


@pytest.mark.parametrize("build", ["open", "in_memory"])
@pytest.mark.parametrize(("context", "options", "code"), _options_wrong_together())
def test_options_wrong_together_are_refused_when_the_program_is_built(
    build: str, context: str, options: dict[str, object], code: str
) -> None:
    """A mismatch among a service's options (a settings reading other than the
    catalogue's, a deprecated keyword with its new name) is refused by
    ``Program.open``/``Program.in_memory`` themselves, with the code the service's
    constructor gives, not at the first ``program.<service>``."""
    make = Program.open if build == "open" else Program.in_memory
    arguments = ("memory://",) if build == "open" else ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValidationError) as caught:
            make(*arguments, options={context: options})  # type: ignore[operator]
    assert code == caught.value.code
