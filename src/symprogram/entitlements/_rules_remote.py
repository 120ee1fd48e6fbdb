"""Rules of remote access: may a remote session start for a customer at an instant.

The Enterprise Support page: "In order to help you resolve technical issues,
Symantec may offer remote diagnostics and troubleshooting. Before implementing
such remote access we will require your express consent to the service terms."

The Remote Access Standard Terms are versioned in the catalogue, each version
with the instant it comes into force
(:class:`~symprogram.entitlements.RemoteAccessTerms`). At any instant exactly one
version is in force (or none yet), and only express consent to THAT version
counts: a consent to version ``v`` counts from ``effective(v)`` until the next
version comes into force. Pure functions, re-exported by
:mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from symprogram.decisions import Decision, Reason
from symprogram.entitlements._rules_cases import refuse
from symprogram.entitlements.models import (
    EntitlementCatalogue,
    RemoteAccessVersion,
    SupportCase,
)

__all__ = [
    "remote_session_decision",
    "remote_terms_in_force",
    "require_remote_session",
]


def remote_terms_in_force(
    catalogue: EntitlementCatalogue, at: datetime
) -> RemoteAccessVersion | None:
    """The version of the Remote Access Standard Terms in force at ``at``.

    ``None`` when the catalogue offers no remote access or no version had come
    into force yet: the consent port is then not asked.
    """
    terms = catalogue.remote_access
    return None if terms is None else terms.version_at(at)


def remote_session_decision(
    catalogue: EntitlementCatalogue, at: datetime, consented: bool
) -> Decision:
    """May a remote session start at ``at`` for a customer?

    Args:
        catalogue: the catalogue with the terms' versions.
        at: the instant asked about.
        consented: whether the customer had expressly consented, at ``at``, to
            the version in force then (:func:`remote_terms_in_force`; ``False``
            when nobody can be asked).

    Returns:
        Allowed with ``remote_access_consented`` (facts ``terms_version``), or
        refused with ``remote_access_not_offered`` (the catalogue has no terms),
        ``remote_access_terms_not_in_force`` (no version in force yet; facts
        ``effective_from``) or ``remote_access_consent_required`` (facts
        ``terms_version``, ``effective_from``). Details: ``document``,
        ``terms_version``, ``effective_from`` (of the version in force),
        ``next_version`` and ``next_effective_from`` (a newer published version
        from whose instant the consent stops counting).
    """
    terms = catalogue.remote_access
    if terms is None:
        return Decision.deny(
            Reason("remote_access_not_offered", "the catalogue offers no remote access terms"),
            at=at,
            details={"document": None, "terms_version": None},
        )
    version = terms.version_at(at)
    upcoming = terms.next_after(at)
    details: dict[str, Any] = {
        "document": terms.document,
        "terms_version": None if version is None else version.version,
        "effective_from": None if version is None else version.effective_from,
        "next_version": None if upcoming is None else upcoming.version,
        "next_effective_from": None if upcoming is None else upcoming.effective_from,
    }
    if version is None:
        start = None if upcoming is None else upcoming.effective_from
        return Decision.deny(
            Reason(
                "remote_access_terms_not_in_force",
                f"no version of the Remote Access Standard Terms is in force before {start}",
                {"effective_from": start},
            ),
            at=at,
            details=details,
        )
    facts = {"terms_version": version.version, "effective_from": version.effective_from}
    if not consented:
        return Decision.deny(
            Reason(
                "remote_access_consent_required",
                "no express consent to the Remote Access Standard Terms version "
                f"{version.version}, in force then",
                facts,
            ),
            hint=f"ask the customer to consent to the Remote Access Standard Terms "
            f"version {version.version}",
            at=at,
            details=details,
        )
    return Decision.allow(
        Reason(
            "remote_access_consented",
            "express consent to the Remote Access Standard Terms version "
            f"{version.version}, in force then",
            facts,
        ),
        at=at,
        details=details,
    )


def require_remote_session(case: SupportCase, decision: Decision) -> None:
    """Refuse a remote session on ``case`` that :func:`remote_session_decision` refuses.

    Raises:
        PermissionDenied: the decision's first reason is the code
            (``remote_access_consent_required``, ``remote_access_not_offered``,
            ``remote_access_terms_not_in_force``); details ``terms_version``,
            ``document``, ``reasons`` and ``hint``.
    """
    if decision.allowed:
        return
    refuse(
        decision,
        f"no remote session on case {case.case_id!r} for customer {case.customer_id!r}",
        field="case_id" if decision.codes[0] == "remote_access_not_offered" else "customer_id",
        terms_version=decision.detail("terms_version"),
        document=decision.detail("document"),
    )
