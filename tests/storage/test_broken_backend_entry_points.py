"""A ``symprogram.storage`` entry point that cannot be loaded, or whose factory fails
with an error of its own, raises a SymprogramError naming the entry point (never a
bare AttributeError or the factory's exception); entry-point names are matched
without regard to case, like the URL schemes they serve (RFC 3986)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType

import pytest

from symprogram import Program
from symprogram.errors import StorageError, ValidationError
from symprogram.storage import ENTRY_POINT_GROUP, backends, open_store
from symprogram.storage.memory import MemoryStore

FAKE_MODULE = "symprogram_fake_backends"

Install = Callable[[dict[str, str]], None]


def _factory_raising(url: str) -> object:
    raise RuntimeError(f"cannot open {url}")


def _factory_refusing(url: str) -> object:
    raise ValidationError("bad url for this backend", field="url", code="invalid_storage_url")


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    """Add fake entry points to the group (the real ones stay); read again afterwards."""
    module = ModuleType(FAKE_MODULE)
    module.open_url = lambda url: MemoryStore()  # type: ignore[attr-defined]
    module.raising = _factory_raising  # type: ignore[attr-defined]
    module.refusing = _factory_refusing  # type: ignore[attr-defined]
    (tmp_path / "symprogram_fails_on_import.py").write_text(
        'raise RuntimeError("this backend is broken")\n', encoding="utf-8"
    )
    added: list[EntryPoint] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        return [*entry_points(group=group), *added]

    def add(points: dict[str, str]) -> None:
        added.extend(EntryPoint(name, value, ENTRY_POINT_GROUP) for name, value in points.items())

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, FAKE_MODULE, module)
        patch.syspath_prepend(str(tmp_path))
        patch.setattr("symprogram.storage.entry_points", fake_entry_points)
        backends()  # forget the entry points read before
        yield add
    sys.modules.pop("symprogram_fails_on_import", None)
    backends()  # read the real entry points again


@pytest.mark.parametrize(
    "target",
    [
        f"{FAKE_MODULE}:no_such_attr",  # the module exists, its object does not
        "symprogram.storage.memory:no_such_attr",
        "symprogram_fails_on_import:open_url",  # importing the module raises
        "symprogram_no_such_module:open_url",  # the module is missing
    ],
)
def test_an_entry_point_that_cannot_be_loaded_is_storage_backend_unavailable(
    install: Install, target: str
) -> None:
    """Any failure of ep.load() is ValidationError storage_backend_unavailable."""
    install({"badattr": target})
    with pytest.raises(ValidationError) as info:
        Program.open("badattr://x")
    assert "storage_backend_unavailable" == info.value.code
    assert "url" == info.value.field
    assert {"entry_point": "badattr", "target": target} == info.value.details
    assert "badattr" in info.value.message
    assert target in info.value.message
    assert isinstance(info.value.__cause__, Exception)


def test_a_factory_raising_its_own_error_is_wrapped_with_the_original_chained(
    install: Install,
) -> None:
    """A factory's non-symprogram exception becomes StorageError storage_backend_failed."""
    install({"raises": f"{FAKE_MODULE}:raising"})
    with pytest.raises(StorageError) as info:
        open_store("raises://somewhere")
    assert "storage_backend_failed" == info.value.code
    assert False is info.value.details["retryable"]
    assert "raises" == info.value.details["entry_point"]
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "cannot open raises://somewhere" in info.value.message


def test_a_factory_raising_a_symprogram_error_passes_it_through(install: Install) -> None:
    """A backend's own SymprogramError keeps its code (the how-to page's advice)."""
    install({"refuses": f"{FAKE_MODULE}:refusing"})
    with pytest.raises(ValidationError) as info:
        open_store("refuses://x")
    assert "invalid_storage_url" == info.value.code


def test_an_entry_point_named_in_capitals_opens_in_any_case(install: Install) -> None:
    """Entry-point names match URL schemes without regard to case, and list in lower case."""
    install({"MixedCase": f"{FAKE_MODULE}:open_url"})
    assert f"{FAKE_MODULE}:open_url" == backends()["mixedcase"]
    assert "MixedCase" not in backends()
    for url in ("MixedCase://x", "mixedcase://x", "MIXEDCASE+driver://x"):
        assert isinstance(open_store(url), MemoryStore), url
    with pytest.raises(ValidationError) as info:
        open_store("nosuchscheme://x")
    assert "mixedcase" in info.value.details["known"]
