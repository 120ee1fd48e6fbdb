"""Catalogue models of the awards context: requirement trees, exams, awards, the catalogue.

Catalogue data is never stored: it is loaded (see :mod:`symprogram.awards.catalogue`)
and validated completely, so that rules may trust it. Re-exported by
:mod:`symprogram.awards.models`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

import attrs

from symprogram._checks import check_found, check_text, optional, validator
from symprogram._deprecation import deprecated_alias, warn_deprecated
from symprogram.errors import CatalogueError, ValidationError
from symprogram.persistence import MAX_KEY_LENGTH

__all__ = [
    "AllOf",
    "AnyOf",
    "AtLeast",
    "AwardCatalogue",
    "AwardDefinition",
    "AwardKind",
    "ExamDefinition",
    "ExamPassed",
    "ExamRef",
    "HoldsAward",
    "MinimumCredits",
    "Requirement",
    "requirement_children",
]

T = TypeVar("T")

SINCE = "0.2"
"""The release that deprecated the awards context's old names."""


class AwardKind(enum.StrEnum):
    """The two kinds of award of the program: "accreditation and certification"."""

    ACCREDITATION = "accreditation"
    CERTIFICATION = "certification"


_text = validator(check_text, limit=MAX_KEY_LENGTH, controls=True)
_optional_text = optional(_text)


# -- requirements (catalogue data, never stored) ---------------------------------


@attrs.frozen
class ExamRef:
    """An accepted exam: its code and, optionally, one exact version.

    Written ``"250-315"`` (any version) or ``"250-315@12.1"`` in catalogue files.
    """

    code: str = attrs.field(validator=_text)
    version: str | None = attrs.field(default=None, validator=_optional_text)

    @classmethod
    def parse(cls, text: str) -> ExamRef:
        """Parse ``"CODE"`` or ``"CODE@VERSION"``.

        Raises:
            ValidationError: empty code or version (code ``invalid_exam_ref``).
        """
        if not isinstance(text, str):
            raise ValidationError("an exam reference is a string", code="invalid_exam_ref")
        code, sep, version = text.partition("@")
        if not code.strip() or (sep and not version.strip()):
            raise ValidationError(f"bad exam reference {text!r}", code="invalid_exam_ref")
        return cls(code.strip(), version.strip() if sep else None)

    def __str__(self) -> str:
        return self.code if self.version is None else f"{self.code}@{self.version}"


@attrs.frozen
class ExamPassed:
    """Met by a passed result of any accepted exam scoring at least ``min_score`` (when given).

    An exam named by code alone is also accepted through the chain of exams that
    replaced it; an exam pinned to a version is accepted in that version only.
    """

    exams: tuple[ExamRef, ...]
    min_score: int | None = None
    label: str | None = None

    def describe(self) -> str:
        """A readable description."""
        names = " or ".join(str(e) for e in self.exams)
        if self.min_score is not None:
            return f"pass exam {names} with a score of at least {self.min_score}"
        return f"pass exam {names}"


@attrs.frozen
class HoldsAward:
    """Met when the candidate holds ``award_id`` active on the date asked about."""

    award_id: str
    label: str | None = None

    def describe(self) -> str:
        """A readable description."""
        return f"hold the active award {self.award_id}"


@attrs.frozen
class MinimumCredits:
    """Met when passed exams (optionally only ``exams``) are worth at least ``credits``.

    Each exam code counts once, however many times it was passed.
    """

    credits: int
    exams: tuple[str, ...] | None = None
    label: str | None = None

    def describe(self) -> str:
        """A readable description."""
        scope = "" if self.exams is None else f" from exams {', '.join(self.exams)}"
        return f"earn at least {self.credits} credits{scope}"


@attrs.frozen
class _Group:
    """A node over ``children``, described as ``"<how many> <n> requirements"``."""

    _how_many: ClassVar[str]

    children: tuple[Requirement, ...]
    label: str | None = None

    def describe(self) -> str:
        """A readable description."""
        return f"{self._how_many} {len(self.children)} requirements"


@attrs.frozen
class AllOf(_Group):
    """Met when every child is met."""

    _how_many = "all of"


@attrs.frozen
class AnyOf(_Group):
    """Met when at least one child is met."""

    _how_many = "any one of"


