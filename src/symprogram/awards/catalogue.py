"""The program catalogue: exams and awards with their requirements, loaded from TOML.

"Catalogues are data": the default program ships in
``symprogram/data/awards/program.toml``; a host loads its own with
:func:`load` (or :meth:`AwardCatalogue.load`). This module only loads: the
catalogue models live in :mod:`symprogram.awards.models`. The file is validated
completely on load and every problem raises
:class:`~symprogram.errors.CatalogueError` whose ``field`` names the bad entry
(e.g. ``awards.scs-endpoint.requires.all_of[1]``).

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

Error codes: ``invalid_path``, ``catalogue_not_found``, ``catalogue_unreadable``,
``invalid_toml``, ``empty_catalogue`` (as every catalogue), ``unsupported_format``,
``invalid_entry``, ``invalid_requirement``, ``empty_requirement``,
``invalid_n_of_m``, ``unknown_exam``, ``unknown_exam_version``,
``unknown_award``, ``invalid_score``, ``invalid_validity``,
``requirement_cycle``, ``includes_cycle``, ``replacement_cycle``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from symprogram._catalogue_files import catalogue_table, read_catalogue
from symprogram._deprecation import retired_getattr
from symprogram.awards._models_catalogue import (
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
    _bad,
)
from symprogram.awards._models_catalogue import (
    AwardCatalogue as AwardCatalogue,
)
from symprogram.awards._models_catalogue import (
    requirement_children as requirement_children,
)
from symprogram.errors import ValidationError

# AwardCatalogue and requirement_children stay importable from here (their old
# home); they live in symprogram.awards.models.
__all__ = ["FORMAT", "default", "from_toml", "load"]

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


def _int(raw: Mapping[str, Any], key: str, field: str, default: int | None = None) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{field}.{key} must be an integer", f"{field}.{key}")
    return value


def _optional_string(raw: Mapping[str, Any], key: str, field: str) -> str | None:
    return None if raw.get(key) is None else _string(raw, key, field)


#: Control characters, line and paragraph separators, lone surrogates.
_BREAKS = frozenset({"Cc", "Zl", "Zp", "Cs"})


def _string(raw: Mapping[str, Any], key: str, field: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{field}.{key} must be a non-empty string", f"{field}.{key}")
    if not value.isprintable() and any(unicodedata.category(c) in _BREAKS for c in value):
        # one line: names stand in message subjects
        raise _bad(
            f"{field}.{key} must be one line, without control characters or line breaks",
            f"{field}.{key}",
        )
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
    if days <= 0 or days > timedelta.max.days:
        raise _bad(
            f"{field}.{key} must be a positive number of days, not {days}"
            + (f" (at most {timedelta.max.days})" if days > 0 else ""),
            f"{field}.{key}",
            code="invalid_validity",
        )
    return timedelta(days=days)


_DEFAULT_PATH = "symprogram/data/awards/program.toml"


def default() -> AwardCatalogue:
    """The catalogue shipped with symprogram (``symprogram/data/awards/program.toml``)."""
    text = resources.files("symprogram.data.awards").joinpath("program.toml").read_text("utf-8")
    return from_toml(text, source=_DEFAULT_PATH)


def load(path: str | Path) -> AwardCatalogue:
    """Read and validate a catalogue file.

    Raises:
        CatalogueError: field ``path``: ``path`` is no path (``invalid_path``), no file
            is there (``catalogue_not_found``), it cannot be read
            (``catalogue_unreadable``), is not TOML (``invalid_toml``) or holds nothing
            (``empty_catalogue``); or a bad entry.
    """
    raw, _ = read_catalogue(path, what="award catalogue")
    return _from_mapping(raw)


def from_toml(text: str, *, source: str = "<string>") -> AwardCatalogue:
    """Parse and validate catalogue TOML text.

    Raises:
        CatalogueError: no text or not TOML (``invalid_toml``), nothing in it
            (``empty_catalogue``), or a bad entry.
    """
    return _from_mapping(catalogue_table(text, source=source, what="award catalogue"))


def _from_mapping(raw: Mapping[str, Any]) -> AwardCatalogue:
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
    exams = [_parse_exam(code, entry) for code, entry in exams_raw.items()]
    awards = [_parse_award(aid, entry) for aid, entry in awards_raw.items()]
    return AwardCatalogue.of(exams, awards, name=name.strip())


def _table(raw: Any, field: str, keys: set[str]) -> None:
    """``raw`` must be a table of ``keys`` only."""
    if not isinstance(raw, Mapping):
        raise _bad(f"{field} must be a table", field)
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise _bad(f"{field} has unknown key(s) {', '.join(unknown)}", f"{field}.{unknown[0]}")


def _parse_exam(code: Any, raw: Any) -> ExamDefinition:
    field = f"exams.{code}"
    _table(raw, field, _EXAM_KEYS)
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
    replaced_by = _optional_string(raw, "replaced_by", field)
    if replaced_by is not None and retired_on is None:
        raise _bad(f"{field}: only a retired exam has a replacement", f"{field}.replaced_by")
    if replaced_by == code:
        raise _bad(f"{field} replaces itself", f"{field}.replaced_by", code="replacement_cycle")
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
    _table(raw, field, _AWARD_KEYS)
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
        return HoldsAward(_string(raw, "award", field), label)
    credits = _int(raw, "credits", field)
    assert credits is not None
    if credits <= 0:
        raise _bad(
            f"{field}.credits must be positive", f"{field}.credits", code="invalid_requirement"
        )
    exams = _strings(raw["from_exams"], f"{field}.from_exams") if "from_exams" in raw else None
    return MinimumCredits(credits, exams, label)


# the deprecated ``from_mapping`` (a loader besides the three), served with a warning
__getattr__ = retired_getattr(
    __name__,
    {"from_mapping": (_from_mapping, "AwardCatalogue.from_toml() / .load()")},
    since="0.2.0",
)
