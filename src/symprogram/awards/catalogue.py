"""The program catalogue: exams and awards with their requirements, loaded from TOML.

"Catalogues are data": the default program ships in
``symprogram/data/awards/program.toml``; a host loads its own with
:meth:`AwardCatalogue.load`. The file is validated completely on load and every
problem raises :class:`~symprogram.errors.CatalogueError` whose ``field`` names the
bad entry (e.g. ``awards.scs-endpoint.requires.all_of[1]``).

File format::

    format = 1

    [exams."250-315"]
    title = "Administration of Symantec Endpoint Protection 12.1"
    versions = ["12.1"]          # optional, oldest first
    pass_score = 70              # optional (default 70)
    max_score = 100              # optional (default 100)
    credits = 10                 # optional (default 0)
    retired_on = 2013-06-30      # optional
    replaced_by = "250-428"      # optional, only with retired_on

    [awards.scs-endpoint]
    name = "Symantec Certified Specialist - Endpoint Protection 12.1"
    kind = "certification"       # or "accreditation"
    validity_days = 730          # optional; absent: never expires
    includes = ["sts-endpoint"]  # optional: renewed together with this award
    renewal_window_days = 90     # optional
    retired_on = 2014-01-01      # optional
    kit = true                   # optional (default: true for certifications)
    requires = { all_of = [ { award = "sts-endpoint" },
                            { exam = "250-315", min_score = 75 } ] }
    renewal = { exam = ["250-315", "250-428"] }   # optional

A requirement is a table with exactly one of ``all_of = [...]``, ``any_of =
[...]``, ``at_least = N`` with ``of = [...]`` (N-of-M), ``exam = "CODE"`` or a
list (``"CODE@VERSION"`` accepts one version only) with optional ``min_score``,
``award = "ID"`` (held and active on the date), ``credits = N`` with optional
``from_exams = [...]``; any of them may carry a ``label``.

Error codes: ``catalogue_not_found``, ``invalid_toml``, ``unsupported_format``,
``invalid_entry``, ``invalid_requirement``, ``empty_requirement``,
``invalid_n_of_m``, ``unknown_exam``, ``unknown_exam_version``,
``unknown_award``, ``invalid_score``, ``invalid_validity``,
``requirement_cycle``, ``includes_cycle``, ``replacement_cycle``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from symprogram.awards.models import (
    AllOf,
    AnyOf,
    AtLeast,
    AwardDefinition,
    AwardKind,
    ExamDefinition,
    ExamPassed,
    ExamRef,
    HoldsAward,
    MinimumCredits,
    Requirement,
)
from symprogram.errors import CatalogueError, NotFound, ValidationError

__all__ = ["FORMAT", "AwardCatalogue", "requirement_children"]

FORMAT = 1
"""The catalogue file format this release reads."""

_EXAM_KEYS = {
    "title",
    "versions",
    "pass_score",
    "max_score",
    "credits",
    "retired_on",
    "replaced_by",
}
_AWARD_KEYS = {
    "name",
    "kind",
    "validity_days",
    "includes",
    "renewal_window_days",
    "retired_on",
    "kit",
    "requires",
    "renewal",
}
_NODE_KEYS = {"all_of", "any_of", "at_least", "exam", "award", "credits"}


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


def _int(raw: Mapping[str, Any], key: str, field: str, default: int | None = None) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{field}.{key} must be an integer", f"{field}.{key}")
    return value


def _string(raw: Mapping[str, Any], key: str, field: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{field}.{key} must be a non-empty string", f"{field}.{key}")
    return value.strip()


def _day(raw: Mapping[str, Any], key: str, field: str) -> date | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _bad(f"{field}.{key} must be a date (YYYY-MM-DD)", f"{field}.{key}")
    return value


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _bad(f"{field} must be a string or a list of non-empty strings", field)
    return tuple(v.strip() for v in value)


def _days(raw: Mapping[str, Any], key: str, field: str) -> timedelta | None:
    days = _int(raw, key, field)
    if days is None:
        return None
    if days <= 0:
        raise _bad(
            f"{field}.{key} must be a positive number of days, not {days}",
            f"{field}.{key}",
            code="invalid_validity",
        )
    return timedelta(days=days)


def _read_only(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy: a catalogue cannot change after it was validated."""
    return MappingProxyType(dict(value))


