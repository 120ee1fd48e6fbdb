"""Storage backends are found by URL scheme through the ``symprogram.storage`` entry
points: the built-in ones, a third-party one installed as a distribution, and the
how-to page ``docs/howto-storage-backend.md`` followed step by step."""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from symprogram import Program
from symprogram.errors import ValidationError
from symprogram.persistence import Store
from symprogram.storage import ENTRY_POINT_GROUP, backends, open_store
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlalchemy import SQLAlchemyStore
from symprogram.storage.sqlite import SQLiteStore

DOC = Path(__file__).resolve().parents[2] / "docs" / "howto-storage-backend.md"

THIRD_PARTY = """
from symprogram.storage.memory import MemoryStore


class ThirdPartyStore(MemoryStore):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url


def open_url(url: str) -> ThirdPartyStore:
    return ThirdPartyStore(url)


def not_a_store(url: str) -> object:
    return object()
"""


def install(directory: Path, name: str, module: str, source: str, points: dict[str, str]) -> None:
    """Write ``module`` and a distribution ``name`` whose entry points are ``points``."""
    (directory / f"{module}.py").write_text(source, encoding="utf-8")
    info = directory / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    lines = "".join(f"{scheme} = {target}\n" for scheme, target in points.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """A directory on sys.path for third-party distributions, removed afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp_path))
        before = set(sys.modules)
        yield tmp_path
    for name in set(sys.modules) - before:
        if name in ("third_party_store", "my_backend", "needs_sqlalchemy"):
            del sys.modules[name]
    backends()  # read the entry points again, without the test's distributions


def test_the_built_in_adapters_are_registered_by_scheme() -> None:
    """memory, sqlite and the SQLAlchemy schemes are entry points of the group."""
    found = backends()
    assert "symprogram.storage.memory:open_url" == found["memory"]
    assert "symprogram.storage.sqlite:open_url" == found["sqlite"]
    for scheme in ("postgresql", "postgresql+psycopg", "mysql+pymysql", "mariadb", "cockroachdb"):
        assert "symprogram.storage.sqlalchemy:open_url" == found[scheme]


def test_open_store_uses_the_entry_points_of_the_built_in_schemes(tmp_path: Path) -> None:
    """Each built-in scheme opens its adapter; a driver variant falls back to its scheme."""
    assert isinstance(open_store("memory://"), MemoryStore)
    sqlite = open_store(f"sqlite:///{tmp_path}/a.db")
    assert isinstance(sqlite, SQLiteStore)
    sqlite.close()
    store = open_store("sqlite+pysqlite://")
    assert isinstance(store, SQLAlchemyStore)
    store.close()
    with pytest.raises(ValidationError) as info:  # sqlite's entry point, a driver not installed
        open_store("sqlite+nosuchdriver://")
    assert "sql_driver_missing" == info.value.code


def test_an_unknown_scheme_names_the_known_ones() -> None:
    """A scheme no distribution registers is ValidationError unknown_storage_scheme."""
    with pytest.raises(ValidationError) as info:
        open_store("nosuchscheme://x/y")
    assert "unknown_storage_scheme" == info.value.code
    assert "sqlite" in info.value.message
    assert "memory" in info.value.details["known"]


def test_a_known_sqlalchemy_scheme_without_its_driver_is_sql_driver_missing() -> None:
    """postgresql+<driver not installed> still reaches the SQLAlchemy adapter."""
    with pytest.raises(ValidationError) as info:
        open_store("postgresql+nosuchdriver://x/y")
    assert "sql_driver_missing" == info.value.code


def test_a_third_party_adapter_works_with_program_open(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A distribution registering a scheme is used by Program.open and SYMPROGRAM_STORAGE."""
    install(
        site,
        "third-party-store",
        "third_party_store",
        THIRD_PARTY,
        {"thirdparty": "third_party_store:open_url"},
    )
    with Program.open("thirdparty://somewhere/db") as program:
        assert "ThirdPartyStore" == type(program.store).__name__
        assert "thirdparty://somewhere/db" == program.store.url  # type: ignore[attr-defined]
        with program.store.transaction() as tx:
            assert 1 == tx.save("note", "n1", "{}", 0)
    with Program.open("thirdparty+driver://elsewhere") as program:
        assert "thirdparty+driver://elsewhere" == program.store.url  # type: ignore[attr-defined]
    monkeypatch.setenv("SYMPROGRAM_STORAGE", "thirdparty://from-the-environment")
    with Program.open() as program:
        assert "thirdparty://from-the-environment" == program.store.url  # type: ignore[attr-defined]


def test_a_backend_that_returns_no_store_or_cannot_be_imported_is_refused(site: Path) -> None:
    """A factory returning something else, or a module that is missing, raises with a code."""
    install(
        site,
        "broken-store",
        "third_party_store",
        THIRD_PARTY,
        {"notastore": "third_party_store:not_a_store", "missing": "no_such_module:open_url"},
    )
    with pytest.raises(Exception) as info:
        open_store("notastore://x")
    assert "invalid_storage_backend" == getattr(info.value, "code", None)
    with pytest.raises(ValidationError) as missing:
        open_store("missing://x")
    assert "storage_backend_unavailable" == missing.value.code


def test_a_backend_needing_sqlalchemy_without_it_is_sql_extra_missing(site: Path) -> None:
    """A backend whose import misses SQLAlchemy names the ``sql`` extra to install."""
    source = 'raise ImportError("No module named \'sqlalchemy\'", name="sqlalchemy")\n'
    install(site, "needs-sql", "needs_sqlalchemy", source, {"needsql": "needs_sqlalchemy:open_url"})
    with pytest.raises(ValidationError) as info:
        open_store("needsql://x")
    assert "sql_extra_missing" == info.value.code


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of ``language`` in a Markdown text, in order."""
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_how_to_page_works_as_written(site: Path) -> None:
    """docs/howto-storage-backend.md: the factory, its entry point and Program.open."""
    text = DOC.read_text(encoding="utf-8")
    module, usage = code_blocks(text, "python")
    (toml,) = code_blocks(text, "toml")
    assert module.startswith("# my_backend.py\n")
    points = tomllib.loads(toml)["project"]["entry-points"][ENTRY_POINT_GROUP]
    install(site, "my-backend", "my_backend", module, points)
    exec(compile(usage, str(DOC), "exec"), {})  # the page's own code
    with pytest.raises(ValidationError) as info:
        open_store("mystore://not a name")
    assert "invalid_storage_url" == info.value.code
    assert isinstance(open_store("mystore://x"), Store)
