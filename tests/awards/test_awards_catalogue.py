"""The awards catalogue: the shipped default and validation of bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from symprogram.awards import AwardCatalogue, AwardKind, ExamPassed, ExamRef
from symprogram.errors import CatalogueError, NotFound, ValidationError

BASE = """
format = 1
[exams.E1]
title = "Exam one"
credits = 10
[exams.E2]
title = "Exam two"
[awards.a]
name = "Award A"
kind = "accreditation"
validity_days = 365
requires = { exam = "E1" }
"""


def test_default_catalogue_loads_with_both_kinds_of_award() -> None:
    """The shipped program has accreditations and certifications."""
    catalogue = AwardCatalogue.default()
    kinds = {a.kind for a in catalogue.awards.values()}
    assert {AwardKind.ACCREDITATION, AwardKind.CERTIFICATION} == kinds


def test_default_catalogue_maps_retired_exams_to_replacements() -> None:
    """A retired exam's replacement chain starts with it and ends with its replacement."""
    catalogue = AwardCatalogue.default()
    assert ("ST0-085", "ST0-091") == catalogue.replacements("ST0-085")


def test_default_catalogue_includes_closure_is_transitive() -> None:
    """Renewing the SCP renews the SCSs it includes and the STSs they include."""
    catalogue = AwardCatalogue.default()
    expected = ("scs-backup-exec", "scs-netbackup", "sts-backup-exec", "sts-netbackup")
    assert expected == catalogue.includes_closure("scp-data-protection")


def test_load_reads_a_host_file(tmp_path: Path) -> None:
    """A host application's own catalogue file replaces the default."""
    path = tmp_path / "program.toml"
    path.write_text(BASE, encoding="utf-8")
    catalogue = AwardCatalogue.load(path)
    assert ["a"] == list(catalogue.awards)
    assert ExamPassed((ExamRef("E1"),)) == catalogue.awards["a"].requires


def test_load_missing_file_raises_catalogue_not_found(tmp_path: Path) -> None:
    """A missing file is a CatalogueError, not an OSError."""
    with pytest.raises(CatalogueError) as info:
        AwardCatalogue.load(tmp_path / "nope.toml")
    assert "catalogue_not_found" == info.value.code


def test_invalid_toml_raises_invalid_toml() -> None:
    """Text that is not TOML is refused with invalid_toml."""
    with pytest.raises(CatalogueError) as info:
        AwardCatalogue.from_toml("this is [not toml")
    assert "invalid_toml" == info.value.code


BAD = [
    (
        'format = 2\n[awards.a]\nname="A"\nkind="certification"\nrequires={exam="E1"}',
        "unsupported_format",
        "format",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="badge"\nrequires={exam="E1"}',
        "invalid_entry",
        "awards.b.kind",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nrequires={exam="E9"}',
        "unknown_exam",
        "awards.b.requires",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nrequires={exam="E1@7"}',
        "unknown_exam_version",
        "awards.b.requires",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\n'
        'requires={all_of=[{exam="E1"},{award="zz"}]}',
        "unknown_award",
        "awards.b.requires.all_of[1]",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nrequires={all_of=[]}',
        "empty_requirement",
        "awards.b.requires.all_of",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\n'
        'requires={at_least=3, of=[{exam="E1"},{exam="E2"}]}',
        "invalid_n_of_m",
        "awards.b.requires.at_least",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\n'
        'requires={at_least=0, of=[{exam="E1"}]}',
        "invalid_n_of_m",
        "awards.b.requires.at_least",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nvalidity_days=-5\nrequires={exam="E1"}',
        "invalid_validity",
        "awards.b.validity_days",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nvalidity_days=0\nrequires={exam="E1"}',
        "invalid_validity",
        "awards.b.validity_days",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nrequires={exam="E1", award="a"}',
        "invalid_requirement",
        "awards.b.requires",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nrequires={credits=0}',
        "invalid_requirement",
        "awards.b.requires.credits",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nrequires={award="c"}\n'
        '[awards.c]\nname="C"\nkind="certification"\nrequires={award="b"}',
        "requirement_cycle",
        "awards.c.requires",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nincludes=["c"]\nrequires={exam="E1"}\n'
        '[awards.c]\nname="C"\nkind="certification"\nincludes=["b"]\nrequires={exam="E1"}',
        "includes_cycle",
        "awards.c.includes",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nincludes=["b"]\nrequires={exam="E1"}',
        "includes_cycle",
        "awards.b.includes",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nincludes=["q"]\nrequires={exam="E1"}',
        "unknown_award",
        "awards.b.includes",
    ),
    (
        BASE + '[exams.E3]\ntitle="t"\nretired_on=2011-01-01\nreplaced_by="E4"\n'
        '[exams.E4]\ntitle="t"\nretired_on=2011-01-01\nreplaced_by="E3"',
        "replacement_cycle",
        "exams.E3.replaced_by",
    ),
    (
        BASE + '[exams.E3]\ntitle="t"\nretired_on=2011-01-01\nreplaced_by="E9"',
        "unknown_exam",
        "exams.E3.replaced_by",
    ),
    (BASE + '[exams.E3]\ntitle="t"\npass_score=120', "invalid_score", "exams.E3.pass_score"),
    (BASE + '[exams.E3]\ntitle="t"\ncolour="red"', "invalid_entry", "exams.E3.colour"),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"',
        "invalid_requirement",
        "awards.b.requires",
    ),
    (
        BASE + '[awards.b]\nname="B"\nkind="certification"\nrenewal_window_days=30\n'
        'requires={exam="E1"}',
        "invalid_validity",
        "awards.b.renewal_window_days",
    ),
    ("format = 1\n", "invalid_entry", "awards"),
]


@pytest.mark.parametrize(("text", "code", "field"), BAD)
def test_bad_catalogue_names_the_entry(text: str, code: str, field: str) -> None:
    """Each kind of bad entry raises CatalogueError with its code and the entry's path."""
    with pytest.raises(CatalogueError) as info:
        AwardCatalogue.from_toml(text)
    assert (code, field) == (info.value.code, info.value.field)


def test_unknown_award_lookup_raises_not_found() -> None:
    """Asking the catalogue for an unknown award is NotFound award_not_found."""
    with pytest.raises(NotFound) as info:
        AwardCatalogue.default().get_award("no-such-award")
    assert ("award_not_found", "award_id") == (info.value.code, info.value.field)


def test_non_string_award_id_raises_validation_error() -> None:
    """A non-string award ID is a ValidationError, not a KeyError or TypeError."""
    with pytest.raises(ValidationError) as info:
        AwardCatalogue.default().get_award(42)
    assert "invalid_award_id" == info.value.code


def test_catalogue_of_refuses_duplicate_award() -> None:
    """Building from models refuses the same award twice."""
    catalogue = AwardCatalogue.from_toml(BASE)
    award = catalogue.awards["a"]
    with pytest.raises(CatalogueError) as info:
        AwardCatalogue.of(catalogue.exams.values(), [award, award])
    assert "awards.a" == info.value.field
