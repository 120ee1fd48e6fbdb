"""The policy catalogue model: every version of the privacy policy, in effect-date order.

The catalogue is held in memory and answers "which policy was in effect at T",
"which material changes affect this purpose by T" without any I/O. Loading it
(:meth:`PolicyCatalogue.default`, :meth:`PolicyCatalogue.load`,
:meth:`PolicyCatalogue.from_toml`) is the job of :mod:`symprogram.consent.catalogue`.
Re-exported by :mod:`symprogram.consent.models`; import it from there.

Example:
    >>> catalogue = PolicyCatalogue.default()
    >>> catalogue.latest.version, catalogue.latest.purpose("special_offers").basis.value
    ('2005-07', 'opt_out')
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable
from datetime import datetime

from symprogram._checks import check_found, shown
from symprogram._deprecation import deprecated_alias
from symprogram.consent._models_content import PolicyReading
from symprogram.consent._models_policy import LegalBasis, Policy, PolicyChange, check_site
from symprogram.errors import CatalogueError, NotFound

__all__ = ["PolicyCatalogue"]


class PolicyCatalogue:
    """Every version of the privacy policy, ordered by effective date.

    Args:
        policies: the versions; effective dates and versions must be distinct.

    Raises:
        CatalogueError: not a collection of :class:`Policy` (code
            ``catalogue_invalid``), no policy, a version given twice, or two
            versions with the same effective date (code ``duplicate_version`` /
            ``duplicate_effective_date``).
    """

    def __init__(self, policies: Iterable[Policy]) -> None:
        if isinstance(policies, (str, bytes)) or not isinstance(policies, Iterable):
            raise CatalogueError(
                f"a catalogue takes a list of policies, not {type(policies).__name__}",
                field="policies",
                code="catalogue_invalid",
            )
        given = tuple(policies)
        if not all(isinstance(p, Policy) for p in given):
            raise CatalogueError(
                "a catalogue's policies are Policy objects",
                field="policies",
                code="catalogue_invalid",
            )
        ordered = sorted(given, key=lambda p: p.effective_at)
        if not ordered:
            raise CatalogueError("a catalogue holds at least one policy", code="empty_catalogue")
        versions = [p.version for p in ordered]
        if len(set(versions)) != len(versions):
            raise CatalogueError(
                "a policy version is given twice", field="version", code="duplicate_version"
            )
        dates = [p.effective_at for p in ordered]
        if len(set(dates)) != len(dates):
            raise CatalogueError(
                "two policy versions take effect at the same instant",
                field="effective_at",
                code="duplicate_effective_date",
            )
        self._policies: tuple[Policy, ...] = tuple(ordered)
        self._dates = dates
        self._rank = {p.version: i for i, p in enumerate(ordered)}
        from symprogram.consent._rules_policy import diff_policies

        self._changes: dict[str, PolicyChange] = {}
        previous: Policy | None = None
        for policy in ordered:
            self._changes[policy.version] = diff_policies(previous, policy)
            previous = policy
        # purpose -> [(rank, version, effective_at)] of the material changes affecting it
        self._material: dict[str, list[tuple[int, str, datetime]]] = {}
        for policy in ordered:
            change = self._changes[policy.version]
            if change.material:
                for purpose in change.affected:
                    self._material.setdefault(purpose, []).append(
                        (self._rank[policy.version], policy.version, policy.effective_at)
                    )
        # (rank, version, effective_at) of the changes that made the traffic logs personal
        self._traffic = [
            (self._rank[policy.version], policy.version, policy.effective_at)
            for policy in ordered
            if self._changes[policy.version].traffic_changed
        ]
        self._known = {p.id for policy in ordered for p in policy.purposes}

    # -- construction ------------------------------------------------------------
    @classmethod
    def default(
        cls, *args: PolicyReading | str, reading: PolicyReading | str | None = None
    ) -> PolicyCatalogue:
        """The privacy policy as ``reading`` reads it (``symprogram/data/consent/``).

        Args:
            args: deprecated: the reading given positionally (a ``DeprecationWarning``).
            reading: ``"document"`` (default, also ``None``: the policy as the document says it:
                every use it lists is opt-out, every cookie can be refused) or
                ``"opt_in"`` (the stricter reading for hosts whose law requires
                opt-in: special offers and research need consent, the cookies
                that remember you when you register are strictly necessary).

        Raises:
            ValidationError: not a known reading (``invalid_reading``); the reading
                given both ways (``conflicting_arguments``).
        """
        from symprogram.consent import catalogue

        return catalogue.default(*args, reading=reading)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<toml>") -> PolicyCatalogue:
        """Parse one policy (top-level keys) or several (``[[policies]]`` tables).

        Raises:
            CatalogueError: not TOML (``invalid_toml``), nothing in it
                (``empty_catalogue``), or an invalid policy (the message names it).
        """
        from symprogram.consent import catalogue

        return catalogue.from_toml(text, source=source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PolicyCatalogue:
        """Read a TOML policy file.

        Raises:
            CatalogueError: as every catalogue's ``load`` (``invalid_path``,
                ``catalogue_not_found``, ``catalogue_unreadable``, ``invalid_toml``,
                ``empty_catalogue``), or an invalid policy.
        """
        from symprogram.consent import catalogue

        return catalogue.load(path)

    def with_policy(self, policy: Policy) -> PolicyCatalogue:
        """A new catalogue with ``policy`` added after the latest version.

        Raises:
            Conflict-like CatalogueError: the version exists (``duplicate_version``) or it
                does not take effect after the latest one (``not_after_latest``).
        """
        if policy.version in self._rank:
            raise CatalogueError(
                f"policy version {policy.version!r} already exists",
                field="version",
                code="duplicate_version",
            )
        if policy.effective_at <= self.latest.effective_at:
            raise CatalogueError(
                "a new policy version takes effect after the latest one",
                field="effective_at",
                code="not_after_latest",
            )
        return PolicyCatalogue((*self._policies, policy))

    # -- queries -----------------------------------------------------------------
    @property
    def policies(self) -> tuple[Policy, ...]:
        """Every version, oldest first."""
        return self._policies

    @property
    def latest(self) -> Policy:
        """The version with the latest effective date."""
        return self._policies[-1]

    @property
    def versions(self) -> tuple[str, ...]:
        """Every version string, oldest first."""
        return tuple(p.version for p in self._policies)

    def in_effect(self, at: datetime) -> Policy | None:
        """The policy in effect at ``at`` (the latest one effective by then), or ``None``."""
        index = bisect.bisect_right(self._dates, at) - 1
        return self._policies[index] if index >= 0 else None

    def rank_at(self, at: datetime) -> int:
        """The rank of the policy in effect at ``at`` (-1 if none)."""
        return bisect.bisect_right(self._dates, at) - 1

    def get_policy(self, version: str) -> Policy:
        """The policy ``version``.

        Raises:
            NotFound: no such version (code ``policy_not_found``).
        """
        rank = check_found(
            self._rank.get(version) if isinstance(version, str) else None,
            f"no policy version {shown(version)}",
            field="policy_version",
            code="policy_not_found",
        )
        return self._policies[rank]

    get = deprecated_alias("get_policy", old="get", since="0.2")

    def rank(self, version: str) -> int:
        """The position of ``version`` in effect order (-1 if unknown)."""
        return self._rank.get(version, -1) if isinstance(version, str) else -1

    def change(self, version: str) -> PolicyChange:
        """What changed in ``version`` compared with the one before it."""
        self.get_policy(version)
        return self._changes[version]

    def knows(self, purpose: str) -> bool:
        """Whether any version declares ``purpose``."""
        return purpose in self._known

    def basis(self, purpose: str, at: datetime) -> LegalBasis | None:
        """The basis of ``purpose`` under the policy in effect at ``at``."""
        policy = self.in_effect(at)
        declared = None if policy is None else policy.purpose(purpose)
        return None if declared is None else declared.basis

    def material_changes(self, purpose: str, at: datetime) -> tuple[tuple[int, str], ...]:
        """``(rank, version)`` of the material changes affecting ``purpose`` in effect by ``at``."""
        found = self._material.get(purpose)
        if not found:
            return ()
        return tuple((rank, version) for rank, version, effective in found if effective <= at)

    def traffic_changes(self, at: datetime) -> tuple[tuple[int, str], ...]:
        """``(rank, version)`` of the changes in effect by ``at`` that made the traffic
        logs identify visitors or correlated them with personal information
        (:attr:`PolicyChange.traffic_changed`)."""
        return tuple(
            (rank, version) for rank, version, effective in self._traffic if effective <= at
        )

    def site_policy(self, site: str, at: datetime) -> Policy | str:
        """The policy covering ``site`` at ``at``, or the URL of the policy that does.

        ``site`` is read as :func:`~symprogram.consent.models.check_site` reads it
        (``Veritas.com.`` is ``veritas.com``); a site referred to its own policy is
        answered with that policy's URL even when it is also in scope (as
        :func:`~symprogram.consent.rules.check_site_in_scope` refuses it).

        Raises:
            ValidationError: not a site name (``invalid_site``).
            NotFound: the site is neither covered nor referred elsewhere
                (code ``site_not_covered``).
        """
        host = check_site(site)
        policy = self.in_effect(at)
        if policy is not None:
            referral = policy.referral(host)
            if referral is not None:
                return referral.url
            if policy.covers(host):
                return policy
        raise NotFound(f"no policy covers {host!r}", field="site", code="site_not_covered")

    def __len__(self) -> int:
        return len(self._policies)

    def __repr__(self) -> str:
        return f"PolicyCatalogue({', '.join(self.versions)})"
