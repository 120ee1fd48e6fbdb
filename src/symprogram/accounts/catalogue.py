"""Loading the Terms of Use catalogue from data (the program's own is the default).

Loading only: :func:`default`, :func:`load` and :func:`from_toml` build a
:class:`~symprogram.accounts.models.TermsCatalogue` (whose classmethods of the
same names call them).

Example:
    >>> from datetime import datetime, timezone
    >>> default().current(datetime(2011, 1, 15, tzinfo=timezone.utc)).version
    '2007.507'
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from symprogram._catalogue_files import catalogue_table, read_catalogue
from symprogram.accounts.models import AcceptancePath, TermsCatalogue, TermsVersion
from symprogram.errors import CatalogueError, SymprogramError

__all__ = ["default", "from_toml", "load"]

_PACKAGE = "symprogram.data.terms"
_INDEX = "terms.toml"


def default() -> TermsCatalogue:
    """The program's own Terms of Use (``v.2007.507``), from package data."""
    root = resources.files(_PACKAGE)
    return from_toml(
        root.joinpath(_INDEX).read_text(encoding="utf-8"),
        read=lambda name: root.joinpath(name).read_text(encoding="utf-8"),
    )


def load(path: str | Path) -> TermsCatalogue:
    """A catalogue from the TOML file ``path``; a version's ``file`` is read beside it.

    Raises:
        CatalogueError: field ``path``: ``path`` is no path (``invalid_path``), no file
            is there (``catalogue_not_found``), it cannot be read
            (``catalogue_unreadable``), is not TOML (``invalid_toml``) or holds nothing
            (``empty_catalogue``); or an entry :func:`from_toml` refuses.
    """
    raw, name = read_catalogue(path, what="terms catalogue")
    where = Path(name)
    return _from_table(raw, read=lambda entry: _read_beside(where.parent, entry))


def _read_beside(folder: Path, name: str) -> str:
    """The text of the file ``name`` in ``folder`` or below it (never elsewhere).

    Raises:
        CatalogueError: ``name`` leads out of ``folder`` (an absolute path, ``..``
            or a link; code ``terms_file_outside``).
    """
    root = folder.resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise CatalogueError(
            f"a terms version's file must lie beside the catalogue, not at {name!r}",
            field="file",
            code="terms_file_outside",
        )
    return target.read_text(encoding="utf-8")


def _version(entry: dict[str, Any], read: Callable[[str], str] | None) -> TermsVersion:
    try:
        if "text" in entry:
            body = entry["text"]
        elif read is None:
            raise CatalogueError(
                "a [[versions]] entry names a file but nothing can read it", field="file"
            )
        else:
            body = read(entry["file"])
        version = TermsVersion.create(
            entry["version"],
            entry["effective"],
            entry["title"],
            body,
            entry.get("acceptance_paths", list(AcceptancePath)),
        )
    except CatalogueError:
        raise
    except SymprogramError as exc:
        raise CatalogueError(
            f"terms version entry is invalid: {exc.message}", field=exc.field
        ) from exc
    except (KeyError, TypeError, OSError, ValueError) as exc:
        # ValueError: a file name with a NUL, a text that is not UTF-8 (UnicodeDecodeError).
        raise CatalogueError(f"terms version entry is incomplete: {exc!r}") from exc
    expected = entry.get("sha256")
    if expected is not None and expected != version.digest:
        raise CatalogueError(
            f"the text of terms {version.version} does not match its sha256",
            field="sha256",
            code="terms_digest_mismatch",
        )
    return version


def from_toml(text: str, *, read: Callable[[str], str] | None = None) -> TermsCatalogue:
    """A catalogue from TOML like ``symprogram/data/terms/terms.toml``.

    Each ``[[versions]]`` table has ``version``, ``effective`` (an offset
    date-time), ``title``, either ``text`` or ``file`` (read with ``read``),
    optionally ``sha256`` (checked against the text) and ``acceptance_paths``.

    Raises:
        CatalogueError: no text or not TOML (``invalid_toml``), nothing in it
            (``empty_catalogue``), a missing or malformed entry, or a text that does
            not match its ``sha256`` (code ``terms_digest_mismatch``).
    """
    return _from_table(catalogue_table(text, source="<toml>", what="terms catalogue"), read=read)


def _from_table(raw: dict[str, Any], *, read: Callable[[str], str] | None) -> TermsCatalogue:
    """The catalogue of the parsed TOML ``raw`` (what :func:`from_toml` and :func:`load` share)."""
    entries = raw.get("versions")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError("terms catalogue has no [[versions]]", field="versions")
    versions = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise CatalogueError("each [[versions]] entry is a table", field="versions")
        versions.append(_version(entry, read))
    return TermsCatalogue(versions)