@attrs.frozen
class AtLeast:
    """N-of-M: met when at least ``n`` of the children are met."""

    n: int
    children: tuple[Requirement, ...]
    label: str | None = None

    def describe(self) -> str:
        """A readable description."""
        return f"{self.n} of {len(self.children)} requirements"


Requirement = AllOf | AnyOf | AtLeast | ExamPassed | HoldsAward | MinimumCredits
"""A node of a requirements tree."""


@attrs.frozen
class ExamDefinition:
    """An exam of the program catalogue.

    Attributes:
        code: the exam code, e.g. ``"250-315"``.
        title: readable title.
        versions: known versions, oldest first (may be empty).
        pass_score: the lowest passing score.
        max_score: the highest possible score.
        credits: credits a pass is worth (see :class:`MinimumCredits`).
        retired_on: from this day on the exam can no longer be taken.
        replaced_by: the exam that replaces it; a pass of the replacement meets
            every requirement naming this exam by code alone.
    """

    code: str
    title: str
    versions: tuple[str, ...] = ()
    pass_score: int = 70
    max_score: int = 100
    credits: int = 0
    retired_on: date | None = None
    replaced_by: str | None = None


@attrs.frozen
class AwardDefinition:
    """An accreditation or certification of the program catalogue.

    Attributes:
        award_id: stable identifier, e.g. ``"scs-endpoint-protection"``.
        name: readable name.
        kind: accreditation or certification.
        requires: what earning it takes.
        validity: how long a grant or a renewal lasts; ``None``: it never expires.
        includes: lower awards renewed together with this one.
        renewal: what renewing takes (evidence since the current period began);
            ``None``: renewal only needs the award to be active.
        renewal_window: renewal is only possible this long before expiry; ``None``:
            at any time while active.
        retired_on: from this day on it is no longer issued (holders keep it until
            it expires, but cannot renew it).
        kit: whether earning it queues an achievement kit.
    """

    award_id: str
    name: str
    kind: AwardKind
    requires: Requirement
    validity: timedelta | None = None
    includes: tuple[str, ...] = ()
    renewal: Requirement | None = None
    renewal_window: timedelta | None = None
    retired_on: date | None = None
    kit: bool = False


def requirement_children(node: Requirement) -> tuple[Requirement, ...]:
    """The child nodes of a requirement (empty for a leaf)."""
    if isinstance(node, AllOf | AnyOf | AtLeast):
        return node.children
    return ()


def _walk(node: Requirement) -> Iterator[Requirement]:
    yield node
    for child in requirement_children(node):
        yield from _walk(child)


def _bad(message: str, field: str, code: str = "invalid_entry", **details: Any) -> CatalogueError:
    return CatalogueError(message, field=field, code=code, details=details)


