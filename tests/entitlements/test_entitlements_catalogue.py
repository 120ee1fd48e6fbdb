# ruff: noqa: E501
"""The entitlements catalogue: the default data, validation errors, file loading, order."""

from __future__ import annotations

import copy
import random
import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from entitlements_helpers import to_toml

from _hostile import HUGE, deep
from symprogram.clock import FixedClock
from symprogram.entitlements import EntitlementCatalogue, EntitlementsService, Reader
from symprogram.errors import CatalogueError
from symprogram.storage.memory import MemoryStore


def default_data() -> dict[str, Any]:
    """The default catalogue's TOML sections, merged."""
    merged: dict[str, Any] = {}
    root = resources.files("symprogram").joinpath("data", "entitlements")
    for item in root.iterdir():
        if item.name.endswith(".toml"):
            merged.update(tomllib.loads(item.read_text(encoding="utf-8")))
    return merged


def test_default_catalogue_from_the_seed() -> None:
    """The default catalogue ranks the seed's three levels and lists its seven documents."""
    catalogue = EntitlementCatalogue.default()
    assert ["basic_maintenance", "essential_support", "business_critical_services"] == [
        level.id for level in catalogue.service_levels
    ]
    assert 7 == len(catalogue.documents)
    assert ("en", "he", "id", "th", "tr") == catalogue.document(
        "technical_support_policy"
    ).languages  # type: ignore[union-attr]
    assert 9 == len(catalogue.local_sites)
    assert all(line.languages[0] == "en" for line in catalogue.telephone_lines)
    with pytest.deprecated_call():  # load(None) is deprecated: default() gives it
        assert catalogue is EntitlementCatalogue.load(None)


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (lambda d: d["service_level"][1].update(rank=1), "service_level[1] 'essential_support'.rank", "duplicate rank"),
        (lambda d: d["document"][0].update(min_level="gold"), "document[0] 'essential_support_basic_maintenance_handbook'.min_level", "unknown service level 'gold'"),
        (lambda d: d["document"][5].update(languages=["he"]), "document[5] 'technical_support_policy'.languages", "must exist in the fallback language 'en'"),
        (lambda d: d["document"][5].update(languages=["en", "not a tag"]), "document[5] 'technical_support_policy'.languages", "'not a tag' is not a valid language tag"),
        (lambda d: d["document"][0].update(access=[{"access": "secret"}]), "document[0] 'essential_support_basic_maintenance_handbook'.access[0]", "'secret' is not one of public, login, entitlement"),
        (lambda d: d["document"][0].update(access=[{"access": "public", "from": "2011-01-15"}]), "document[0] 'essential_support_basic_maintenance_handbook'.access", "exactly one access rule must have no 'from'"),
        (lambda d: d["document"][0].update(colour="red"), "document[0] 'essential_support_basic_maintenance_handbook'.colour", "unknown key 'colour'"),
        (lambda d: d["local_site"][0].update(url="ftp://x"), "local_site[0] 'zh-Hans'.url", "must be an http(s) URL"),
        (lambda d: d["local_site"][0].update(url="https://x\r\nSet-Cookie: a=b"), "local_site[0] 'zh-Hans'.url", "must be an http(s) URL"),
        (lambda d: d["local_site"][0].update(url="https://"), "local_site[0] 'zh-Hans'.url", "must be an http(s) URL"),
        (lambda d: d["document"][0].update(location="https://my.symantec.com /x"), "document[0] 'essential_support_basic_maintenance_handbook'.location", "must be an http(s) URL"),
        (lambda d: d["telephone_support"]["line"][0].update(time_zone="../../etc/passwd"), "telephone_support.line[0] 'United States and Canada'.time_zone", "'../../etc/passwd' is not an IANA time zone"),
        (lambda d: d["telephone_support"]["line"][0].update(time_zone="America/New York"), "telephone_support.line[0] 'United States and Canada'.time_zone", "'America/New York' is not an IANA time zone"),
        (lambda d: d["telephone_support"]["line"][0].update(languages=["de", "en"]), "telephone_support.line[0] 'United States and Canada'.languages", "the primary language 'en' must come first"),
        (lambda d: d["escalation"]["level"][1].update(rank=7), "escalation.level", "ranks must be 1, 2, 3, ... without gaps"),
        (lambda d: d["remote_access"].update(terms_document="nope"), "remote_access.terms_document", "unknown document 'nope'"),
        (lambda d: d.update(extra={}), "extra", "unknown section"),
    ],
)  # fmt: skip
def test_invalid_entries_are_named(mutate: Any, field: str, problem: str) -> None:
    """Each invalid entry raises CatalogueError (catalogue_invalid) naming the entry and problem."""
    data = default_data()
    data["telephone_support"]["line"].sort(
        key=lambda line: line["area"] != "United States and Canada"
    )
    mutate(data)
    with pytest.raises(CatalogueError) as caught:
        EntitlementCatalogue.from_toml(to_toml(data))
    assert ("catalogue_invalid", field, problem) == (
        caught.value.code,
        caught.value.field,
        caught.value.details["problem"],
    )


