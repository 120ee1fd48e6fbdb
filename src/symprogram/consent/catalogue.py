"""Loading the policy catalogue: :func:`default`, :func:`load`, :func:`from_toml`.

Policies are data: the default is the privacy policy as the document says it,
shipped as ``symprogram/data/consent/policy.toml``; named stricter readings of it
(``opt_in``) are in ``symprogram/data/consent/readings.toml``. A host application
loads its own with :meth:`PolicyCatalogue.from_toml` / :meth:`PolicyCatalogue.load`
(which call the functions here). This module only loads: the catalogue model
lives in :mod:`symprogram.consent.models`.

Example:
    >>> catalogue = PolicyCatalogue.default()
    >>> catalogue.latest.version, catalogue.latest.purpose("special_offers").basis.value
    ('2005-07', 'opt_out')
    >>> strict = PolicyCatalogue.default(reading="opt_in")
    >>> strict.latest.reading.value, strict.latest.purpose("special_offers").basis.value
    ('opt_in', 'opt_in')
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, TypeVar

import cattrs

from symprogram._catalogue_files import catalogue_table, read_catalogue
from symprogram._checks import check_enum
from symprogram._deprecation import positional_keyword, retired_getattr
from symprogram.consent.models import LegalBasis, Policy, PolicyCatalogue, PolicyReading
from symprogram.errors import CatalogueError, SymprogramError, ValidationError
from symprogram.serialization import make_converter

__all__ = ["PolicyCatalogue", "default", "from_toml", "load"]


_CONVERTER = make_converter()

T = TypeVar("T")


def _first_in(exc: BaseException, pick: Callable[[BaseException], T | None]) -> T | None:
    """What ``pick`` finds first in ``exc`` or, depth first, in its exception group."""
    found = pick(exc)
    if found is None and isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_in(inner, pick)
            if found is not None:
                break
    return found


def _first_error(exc: BaseException) -> SymprogramError | None:
    return _first_in(exc, lambda e: e if isinstance(e, SymprogramError) else None)


def _missing_key(exc: BaseException) -> str | None:
    """The key a ``KeyError`` in ``exc`` (or in its group) names, if any."""
    return _first_in(exc, _key_named)


def _key_named(exc: BaseException) -> str | None:
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return None


def _policy_from_mapping(raw: Mapping[str, Any], *, source: str = "policy") -> Policy:
    """Build a :class:`Policy` from parsed TOML/JSON data.

    Raises:
        CatalogueError: the data does not describe a valid policy; the message names
            the source and the offending field.
    """
    try:
        return _CONVERTER.structure(dict(raw), Policy)
    except (cattrs.BaseValidationError, SymprogramError, ValueError, TypeError, KeyError) as exc:
        inner = _first_error(exc)
        missing = _missing_key(exc) if inner is None else None
        field = inner.field if inner is not None else missing
        if inner is not None:
            message = inner.message
        elif missing is not None:
            message = f"the required key {missing!r} is missing"
        else:
            message = str(exc)
        raise CatalogueError(
            f"{source}: {message}",
            field=field,
            code=inner.code if isinstance(inner, ValidationError) else "catalogue_invalid",
            details={"source": source},
        ) from exc


_POLICY = "data/consent/policy.toml"
_READINGS = "data/consent/readings.toml"


def _packaged(name: str) -> dict[str, Any]:
    text = resources.files("symprogram").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _read(
    raw: Mapping[str, Any], reading: PolicyReading, readings: Mapping[str, Any]
) -> dict[str, Any]:
    """The policy data ``raw`` as ``reading`` reads it: the bases ``readings`` change.

    The document's reading returns ``raw`` unchanged (with ``reading = "document"``).

    Raises:
        CatalogueError: the reading names a purpose the policy does not declare
            (``unknown_purpose``) or a basis that is not one (``invalid_basis``).
    """
    data = dict(raw)
    data["reading"] = reading.value
    if reading is PolicyReading.DOCUMENT:
        return data
    spec = readings.get(reading.value, {})
    bases = dict(spec.get("purposes", {}))
    declared = {p.get("id") for p in data.get("purposes", [])}
    for purpose, basis in bases.items():
        if purpose not in declared:
            raise CatalogueError(
                f"reading {reading.value!r} names undeclared purpose {purpose!r}",
                field="purposes",
                code="unknown_purpose",
            )
        check_enum(LegalBasis, basis, "basis")
    data["purposes"] = [
        {**p, "basis": bases[p["id"]]} if p.get("id") in bases else p for p in data["purposes"]
    ]
    if "title" in spec:
        data["title"] = spec["title"]
    return data


def default(
    *args: PolicyReading | str, reading: PolicyReading | str | None = None
) -> PolicyCatalogue:
    """The privacy policy as ``reading`` reads it (``symprogram/data/consent/``).

    Args:
        args: deprecated: the reading given positionally (a ``DeprecationWarning``).
        reading: ``"document"`` (the default, also ``None``: the policy as the
            document says it) or ``"opt_in"`` (the stricter reading for hosts whose
            law requires opt-in, ``readings.toml``).

    Raises:
        ValidationError: not a known reading (``invalid_reading``); the reading
            given both ways (``conflicting_arguments``).
    """
    chosen = positional_keyword(args, reading, name="reading", where="PolicyCatalogue.default")
    member = check_enum(
        PolicyReading, PolicyReading.DOCUMENT if chosen is None else chosen, "reading"
    )
    raw = _read(_packaged(_POLICY), member, _packaged(_READINGS))
    return PolicyCatalogue([_policy_from_mapping(raw, source=f"symprogram/{_POLICY}")])


def from_toml(text: str, *, source: str = "<toml>") -> PolicyCatalogue:
    """Parse one policy (top-level keys) or several (``[[policies]]`` tables).

    Raises:
        CatalogueError: no text or not TOML (``invalid_toml``), nothing in it
            (``empty_catalogue``), or an invalid policy (the message names it).
    """
    return _from_table(catalogue_table(text, source=source, what="privacy policy"), source)


def load(path: str | os.PathLike[str]) -> PolicyCatalogue:
    """Read a TOML policy file.

    Raises:
        CatalogueError: field ``path``: ``path`` is no path (``invalid_path``), no file
            is there (``catalogue_not_found``), it cannot be read
            (``catalogue_unreadable``), is not TOML (``invalid_toml``) or holds nothing
            (``empty_catalogue``); or an invalid policy.
    """
    raw, name = read_catalogue(path, what="privacy policy")
    return _from_table(raw, name)


def _from_table(raw: dict[str, Any], source: str) -> PolicyCatalogue:
    """The catalogue of the parsed TOML ``raw`` (what :func:`from_toml` and :func:`load` share)."""
    if "policies" in raw:
        items = raw["policies"]
        if not isinstance(items, list):
            raise CatalogueError(
                f"{source}: 'policies' must be an array of tables", field="policies"
            )
        return PolicyCatalogue(
            _policy_from_mapping(item, source=f"{source} policies[{i}]")
            for i, item in enumerate(items)
        )
    return PolicyCatalogue([_policy_from_mapping(raw, source=source)])


# the deprecated module-level loader (``policy_from_mapping``), served with a warning
__getattr__ = retired_getattr(
    __name__,
    {"policy_from_mapping": (_policy_from_mapping, "PolicyCatalogue.from_toml() / .load()")},
    since="0.2",
)
