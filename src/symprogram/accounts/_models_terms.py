"""The Terms of Use models: versions, acceptances, receipts and the catalogue of versions.

Private: re-exported by :mod:`symprogram.accounts.models`. Loading a catalogue
from data is :mod:`symprogram.accounts.catalogue`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from symprogram._checks import check_enum, check_found, check_instant
from symprogram._deprecation import deprecated_alias
from symprogram.accounts import _text
from symprogram.accounts._models_common import AcceptancePath, _opt_instant, _version_field
from symprogram.clock import ensure_utc
from symprogram.errors import CatalogueError, NotFound, ValidationError

# -- terms of use --------------------------------------------------------------------------


def _terms_version(value: object) -> str:
    return _text.ascii_code(
        value,
        "terms_version",
        32,
        extra=".-_",
        message="a terms version has ASCII letters, digits and . - _ only",
    )


def _paths(value: object) -> frozenset[AcceptancePath]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        message = "acceptance_paths is a collection of paths"
    elif paths := frozenset(check_enum(AcceptancePath, v, "acceptance_path") for v in value):
        return paths
    else:
        message = "a terms version offers at least one acceptance path"
    raise ValidationError(message, field="acceptance_paths", code="invalid_acceptance_path")


def text_digest(text: str) -> str:
    """SHA-256 hex digest of a terms text (UTF-8).

    Raises:
        ValidationError: ``text`` is not text (``invalid_type``) or holds a lone
            surrogate, which has no UTF-8 (``invalid_unicode``); field ``text``.
    """
    if not isinstance(text, str):
        raise ValidationError(
            f"text must be text, not {type(text).__name__}", field="text", code="invalid_type"
        )
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "text contains a lone surrogate, which is not valid Unicode",
            field="text",
            code="invalid_unicode",
        ) from None
    return hashlib.sha256(data).hexdigest()


def _terms_version_effective(value: object) -> datetime:
    return check_instant(value, "effective")


def _terms_version_title(value: object) -> str:
    return _text.line(value, "title", 200)


def _terms_version_text(value: object) -> str:
    return _text.paragraph(value, "text", 200_000)


@attrs.frozen
class TermsVersion:
    """One version of the Terms of Use, with its effective instant and text digest.

    Build one with :meth:`create`, which computes the digest.

    Attributes:
        version: e.g. ``"2007.507"`` (the Terms of Use print ``v.2007.507``).
        effective: the instant it takes effect (UTC).
        title: e.g. ``"Terms of Use"``.
        text: the exact wording.
        digest: SHA-256 hex digest of ``text``; checked on construction.
        acceptance_paths: the acceptance links it offers.
    """

    version: str = attrs.field(converter=_terms_version)
    effective: datetime = attrs.field(converter=_terms_version_effective)
    title: str = attrs.field(converter=_terms_version_title)
    text: str = attrs.field(converter=_terms_version_text)
    digest: str = attrs.field()
    acceptance_paths: frozenset[AcceptancePath] = attrs.field(
        default=frozenset(AcceptancePath), converter=_paths
    )

    @digest.validator
    def _check_digest(self, _: attrs.Attribute[str], value: str) -> None:
        if value != text_digest(self.text):
            raise ValidationError(
                "the terms digest does not match the text",
                field="digest",
                code="terms_digest_mismatch",
            )

    @classmethod
    def create(
        cls,
        version: str,
        effective: datetime,
        title: str,
        text: str,
        acceptance_paths: Iterable[AcceptancePath | str] = tuple(AcceptancePath),
    ) -> TermsVersion:
        """Build a version, computing the digest of ``text`` (after normalizing line ends)."""
        clean = _text.paragraph(text, "text", 200_000)
        return cls(version, effective, title, clean, text_digest(clean), acceptance_paths)


def _terms_acceptance_path(value: object) -> AcceptancePath:
    return check_enum(AcceptancePath, value, "path")


def _terms_acceptance_accepted_at(value: object) -> datetime:
    return check_instant(value, "accepted_at")


@attrs.frozen
class TermsAcceptance:
    """The record that a person accepted a version of the Terms of Use.

    Accepting simply acknowledges that you have reviewed this information - it
    does not constitute any agreements of participation in the accreditation and
    certification program (the Terms of Use v.2007.507: "Clicking the acceptance link below simply
    acknowledges that you have reviewed this information - it does not
    constitute any agreements of participation").

    A person accepts *before* they have an account, so an acceptance starts
    without a candidate and is bound to the account by
    :meth:`~symprogram.accounts.AccountsService.register` (``candidate_id`` is
    then set); an existing candidate's renewed acceptance is bound at once.

    Attributes:
        acceptance_id: random identifier of this acceptance (the record key).
        terms_version: the version accepted.
        terms_digest: digest of the exact text accepted.
        path: the acceptance link followed.
        accepted_at: when (UTC).
        candidate_id: the account it belongs to, once bound.
        version: storage version.
    """

    acceptance_id: str
    terms_version: str = attrs.field(converter=_terms_version)
    terms_digest: str
    path: AcceptancePath = attrs.field(converter=_terms_acceptance_path)
    accepted_at: datetime = attrs.field(converter=_terms_acceptance_accepted_at)
    candidate_id: str | None = None
    version: int = attrs.field(default=0, validator=lambda _s, _a, v: _version_field(v))

    @property
    def is_agreement_to_participate(self) -> bool:
        """Always ``False``: acceptance is an acknowledgment, not an agreement to participate."""
        return False


def _terms_receipt_expires_at(value: object) -> datetime | None:
    return _opt_instant(value, "expires_at")


@attrs.frozen
class TermsReceipt:
    """What :meth:`~symprogram.accounts.AccountsService.accept_terms` returns.

    Attributes:
        acceptance: the stored acceptance.
        token: the single-use secret to hand to ``register(terms_receipt=...)``
            when accepted before an account exists; ``None`` when the acceptance
            was recorded straight into an existing account. Shown once, stored
            only as a digest.
        expires_at: when ``token`` stops working (``None`` without token).
    """

    acceptance: TermsAcceptance
    token: str | None = attrs.field(default=None, repr=False)
    expires_at: datetime | None = attrs.field(default=None, converter=_terms_receipt_expires_at)


class TermsCatalogue:
    """The versions of the Terms of Use, ordered by effective instant.

    Load one with :meth:`default` (the program's own, from package data),
    :meth:`load` (a TOML file) or :meth:`from_toml` (TOML text); the loading is
    :mod:`symprogram.accounts.catalogue`.

    Args:
        versions: at least one :class:`TermsVersion`; version names and
            effective instants must be unique.

    Raises:
        CatalogueError: not a collection of :class:`TermsVersion`, empty, or
            duplicate versions or instants (code ``catalogue_invalid``).

    Example:
        >>> from datetime import datetime, timezone
        >>> catalogue = TermsCatalogue.default()
        >>> catalogue.current(datetime(2011, 1, 15, tzinfo=timezone.utc)).version
        '2007.507'
    """

    def __init__(self, versions: Iterable[TermsVersion]) -> None:
        if isinstance(versions, (str, bytes)) or not isinstance(versions, Iterable):
            raise CatalogueError(
                f"a terms catalogue takes a list of versions, not {type(versions).__name__}",
                field="versions",
            )
        given = tuple(versions)
        if not all(isinstance(v, TermsVersion) for v in given):
            raise CatalogueError(
                "a terms catalogue's versions are TermsVersion objects", field="versions"
            )
        items = sorted(given, key=lambda v: v.effective)
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
        """Load the program's own Terms of Use (``v.2007.507``) from package data."""
        from symprogram.accounts import catalogue

        return catalogue.default()

    @classmethod
    def load(cls, path: str | Path) -> TermsCatalogue:
        """Load a catalogue from a TOML file; a version's ``file`` is read beside it.

        Raises:
            CatalogueError: an unreadable file, or what :meth:`from_toml` refuses.
        """
        from symprogram.accounts import catalogue

        return catalogue.load(path)

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
        from symprogram.accounts import catalogue

        return catalogue.from_toml(text, read=read)

    def __iter__(self) -> Iterator[TermsVersion]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)

    @property
    def versions(self) -> tuple[TermsVersion, ...]:
        """Every version, oldest first."""
        return self._versions

    def get_version(self, version: str) -> TermsVersion:
        """Return the version named ``version``.

        Raises:
            NotFound: no such version (code ``terms_version_not_found``).
        """
        return check_found(
            self._by_name.get(version) if isinstance(version, str) else None,
            f"no terms version {version!r}",
            field="terms_version",
            code="terms_version_not_found",
        )

    get = deprecated_alias("get_version", old="get", since="0.2")

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