def _read_only(value: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    """A read-only copy: a catalogue cannot change after it was validated.

    Raises:
        CatalogueError: ``value`` is not a mapping (``invalid_entry``, field ``field``).
    """
    if not isinstance(value, Mapping):
        raise _bad(f"{field} must be a table (a mapping), not {type(value).__name__}", field)
    return MappingProxyType(dict(value))


def _exams(value: Mapping[str, ExamDefinition]) -> Mapping[str, ExamDefinition]:
    return _read_only(value, "exams")


def _awards(value: Mapping[str, AwardDefinition]) -> Mapping[str, AwardDefinition]:
    return _read_only(value, "awards")


def _paths(tree: Requirement, field: str) -> Iterator[tuple[str, Requirement]]:
    yield field, tree
    key = {AllOf: "all_of", AnyOf: "any_of", AtLeast: "of"}.get(type(tree))
    for i, child in enumerate(requirement_children(tree)):
        yield from _paths(child, f"{field}.{key}[{i}]")


def _lookup(entries: Mapping[str, T], key: object, field: str, noun: str) -> T:
    """The catalogue entry ``key`` of ``entries`` (a ``noun``), named by ``field`` in errors."""
    if not isinstance(key, str) or not key:
        raise ValidationError(
            f"{field} must be a non-empty string", field=field, code=f"invalid_{field}"
        )
    return check_found(
        entries.get(key),
        f"no {noun} {key!r} in the catalogue",
        field=field,
        code=f"{noun}_not_found",
        details={field: key},
    )


@attrs.frozen
class AwardCatalogue:
    """The exams and awards of a program, validated.

    Build it with :meth:`default`, :meth:`load` (a TOML file), :meth:`from_toml`
    (TOML text) or :meth:`of` (model objects).

    Attributes:
        exams: exam definitions by code.
        awards: award definitions by ID, in file order.
        name: the program name.
    """

    exams: Mapping[str, ExamDefinition] = attrs.field(converter=_exams)
    awards: Mapping[str, AwardDefinition] = attrs.field(converter=_awards)
    name: str = "program"

    # -- building (loading itself lives in symprogram.awards.catalogue) ----------
    @classmethod
    def default(cls) -> AwardCatalogue:
        """The catalogue shipped with symprogram (``symprogram/data/awards/program.toml``)."""
        from symprogram.awards import catalogue

        return catalogue.default()

    @classmethod
    def load(cls, path: str | Path) -> AwardCatalogue:
        """Read and validate a catalogue file.

        Raises:
            CatalogueError: as every catalogue's ``load`` (``invalid_path``,
                ``catalogue_not_found``, ``catalogue_unreadable``, ``invalid_toml``,
                ``empty_catalogue``), or a bad entry.
        """
        from symprogram.awards import catalogue

        return catalogue.load(path)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>") -> AwardCatalogue:
        """Parse and validate catalogue TOML text.

        Raises:
            CatalogueError: not TOML (``invalid_toml``), nothing in it
                (``empty_catalogue``), or a bad entry.
        """
        from symprogram.awards import catalogue

        return catalogue.from_toml(text, source=source)

    @classmethod
    def loads(cls, text: str, *, source: str = "<string>") -> AwardCatalogue:
        """Deprecated since 0.2: use :meth:`from_toml`."""
        warn_deprecated("AwardCatalogue.loads()", "AwardCatalogue.from_toml()", SINCE)
        return cls.from_toml(text, source=source)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> AwardCatalogue:
        """Deprecated since 0.2: use :meth:`from_toml` (or :meth:`of` with the models)."""
        warn_deprecated(
            "AwardCatalogue.from_mapping()",
            "AwardCatalogue.from_toml() / AwardCatalogue.of()",
            SINCE,
        )
        from symprogram.awards import catalogue

        return catalogue._from_mapping(raw)

    @classmethod
    def of(
        cls,
        exams: Iterable[ExamDefinition],
        awards: Iterable[AwardDefinition],
        *,
        name: str = "program",
    ) -> AwardCatalogue:
        """Build and validate a catalogue from model objects (references, cycles).

        Raises:
            CatalogueError: a duplicate code or ID, an unknown reference or a cycle.
        """
        exam_map: dict[str, ExamDefinition] = {}
        for exam in exams:
            if exam.code in exam_map:
                raise _bad(f"exam {exam.code!r} is defined twice", f"exams.{exam.code}")
            exam_map[exam.code] = exam
        award_map: dict[str, AwardDefinition] = {}
        for award in awards:
            if award.award_id in award_map:
                raise _bad(f"award {award.award_id!r} is defined twice", f"awards.{award.award_id}")
            if award.award_id in award.includes:
                raise _bad(
                    f"awards.{award.award_id} includes itself",
                    f"awards.{award.award_id}.includes",
                    code="includes_cycle",
                )
            award_map[award.award_id] = award
        if not award_map:
            raise _bad("awards must be a non-empty table", "awards")
        catalogue = cls(exams=exam_map, awards=award_map, name=name)
        catalogue._check_references()
        return catalogue

    # -- validation -----------------------------------------------------------
    def _check_references(self) -> None:
        for code, exam in self.exams.items():
            field = f"exams.{code}"
            if exam.replaced_by is not None:
                if exam.replaced_by not in self.exams:
                    raise _bad(
                        f"{field} is replaced by unknown exam {exam.replaced_by!r}",
                        f"{field}.replaced_by",
                        code="unknown_exam",
                        exam=exam.replaced_by,
                    )
                seen = {code}
                current: str | None = exam.replaced_by
                while current is not None:
                    if current in seen:
                        raise _bad(
                            f"{field}: replacements form a cycle",
                            f"{field}.replaced_by",
                            code="replacement_cycle",
                        )
                    seen.add(current)
                    current = self.exams[current].replaced_by
        for award_id, award in self.awards.items():
            field = f"awards.{award_id}"
            for which, tree in (("requires", award.requires), ("renewal", award.renewal)):
                if tree is not None:
                    self._check_tree(tree, f"{field}.{which}")
            for included in award.includes:
                if included not in self.awards:
                    raise _bad(
                        f"{field} includes unknown award {included!r}",
                        f"{field}.includes",
                        code="unknown_award",
                        award=included,
                    )
        self._check_acyclic(
            lambda a: tuple(
                n.award_id
                for tree in (a.requires, a.renewal)
                if tree is not None
                for n in _walk(tree)
                if isinstance(n, HoldsAward)
            ),
            "requires",
            "requirement_cycle",
        )
        self._check_acyclic(lambda a: a.includes, "includes", "includes_cycle")

    def _check_tree(self, tree: Requirement, field: str) -> None:
        for path, node in _paths(tree, field):
            if isinstance(node, HoldsAward) and node.award_id not in self.awards:
                raise _bad(
                    f"{path} refers to unknown award {node.award_id!r}",
                    path,
                    code="unknown_award",
                    award=node.award_id,
                )
            if isinstance(node, ExamPassed):
                for ref in node.exams:
                    exam = self.exams.get(ref.code)
                    if exam is None:
                        raise _bad(
                            f"{path} refers to unknown exam {ref.code!r}",
                            path,
                            code="unknown_exam",
                            exam=ref.code,
                        )
                    if ref.version is not None and ref.version not in exam.versions:
                        raise _bad(
                            f"{path}: exam {ref.code!r} has no version {ref.version!r}",
                            path,
                            code="unknown_exam_version",
                            exam=ref.code,
                        )
            if isinstance(node, MinimumCredits) and node.exams is not None:
                for code in node.exams:
                    if code not in self.exams:
                        raise _bad(
                            f"{path} counts credits of unknown exam {code!r}",
                            path,
                            code="unknown_exam",
                            exam=code,
                        )

    def _check_acyclic(self, edges: Any, key: str, code: str) -> None:
        state: dict[str, int] = {}

        def visit(award_id: str, trail: list[str]) -> None:
            state[award_id] = 1
            for target in edges(self.awards[award_id]):
                if state.get(target) == 1:
                    cycle = [*trail[trail.index(target) :], target] if target in trail else [target]
                    raise _bad(
                        f"awards.{award_id}.{key} forms a cycle: {' -> '.join(cycle)}",
                        f"awards.{award_id}.{key}",
                        code=code,
                        cycle=cycle,
                    )
                if state.get(target, 0) == 0:
                    visit(target, [*trail, target])
            state[award_id] = 2

        for award_id in self.awards:
            if state.get(award_id, 0) == 0:
                visit(award_id, [award_id])

    # -- reading --------------------------------------------------------------
    def get_award(self, award_id: object) -> AwardDefinition:
        """The award ``award_id``.

        Raises:
            ValidationError: not a string (``invalid_award_id``).
            NotFound: no such award (``award_not_found``).
        """
        return _lookup(self.awards, award_id, "award_id", "award")

    def get_exam(self, exam_code: object) -> ExamDefinition:
        """The exam ``exam_code``.

        Raises:
            ValidationError: not a string (``invalid_exam_code``).
            NotFound: no such exam (``exam_not_found``).
        """
        return _lookup(self.exams, exam_code, "exam_code", "exam")

    def replacements(self, exam_code: str) -> tuple[str, ...]:
        """``exam_code`` followed by the chain of exams that replaced it."""
        chain = [exam_code]
        exam = self.exams.get(exam_code)
        while exam is not None and exam.replaced_by is not None:
            chain.append(exam.replaced_by)
            exam = self.exams.get(exam.replaced_by)
        return tuple(chain)

    def includes_closure(self, award_id: str) -> tuple[str, ...]:
        """Every award renewed together with ``award_id`` (transitively), without it."""
        found: list[str] = []
        pending = list(self.get_award(award_id).includes)
        while pending:
            current = pending.pop(0)
            if current in found or current == award_id:
                continue
            found.append(current)
            pending.extend(self.awards[current].includes)
        return tuple(found)

    award = deprecated_alias("get_award", old="award", since=SINCE)
    exam = deprecated_alias("get_exam", old="exam", since=SINCE)
