"""Issue 16 through the public API, on memory and a SQLite file.

Languages: every RFC 9110 language range of an Accept-Language header is read,
one that is no BCP 47 tag by its longest prefix that is; huge headers are cut
before parsing. Round trips: a host stores the default catalogues' objects (award
definitions with their requirement trees, documents, policies, terms) as JSON
records in its store and reads them back as they were.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from integration_helpers import POLICY, READER

from symprogram import Program, serialization
from symprogram.accounts import TermsCatalogue
from symprogram.awards import AwardCatalogue
from symprogram.consent import PolicyCatalogue
from symprogram.entitlements import EntitlementCatalogue
from symprogram.persistence import Store

pytestmark = pytest.mark.backends("memory", "sqlite")


def _language(program: Program, languages: str) -> tuple[Any, ...]:
    decision = program.entitlements.decide(READER, POLICY, languages=languages)
    return (
        decision.detail("language_outcome"),
        decision.detail("language"),
        decision.detail("direction"),
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-au-xx", ("served", "en", "ltr")),
        ("he-il-x1,en;q=0.5", ("served", "he", "rtl")),
        ("iw-IL-q1", ("served", "he", "rtl")),
        ("tr-tr-a,en;q=0.1", ("served", "tr", "ltr")),
        ("ja-jp-x, en;q=0.5", ("local_site", "ja", "ltr")),
        ("x-klingon, id;q=0.5", ("served", "id", "ltr")),
        ("abcd", ("fallback", "en", "ltr")),
    ],
)
def test_rfc9110_ranges_in_a_header_choose_the_language(
    program: Program, header: str, expected: tuple[str, str, str]
) -> None:
    """A range that is no BCP 47 tag is matched by its prefix; a range with no language
    prefix is skipped for the next one."""
    assert expected == _language(program, header)


def test_long_and_hostile_headers_are_read_within_bounds(program: Program) -> None:
    """A header of 1,000 ranges reads its first items; a megabyte header is cut first."""
    ranges = ",".join(["he-il-zz"] + [f"en-x{i};q=0.5" for i in range(999)])
    assert ("served", "he", "rtl") == _language(program, ranges)
    assert ("fallback", "en", "ltr") == _language(program, "th-" + "a" * 1_000_000)
    assert ("served", "th", "ltr") == _language(program, "th," + "x-" * 500_000)


def _shipped_objects() -> list[Any]:
    """The default catalogues' objects: each award and exam, document and service level,
    policy and Terms of Use version (and the attrs catalogues themselves)."""
    awards = AwardCatalogue.default()
    entitlements = EntitlementCatalogue.default()
    objects: list[Any] = [awards, entitlements]
    objects += [*awards.awards.values(), *awards.exams.values()]
    for field in attrs.fields(EntitlementCatalogue):
        value = getattr(entitlements, field.name)
        if isinstance(value, tuple):
            objects += [item for item in value if attrs.has(type(item))]
    objects += list(PolicyCatalogue.default().policies)
    objects += list(TermsCatalogue.default().versions)
    return objects


def test_a_host_stores_the_default_catalogues(store: Store) -> None:
    """Every object of the default catalogues is saved as a record and reads back equal,
    the award definitions' AllOf / AnyOf trees included."""
    objects = _shipped_objects()
    with store.transaction() as tx:
        for number, value in enumerate(objects):
            tx.save("host_catalogue", f"{number:04d}", serialization.dumps(value), 0)
    with store.transaction(readonly=True) as tx:
        records = [tx.load("host_catalogue", f"{number:04d}") for number in range(len(objects))]
    for record, value in zip(records, objects, strict=True):
        assert record is not None
        again = serialization.loads(record.data, type(value))
        assert serialization.dumps(value) == serialization.dumps(again)
        if type(value).__eq__ is not object.__eq__:  # type: ignore[comparison-overlap]
            assert value == again
    assert len(objects) > 20