@attrs.frozen
class AwardCatalogue:
    """The exams and awards of a program, validated.

    Build it with :meth:`default`, :meth:`load` (a TOML file), :meth:`loads` (TOML
    text) or :meth:`from_mapping` (already-parsed data).

    Attributes:
        exams: exam definitions by code.
        awards: award definitions by ID, in file order.
        name: the program name.
    """

    exams: Mapping[str, ExamDefinition] = attrs.field(converter=_read_only)
    awards: Mapping[str, AwardDefinition] = attrs.field(converter=_read_only)
    name: str = "program"

    # -- building -------------------------------------------------------------
    @classmethod
    def default(cls) -> AwardCatalogue:
        """The catalogue shipped with symprogram (``symprogram/data/awards/program.toml``)."""
        text = resources.files("symprogram.data.awards").joinpath("program.toml").read_text("utf-8")
        return cls.loads(text, source="symprogram/data/awards/program.toml")

    @classmethod
    def load(cls, path: str | Path) -> AwardCatalogue:
        """Read and validate a catalogue file.

        Raises:
            CatalogueError: the file is missing (``catalogue_not_found``), not TOML
                (``invalid_toml``) or has a bad entry.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(
                f"cannot read catalogue {str(path)!r}: {exc}",
                field="path",
                code="catalogue_not_found",
            ) from exc
        return cls.loads(text, source=str(path))

    @classmethod
    def loads(cls, text: str, *, source: str = "<string>") -> AwardCatalogue:
        """Parse and validate catalogue TOML text.

        Raises:
            CatalogueError: not TOML (``invalid_toml``) or a bad entry.
        """
        try:
            raw = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, TypeError) as exc:
            raise CatalogueError(
                f"{source} is not valid TOML: {exc}", field="path", code="invalid_toml"
            ) from exc
        return cls.from_mapping(raw)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> AwardCatalogue:
        """Validate parsed catalogue data (the TOML structure described in the module).

        Raises:
            CatalogueError: naming the bad entry in ``field``.
        """
        if not isinstance(raw, Mapping):
            raise _bad("a catalogue is a table", "catalogue")
        fmt = raw.get("format", FORMAT)
        if fmt != FORMAT:
            raise _bad(f"unsupported catalogue format {fmt!r}", "format", code="unsupported_format")
        name = raw.get("name", "program")
        if not isinstance(name, str) or not name.strip():
            raise _bad("name must be a non-empty string", "name")
        exams_raw = raw.get("exams", {})
        awards_raw = raw.get("awards", {})
        if not isinstance(exams_raw, Mapping):
            raise _bad("exams must be a table", "exams")
        if not isinstance(awards_raw, Mapping) or not awards_raw:
            raise _bad("awards must be a non-empty table", "awards")
        exams = {code: _parse_exam(code, entry) for code, entry in exams_raw.items()}
        awards = {aid: _parse_award(aid, entry) for aid, entry in awards_raw.items()}
        catalogue = cls(exams=exams, awards=awards, name=name.strip())
        catalogue._check_references()
        return catalogue

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
    def award(self, award_id: object) -> AwardDefinition:
        """The award ``award_id``.

        Raises:
            ValidationError: not a string (``invalid_award_id``).
            NotFound: no such award (``award_not_found``).
        """
        if not isinstance(award_id, str) or not award_id:
            raise ValidationError(
                "award_id must be a non-empty string", field="award_id", code="invalid_award_id"
            )
        found = self.awards.get(award_id)
        if found is None:
            raise NotFound(
                f"no award {award_id!r} in the catalogue",
                field="award_id",
                code="award_not_found",
                details={"award_id": award_id},
            )
        return found

    def exam(self, exam_code: object) -> ExamDefinition:
        """The exam ``exam_code``.

        Raises:
            ValidationError: not a string (``invalid_exam_code``).
            NotFound: no such exam (``exam_not_found``).
        """
        if not isinstance(exam_code, str) or not exam_code:
            raise ValidationError(
                "exam_code must be a non-empty string", field="exam_code", code="invalid_exam_code"
            )
        found = self.exams.get(exam_code)
        if found is None:
            raise NotFound(
                f"no exam {exam_code!r} in the catalogue",
                field="exam_code",
                code="exam_not_found",
                details={"exam_code": exam_code},
            )
        return found

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
        pending = list(self.award(award_id).includes)
        while pending:
            current = pending.pop(0)
            if current in found or current == award_id:
                continue
            found.append(current)
            pending.extend(self.awards[current].includes)
        return tuple(found)


def _paths(tree: Requirement, field: str) -> Iterator[tuple[str, Requirement]]:
    yield field, tree
    key = {AllOf: "all_of", AnyOf: "any_of", AtLeast: "of"}.get(type(tree))
    for i, child in enumerate(requirement_children(tree)):
        yield from _paths(child, f"{field}.{key}[{i}]")


def _parse_exam(code: Any, raw: Any) -> ExamDefinition:
    field = f"exams.{code}"
    if not isinstance(raw, Mapping):
        raise _bad(f"{field} must be a table", field)
    unknown = sorted(set(raw) - _EXAM_KEYS)
    if unknown:
        raise _bad(f"{field} has unknown key(s) {', '.join(unknown)}", f"{field}.{unknown[0]}")
    title = _string(raw, "title", field)
    versions = _strings(raw.get("versions", []), f"{field}.versions")
    if len(set(versions)) != len(versions):
        raise _bad(f"{field}.versions has duplicates", f"{field}.versions")
    pass_score = _int(raw, "pass_score", field, 70) or 0
    max_score = _int(raw, "max_score", field, 100) or 0
    credits = _int(raw, "credits", field, 0) or 0
    if not 0 <= pass_score <= max_score or max_score <= 0:
        raise _bad(
            f"{field}: need 0 <= pass_score <= max_score and max_score > 0",
            f"{field}.pass_score",
            code="invalid_score",
        )
    if credits < 0:
        raise _bad(f"{field}.credits must not be negative", f"{field}.credits")
    retired_on = _day(raw, "retired_on", field)
    replaced_by = _string(raw, "replaced_by", field, required=False)
    if replaced_by is not None and retired_on is None:
        raise _bad(f"{field}: only a retired exam has a replacement", f"{field}.replaced_by")
    if replaced_by == code:
        raise _bad(f"{field} replaces itself", f"{field}.replaced_by", code="replacement_cycle")
    assert title is not None
    return ExamDefinition(
        code=str(code),
        title=title,
        versions=versions,
        pass_score=pass_score,
        max_score=max_score,
        credits=credits,
        retired_on=retired_on,
        replaced_by=replaced_by,
    )


def _parse_award(award_id: Any, raw: Any) -> AwardDefinition:
    field = f"awards.{award_id}"
    if not isinstance(raw, Mapping):
        raise _bad(f"{field} must be a table", field)
    unknown = sorted(set(raw) - _AWARD_KEYS)
    if unknown:
        raise _bad(f"{field} has unknown key(s) {', '.join(unknown)}", f"{field}.{unknown[0]}")
    name = _string(raw, "name", field)
    kind_raw = raw.get("kind")
    try:
        kind = AwardKind(str(kind_raw))
    except ValueError:
        raise _bad(
            f"{field}.kind must be 'accreditation' or 'certification', not {kind_raw!r}",
            f"{field}.kind",
        ) from None
    if "requires" not in raw:
        raise _bad(f"{field} has no requires", f"{field}.requires", code="invalid_requirement")
    requires = _parse_node(raw["requires"], f"{field}.requires")
    renewal = _parse_node(raw["renewal"], f"{field}.renewal") if "renewal" in raw else None
    includes = _strings(raw.get("includes", []), f"{field}.includes")
    if award_id in includes:
        raise _bad(f"{field} includes itself", f"{field}.includes", code="includes_cycle")
    kit = raw.get("kit", kind is AwardKind.CERTIFICATION)
    if not isinstance(kit, bool):
        raise _bad(f"{field}.kit must be true or false", f"{field}.kit")
    validity = _days(raw, "validity_days", field)
    window = _days(raw, "renewal_window_days", field)
    if window is not None and validity is None:
        raise _bad(
            f"{field}: a renewal window needs a validity",
            f"{field}.renewal_window_days",
            code="invalid_validity",
        )
    assert name is not None
    return AwardDefinition(
        award_id=str(award_id),
        name=name,
        kind=kind,
        requires=requires,
        validity=validity,
        includes=includes,
        renewal=renewal,
        renewal_window=window,
        retired_on=_day(raw, "retired_on", field),
        kit=kit,
    )


def _parse_children(value: Any, field: str) -> tuple[Requirement, ...]:
    if not isinstance(value, list):
        raise _bad(f"{field} must be a list of requirements", field, code="invalid_requirement")
    if not value:
        raise _bad(f"{field} is empty", field, code="empty_requirement")
    return tuple(_parse_node(child, f"{field}[{i}]") for i, child in enumerate(value))


def _parse_node(raw: Any, field: str) -> Requirement:
    if not isinstance(raw, Mapping):
        raise _bad(f"{field} must be a table", field, code="invalid_requirement")
    kinds = sorted(set(raw) & _NODE_KEYS)
    if len(kinds) != 1:
        raise _bad(
            f"{field} needs exactly one of {', '.join(sorted(_NODE_KEYS))}",
            field,
            code="invalid_requirement",
        )
    kind = kinds[0]
    allowed = {
        "all_of": {"all_of"},
        "any_of": {"any_of"},
        "at_least": {"at_least", "of"},
        "exam": {"exam", "min_score"},
        "award": {"award"},
        "credits": {"credits", "from_exams"},
    }[kind] | {"label"}
    extra = sorted(set(raw) - allowed)
    if extra:
        raise _bad(
            f"{field} has unexpected key(s) {', '.join(extra)}",
            f"{field}.{extra[0]}",
            code="invalid_requirement",
        )
    label = raw.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise _bad(f"{field}.label must be a non-empty string", f"{field}.label")
    if kind == "all_of":
        return AllOf(_parse_children(raw["all_of"], f"{field}.all_of"), label)
    if kind == "any_of":
        return AnyOf(_parse_children(raw["any_of"], f"{field}.any_of"), label)
    if kind == "at_least":
        children = _parse_children(raw.get("of"), f"{field}.of")
        n = raw["at_least"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(children):
            raise _bad(
                f"{field}: at_least must be between 1 and {len(children)}, not {n!r}",
                f"{field}.at_least",
                code="invalid_n_of_m",
            )
        return AtLeast(n, children, label)
    if kind == "exam":
        codes = _strings(raw["exam"], f"{field}.exam")
        if not codes:
            raise _bad(f"{field}.exam is empty", f"{field}.exam", code="empty_requirement")
        try:
            refs = tuple(ExamRef.parse(code) for code in codes)
        except ValidationError as exc:
            raise _bad(exc.message, f"{field}.exam", code="invalid_requirement") from exc
        min_score = _int(raw, "min_score", field)
        if min_score is not None and min_score < 0:
            raise _bad(
                f"{field}.min_score must not be negative",
                f"{field}.min_score",
                code="invalid_score",
            )
        return ExamPassed(refs, min_score, label)
    if kind == "award":
        award_id = _string(raw, "award", field)
        assert award_id is not None
        return HoldsAward(award_id, label)
    credits = _int(raw, "credits", field)
    assert credits is not None
    if credits <= 0:
        raise _bad(
            f"{field}.credits must be positive", f"{field}.credits", code="invalid_requirement"
        )
    exams = _strings(raw["from_exams"], f"{field}.from_exams") if "from_exams" in raw else None
    return MinimumCredits(credits, exams, label)
