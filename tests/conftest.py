"""Test-wide settings and fixtures: Hypothesis profiles and programs on every backend.

``dev`` (default, the README's plain ``pytest``) keeps runs quick: at most
:data:`QUICK_EXAMPLES` examples and :data:`QUICK_STEPS` stateful steps per test (a
test's own ``@settings`` asking for more is capped), and the ``slow`` tests left out
unless ``-m`` is given. ``ci`` (selected by ``HYPOTHESIS_PROFILE=ci``, which ``.ci/run``
sets) runs every test with the examples it asks for (150 by default), derandomized so
CI is deterministic.

Fixtures (the only definitions of these names in the suite):

- ``backend``: the storage backend under test. A test that asks for it (directly or
  through ``program``) runs once per backend of :func:`_programs.backends`: memory,
  a SQLite file, the SQLAlchemy adapter on a SQLite file, and PostgreSQL / MariaDB
  only when ``SYMPROGRAM_TEST_POSTGRES_URL`` / ``SYMPROGRAM_TEST_MARIADB_URL`` are
  set. ``@pytest.mark.backends("memory", "sqlite")`` on a test or a module narrows
  that list (names of servers that are not set are left out). The ``dev`` profile
  leaves :data:`QUICK_LEAVES_OUT` (SQLAlchemy on a SQLite file) out of a list that
  holds memory or SQLite; ``ci`` runs them all.
- ``clock``: a :class:`FixedClock` at :data:`_programs.START` (a module may override
  it to start elsewhere); the ``program`` fixture runs on it.
- ``program``: a fresh program on ``backend`` with ``clock``, closed afterwards.
- ``make_program``: a factory, ``make_program("sqlite", start=..., options=...)``,
  whose programs are closed (and server tables dropped) at teardown.
- ``store``: a fresh store for a context's unit tests, on memory and on a SQLite
  file (:data:`_programs.STORES`), closed afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from _programs import SERVER_ENV, START, STORES, ProgramFactory, backends, open_store
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.persistence import Store

QUICK_EXAMPLES = 8
"""The ``dev`` profile's examples per test (a test's own ``@settings`` is capped too)."""
QUICK_STEPS = 10
"""The ``dev`` profile's steps per stateful test run."""
QUICK_LEAVES_OUT = "sqlalchemy"
"""The backend the ``dev`` profile leaves out of a test's list when memory or SQLite is in it.

SQLAlchemy on a SQLite file runs the same code as the SQL servers; in the quick run its
adapter is checked by its own suites in ``tests/storage`` (and by the tests that name
only SQLAlchemy backends), and ``ci`` runs every ``backend`` test on it too.
"""

settings.register_profile(
    "dev",
    max_examples=QUICK_EXAMPLES,
    stateful_step_count=QUICK_STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)


def _quick(current: settings) -> settings:
    """``current`` capped at the ``dev`` profile's examples and steps."""
    return settings(
        current,
        max_examples=min(current.max_examples, QUICK_EXAMPLES),
        stateful_step_count=min(current.stateful_step_count, QUICK_STEPS),
    )


def _cap_examples(item: pytest.Item) -> None:
    test = getattr(item, "obj", None)
    test = getattr(test, "__func__", test)  # a test method: its function holds the settings
    chosen = getattr(test, "_hypothesis_internal_use_settings", None)
    if isinstance(chosen, settings):  # a @given test (its own @settings or the profile)
        test._hypothesis_internal_use_settings = _quick(chosen)  # type: ignore[union-attr]
        return
    machine = getattr(item, "cls", None)
    chosen = getattr(machine, "settings", None)
    if isinstance(chosen, settings):  # a stateful test's TestCase
        machine.settings = _quick(chosen)  # type: ignore[union-attr]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``dev`` profile: cap every test's examples; leave out ``slow`` tests unless ``-m``."""
    if PROFILE != "dev":
        return
    for item in items:
        _cap_examples(item)
    if config.getoption("markexpr", default=""):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``backends`` marker."""
    config.addinivalue_line(
        "markers",
        "backends(*names): run the test's program only on these backends "
        "(servers only when their URL is set)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    """Say which backends the ``program`` fixture runs on, and how to add the servers."""
    unset = [
        f"{variable} for {name}" for name, variable in SERVER_ENV.items() if name not in backends()
    ]
    hint = f" (set {' and '.join(unset)} to add them)" if unset else ""
    quick = (
        f"; the dev profile leaves {QUICK_LEAVES_OUT} out where memory or sqlite runs"
        if PROFILE == "dev"
        else ""
    )
    return f"symprogram backends: {', '.join(backends())}{hint}{quick}"


def _parametrized_by_the_test(metafunc: pytest.Metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if name in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses ``backend`` (or ``program``) on each backend."""
    if "backend" not in metafunc.fixturenames or _parametrized_by_the_test(metafunc, "backend"):
        return
    available = backends()
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None:
        unknown = set(marker.args) - {*available, *SERVER_ENV}
        if unknown:
            raise pytest.UsageError(f"unknown backends in the marker: {sorted(unknown)}")
        available = tuple(name for name in marker.args if name in available)
    if PROFILE == "dev" and {"memory", "sqlite"} & set(available):
        available = tuple(name for name in available if name != QUICK_LEAVES_OUT)
    metafunc.parametrize("backend", available, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend under test (see :func:`pytest_generate_tests`)."""
    return str(request.param)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at ``START`` (2012-03-01 09:30 UTC)."""
    return FixedClock(START)


@pytest.fixture
def make_program(tmp_path: Path) -> Iterator[ProgramFactory]:
    """A factory of programs (backend name -> Program) closed at teardown."""
    factory = ProgramFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def program(backend: str, clock: FixedClock, make_program: ProgramFactory) -> Program:
    """A fresh program on ``backend`` with ``clock`` and fast hashing, closed afterwards."""
    return make_program(backend, clock=clock)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each embedded adapter, closed afterwards."""
    made = open_store(str(request.param), tmp_path)
    try:
        yield made
    finally:
        made.close()
