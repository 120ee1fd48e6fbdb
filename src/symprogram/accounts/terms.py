"""The catalogue of Terms of Use versions, loaded from data (the seed's is the default).

Example:
    >>> from datetime import datetime, timezone
    >>> catalogue = TermsCatalogue.default()
    >>> catalogue.current(datetime(2011, 1, 15, tzinfo=timezone.utc)).version
    '2007.507'
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from datetime import datetime
from importlib import resources
from typing import Any

from symprogram.accounts.models import AcceptancePath, TermsVersion
from symprogram.clock import ensure_utc
from symprogram.errors import CatalogueError, NotFound, SymprogramError

__all__ = ["TermsCatalogue"]

_PACKAGE = "symprogram.data.terms"
_INDEX = "terms.toml"


class TermsCatalogue:
    """The versions of the Terms of Use, ordered by effective instant.

    Args:
        versions: at least one :class:`TermsVersion`; version names and
            effective instants must be unique.

    Raises:
        CatalogueError: empty, or duplicate versions or instants
            (code ``catalogue_invalid``).
    """

    def __init__(self, versions: Iterable[TermsVersion]) -> None:
        items = sorted(versions, key=lambda v: v.effective)
        if not items:
            raise CatalogueError("a terms catalogue needs at least one version")
        names = [v.version for v in items]
        instants = [v.effective for v in items]
        if len(set(names)) != len(names) or len(set(instants)) != len(instants):
            raise CatalogueError("terms versions and effective instants must be unique")
        self._versions = tuple(items)
        self._by_name = {v.version: v for v in items}

    @classmethod
    def default(cls) -> TermsCatalogue:
        """Load the program's own Terms of Use (seed 000, ``v.2007.507``) from package data."""
        root = resources.files(_PACKAGE)
        return cls.from_toml(
            root.joinpath(_INDEX).read_text(encoding="utf-8"),
            read=lambda name: root.joinpath(name).read_text(encoding="utf-8"),
        )

    @classmethod
    def from_toml(cls, text: str, *, read: Any = None) -> TermsCatalogue:
        """Build a catalogue from TOML like ``symprogram/data/terms/terms.toml``.

        Each ``[[versions]]`` table has ``version``, ``effective`` (an offset
        date-time), ``title``, either ``text`` or ``file`` (read with ``read``),
        optionally ``sha256`` (checked against the text) and
        ``acceptance_paths``.

        Raises:
            CatalogueError: invalid TOML, a missing or malformed entry, or a
                text that does not match its ``sha256`` (code
                ``terms_digest_mismatch``).
        """
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError(f"terms catalogue is not valid TOML: {exc}") from exc
        entries = raw.get("versions")
        if not isinstance(entries, list) or not entries:
            raise CatalogueError("terms catalogue has no [[versions]]", field="versions")
        versions = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise CatalogueError("each [[versions]] entry is a table", field="versions")
            try:
                body = entry["text"] if "text" in entry else read(entry["file"])
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
            except (KeyError, TypeError, OSError) as exc:
                raise CatalogueError(f"terms version entry is incomplete: {exc!r}") from exc
            expected = entry.get("sha256")
            if expected is not None and expected != version.digest:
                raise CatalogueError(
                    f"the text of terms {version.version} does not match its sha256",
                    field="sha256",
                    code="terms_digest_mismatch",
                )
            versions.append(version)
        return cls(versions)

    def __iter__(self) -> Iterator[TermsVersion]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)

    @property
    def versions(self) -> tuple[TermsVersion, ...]:
        """Every version, oldest first."""
        return self._versions

    def get(self, version: str) -> TermsVersion:
        """Return the version named ``version``.

        Raises:
            NotFound: no such version (code ``terms_version_not_found``).
        """
        found = self._by_name.get(version) if isinstance(version, str) else None
        if found is None:
            raise NotFound(
                f"no terms version {version!r}",
                field="terms_version",
                code="terms_version_not_found",
            )
        return found

    def current(self, at: datetime) -> TermsVersion:
        """Return the version in effect at ``at``: the newest one effective at or before it.

        Raises:
            NotFound: none is in effect yet (code ``no_terms_in_effect``).
            ValidationError: ``at`` is naive.
        """
        at = ensure_utc(at)
        found = None
        for version in self._versions:
            if version.effective <= at:
                found = version
        if found is None:
            raise NotFound("no terms of use are in effect yet", code="no_terms_in_effect")
        return found