def test_load_from_files(tmp_path: Path) -> None:
    """A host's own directory or single file replaces the default; broken files are reported."""
    root = resources.files("symprogram").joinpath("data", "entitlements")
    one = tmp_path / "all.toml"
    one.write_text(
        "\n".join(
            item.read_text(encoding="utf-8")
            for item in sorted(root.iterdir(), key=lambda i: i.name)
        ),
        encoding="utf-8",
    )
    loaded = EntitlementCatalogue.load(one)
    assert EntitlementCatalogue.default().documents == loaded.documents
    directory = tmp_path / "dir"
    directory.mkdir()
    (directory / "a.toml").write_text(
        '[remote_access]\nterms_document = "x"\nterms_version = "1"\n'
    )
    (directory / "b.toml").write_text(
        '[remote_access]\nterms_document = "y"\nterms_version = "2"\n'
    )
    with pytest.raises(CatalogueError) as twice:
        EntitlementCatalogue.load(directory)
    assert "defined twice" == twice.value.details["problem"]
    broken = tmp_path / "broken.toml"
    broken.write_text("[[service_level]\n")
    with pytest.raises(CatalogueError) as bad:
        EntitlementCatalogue.load(broken)
    assert ("invalid_toml", str(broken)) == (bad.value.code, bad.value.details["file"])
    with pytest.raises(CatalogueError) as missing:
        EntitlementCatalogue.load(tmp_path / "missing.toml")
    assert "not found" == missing.value.details["problem"]


@pytest.mark.parametrize("seed", range(5))
def test_catalogue_order_does_not_matter(seed: int) -> None:
    """Shuffling every list of the catalogue gives the same catalogue and the same decisions."""
    rnd = random.Random(seed)
    data = copy.deepcopy(default_data())
    for key in ("service_level", "document", "local_site"):
        rnd.shuffle(data[key])
    for document in data["document"]:
        rnd.shuffle(document["languages"])
        rnd.shuffle(document["access"])
    rnd.shuffle(data["telephone_support"]["line"])
    rnd.shuffle(data["escalation"]["level"])
    shuffled = EntitlementCatalogue.from_toml(to_toml(data))
    default = EntitlementCatalogue.default()
    assert default.documents == shuffled.documents
    assert default.service_levels == shuffled.service_levels
    clock = FixedClock(datetime(2012, 1, 1, tzinfo=UTC))
    one = EntitlementsService(MemoryStore(), clock)
    two = EntitlementsService(MemoryStore(), clock, catalogue=shuffled)
    for service in (one, two):
        service.add_agreement(
            "C-1",
            agreement_id="A-1",
            level="essential_support",
            products=["NetBackup"],
            starts_on=datetime(2011, 1, 1).date(),
            ends_on=datetime(2013, 1, 1).date(),
            by="sales",
        )
    reader = Reader("C-1", logged_in=True)
    for document in default.documents:
        for languages in ("he,ja;q=0.5", "zh,pt", "xx", "pt-PT;q=0.9,de;q=0.9"):
            assert one.decide(reader, document.id, languages) == two.decide(
                reader, document.id, languages
            )


def _default_text() -> str:
    root = resources.files("symprogram").joinpath("data", "entitlements")
    return "\n".join(
        item.read_text(encoding="utf-8") for item in sorted(root.iterdir(), key=lambda i: i.name)
    )


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000 + "]" * 5000,
        "x = " + "{a = " * 2000 + "1" + "}" * 2000,
        "x = " + "9" * 5000,
    ],
    ids=["deep_arrays", "deep_tables", "huge_integer"],
)
def test_toml_python_cannot_read_is_a_catalogue_error(text: str) -> None:
    """TOML nested past the recursion limit, or an integer too long for Python, is
    refused as not TOML (invalid_toml), never RecursionError or ValueError."""
    with pytest.raises(CatalogueError) as caught:
        EntitlementCatalogue.from_toml(text)
    assert ("invalid_toml", "file") == (caught.value.code, caught.value.details["entry"])


def test_a_path_the_system_refuses_is_a_catalogue_error(tmp_path: Path) -> None:
    """A path whose name is too long for the file system is refused like a missing one
    (catalogue_not_found, field path), never OSError."""
    for path in (tmp_path / ("a" * 5000), tmp_path / "/".join(["b" * 300] * 3)):
        with pytest.raises(CatalogueError) as caught:
            EntitlementCatalogue.load(path)
        assert ("catalogue_not_found", "path") == (caught.value.code, caught.value.field)


@pytest.mark.parametrize(
    "start",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", '"0001-01-01T00:30:00+01:00"'],
)
def test_an_instant_outside_the_utc_years_names_the_entry(start: str) -> None:
    """A `from` that falls outside the years 1 to 9999 in UTC is an invalid entry:
    CatalogueError naming the access rule, like any other bad `from`."""
    text = _default_text().replace(
        '{ access = "entitlement", from = 2011-01-15',
        f'{{ access = "entitlement", from = {start}',
        1,
    )
    with pytest.raises(CatalogueError) as caught:
        EntitlementCatalogue.from_toml(text)
    field = "document[0] 'essential_support_basic_maintenance_handbook'.access[1]"
    assert ("catalogue_invalid", field) == (caught.value.code, caught.value.field)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["escalation"]["level"][0].update(rank=HUGE), "escalation.level"),
        (lambda d: d["document"][0]["access"][0].update(access=deep()), "document[0] 'essential_support_basic_maintenance_handbook'.access[0]"),
        (lambda d: d["document"][0]["access"][0].update(access=HUGE), "document[0] 'essential_support_basic_maintenance_handbook'.access[0]"),
        (lambda d: d["document"][0].update({5: 1, "colour": 2}), "document[0] 'essential_support_basic_maintenance_handbook'.colour"),
    ],
)  # fmt: skip
def test_hostile_values_in_a_mapping_are_named_safely(mutate: Any, field: str) -> None:
    """The deprecated from_mapping names a huge int, a deeply nested list or keys of
    mixed types in its CatalogueError, never raising ValueError, RecursionError or
    TypeError while doing so."""
    data = default_data()
    mutate(data)
    with (
        pytest.raises(CatalogueError) as caught,
        pytest.warns(DeprecationWarning, match="from_mapping"),
    ):
        EntitlementCatalogue.from_mapping(data)
    assert ("catalogue_invalid", field) == (caught.value.code, caught.value.field)
