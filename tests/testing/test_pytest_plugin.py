"""The test kit's pytest plugin: ``program``, ``clock``, ``outbox``, the storage option and marker.

Each test writes a small test file for an application and runs it with pytester
(inline, in this process): the plugin is loaded through its ``pytest11`` entry point,
exactly as in an application's own test run.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

_STORE_KIND = """
def store_kind(program):
    return type(program.store).__name__
"""


def test_the_plugin_and_the_lazy_hook_are_entry_points() -> None:
    """pytest finds the plugin, Hypothesis the lazy hook, without any configuration."""
    plugins = {ep.value for ep in entry_points(group="pytest11")}
    assert "_symprogram_pytestplugin" in plugins
    hooks = {ep.value for ep in entry_points(group="hypothesis")}
    assert "_symprogram_hypothesis:setup_hook" in hooks


def test_the_entry_point_imports_nothing_of_symprogram() -> None:
    """pytest imports it before ``--cov`` starts: symprogram loads later, measured."""
    code = (
        "import sys, _symprogram_pytestplugin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'symprogram'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_program_is_in_memory_on_a_clock_the_test_moves(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from datetime import UTC, datetime, timedelta

        from symprogram.clock import FixedClock
        from symprogram.testing.pytest_plugin import START

        def test_default(program, clock):
            assert type(program.store).__name__ == "MemoryStore"
            assert isinstance(clock, FixedClock)
            assert program.clock is clock
            assert program.now() == START == datetime(2024, 1, 1, 9, tzinfo=UTC)
            clock.advance(timedelta(days=3))
            assert program.now() == START + timedelta(days=3)
            clock.set(datetime(2030, 5, 1, tzinfo=UTC))
            assert program.now() == datetime(2030, 5, 1, tzinfo=UTC)

        def test_every_test_starts_again(clock):
            assert clock.now() == START
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_outbox_holds_what_the_program_sent(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from symprogram.notify import Outbox

        def test_activation(program, outbox):
            assert isinstance(outbox, Outbox) and outbox is program.notifier
            assert outbox.messages == ()
            receipt = program.accounts.accept_terms(path="create_account")
            program.accounts.register(
                terms_receipt=receipt.token,
                email="ada@example.com",
                password="correct horse battery staple",
                given_name="Ada",
                family_name="Lovelace",
                company_name="Analytical Engines",
                partner_company="Babbage & Co",
                preferred_language="en-GB",
            )
            message = outbox.last("activation", to="ada@example.com")
            assert message.data["token"]
            assert [m.kind for m in outbox.to("ada@example.com")] == ["activation"]
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_option_runs_the_same_test_on_sqlite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_storage(program, symprogram_storage, tmp_path):
            assert symprogram_storage == "sqlite"
            assert type(program.store).__name__ == "SQLiteStore"
            assert (tmp_path / "symprogram.db").exists()
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--symprogram-storage=sqlite")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["symprogram storage: sqlite"])


def test_the_option_takes_any_storage_url(pytester: pytest.Pytester, tmp_path: Path) -> None:
    database = tmp_path / "chosen.db"
    pytester.makepyfile(
        f"""
        def test_storage(program):
            assert type(program.store).__name__ == "SQLiteStore"
            assert {str(database)!r} in str(program.store.path)
        """
    )
    url = f"sqlite:///{database}"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--symprogram-storage={url}")
    result.assert_outcomes(passed=1)
    assert database.exists()


_REGISTERS_ADA = """
import pytest

@pytest.mark.parametrize("run", range(2))
def test_a_fresh_program(program, outbox, run):
    receipt = program.accounts.accept_terms(path="create_account")
    program.accounts.register(
        terms_receipt=receipt.token, email="ada@example.com",
        password="correct horse battery staple", given_name="Ada", family_name="Lovelace",
        company_name="X", partner_company="Y", preferred_language="en",
    )
    assert ["activation"] == [m.kind for m in outbox.messages]
"""


def _needs_sqlalchemy() -> None:
    # Not imported here: pytester unloads at teardown what a test imported.
    if importlib.util.find_spec("sqlalchemy") is None:
        pytest.skip("the sql extra is not installed")


def _tables(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("select name from sqlite_master where type = 'table'").fetchall()
    return sorted(name for (name,) in rows)


def test_each_test_has_tables_of_its_own_on_a_sqlalchemy_url(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """On a database URL (a server's, here SQLAlchemy's SQLite) each test's program is
    fresh: nothing another test wrote is there, and its tables are dropped after it."""
    _needs_sqlalchemy()
    database = tmp_path / "kept-for-tests.db"
    pytester.makepyfile(_REGISTERS_ADA)
    url = f"sqlite+pysqlite:///{database}"
    # In a child process: pytester unloads what the run imported (SQLAlchemy) at teardown.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--symprogram-storage={url}")
    result.assert_outcomes(passed=2)
    assert [] == _tables(database)


def test_a_url_naming_its_table_prefix_is_used_as_it_is(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """``?symprogram_table_prefix=...`` names tables the tests share and keep."""
    _needs_sqlalchemy()
    database = tmp_path / "shared.db"
    pytester.makepyfile(_STORE_KIND + "\ndef test_storage(program):\n    store_kind(program)\n")
    url = f"sqlite+pysqlite:///{database}?symprogram_table_prefix=mine_"
    # In a child process: pytester unloads what the run imported (SQLAlchemy) at teardown.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--symprogram-storage={url}")
    result.assert_outcomes(passed=1)
    assert _tables(database) and all(name.startswith("mine_") for name in _tables(database))


def test_the_marker_wins_over_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.symprogram_storage("sqlite")
        def test_on_sqlite(program):
            assert type(program.store).__name__ == "SQLiteStore"

        @pytest.mark.symprogram_storage("memory")
        def test_in_memory(program):
            assert type(program.store).__name__ == "MemoryStore"

        def test_default(program):
            assert type(program.store).__name__ == "MemoryStore"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--strict-markers").assert_outcomes(
        passed=3
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--symprogram-storage=sqlite", "-k", "in_memory"
    )
    result.assert_outcomes(passed=1)


def test_the_ini_setting_names_the_default_storage(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsymprogram_storage = sqlite\n")
    pytester.makepyfile(
        """
        def test_storage(program):
            assert type(program.store).__name__ == "SQLiteStore"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_marker_without_one_storage_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.symprogram_storage()
        def test_storage(program):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*symprogram_storage takes one storage*"])


def test_the_options_fixture_is_the_applications_to_override(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def symprogram_options():
            return {}
        """
    )
    pytester.makepyfile(
        """
        def test_default_hasher(program):
            assert type(program.accounts).__name__ == "AccountsService"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
