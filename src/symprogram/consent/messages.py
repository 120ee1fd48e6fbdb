"""Every text the consent context shows or sends: the notices.

Pure functions of the policy they belong to; the service and the rules never
build a notice's words themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from symprogram._guard import guard_public
from symprogram.consent.models import (
    CoBrandedSite,
    ContactPoint,
    ContactUse,
    LegalBasis,
    Notice,
    NoticeKind,
    Policy,
)

__all__ = ["cobranded_notice", "forum_notice", "material_change_notice", "opt_out_instructions"]

DEFAULT_FORUM_TEXT = "Information you submit in a discussion group or forum is public information."


def forum_notice(policy: Policy) -> Notice:
    """The notice to show before posting in a discussion group or forum (public information)."""
    return Notice(
        kind=NoticeKind.FORUM_PUBLIC,
        title="Information you post here is public",
        text=policy.forum_notice or DEFAULT_FORUM_TEXT,
        policy_version=policy.version,
        recipients=("anyone who reads the forum",),
    )


def cobranded_notice(policy: Policy, site: CoBrandedSite) -> Notice:
    """The notice for a co-branded site: what is submitted also goes to its partners."""
    return Notice(
        kind=NoticeKind.COBRANDED_SITE,
        title=f"{site.name} is run with our business partners",
        text=policy.cobranded_statement
        or (
            f"When you submit information to {site.name} you may be submitting it to both "
            "us and our business partners, and the privacy policies of co-branded sites "
            "may differ from this privacy policy."
        ),
        policy_version=policy.version,
        recipients=site.partners,
    )


def opt_out_instructions(contact_points: Iterable[ContactPoint]) -> str:
    """How to opt out through ``contact_points``, one ``"<name>: <address>"`` each.

    Falls back to a sentence without addresses when the policy names none.
    """
    return _listed(
        contact_points,
        "You can opt out of such use using one of the options below:",
        "You can opt out of such use by contacting us.",
    )


def _listed(contact_points: Iterable[ContactPoint], intro: str, fallback: str) -> str:
    """``intro`` and one ``"- <name>: <address>"`` line per contact point, or
    ``fallback`` when there is none."""
    lines = [point.one_line for point in contact_points]
    if not lines:
        return fallback
    return intro + "\n" + "\n".join(f"- {line}" for line in lines)


def _reach(contact_points: Iterable[ContactPoint]) -> str:
    """How to reach us through ``contact_points`` (for a change of necessary uses only,
    where no opt-out of a purpose is offered)."""
    return _listed(
        contact_points,
        "You can reach us through one of the options below:",
        "Contact us to close your account.",
    )


def _necessary_instructions(titles: list[str]) -> str:
    """How to opt out of a changed use that is necessary for a service (none: ``""``).

    Such a use cannot be refused while the service is used
    (``necessary_cannot_be_refused``), so the way out of it the notice gives is the
    one that works: no longer using that service, or closing the account.
    """
    if not titles:
        return ""
    return (
        "The new use for " + ", ".join(titles) + " is necessary to provide a service "
        "you ask of us: you can opt out of it only by no longer using that service, or "
        "by closing your account. "
    )


def _traffic_sentence(policy: Policy, changed: Iterable[str]) -> str:
    """What a change of the traffic logs does (``PolicyChange.traffic_changed``), or ``""``."""
    traffic = policy.traffic
    if traffic is None or not tuple(changed):
        return ""
    ways = []
    if traffic.identifies_you:
        ways.append("identify you")
    if traffic.correlated_with_personal_information:
        ways.append("be correlated with your personal information")
    if not ways:
        return ""
    logged = ", ".join(item.replace("_", " ") for item in traffic.items)
    return f"What our web servers log about your visits ({logged}) will {' and '.join(ways)}. "


def material_change_notice(
    policy: Policy, affected: Iterable[str], *, traffic: Iterable[str] = ()
) -> Notice:
    """The prominent notice of a material change to ``policy``'s use of ``affected`` purposes.

    The privacy policy: "If the change involves the use of your personally
    identifiable information, the notice will contain instructions on how you can
    opt-out of such use." The instructions name the policy's contact points for
    changing communication preferences (the Customer Profile Form, postal mail,
    the main phone), with their addresses, taken from the policy's data.

    It names the uses ``policy``'s own change affects, nothing earlier: recording
    it (``record_notice``) is notice of that version's change only
    (:func:`symprogram.consent.rules.notified_of`), so each version's notice is
    sent to those who have not had it. ``traffic`` (``PolicyChange.traffic_changed``)
    says the change makes the web servers' traffic logs identify visitors or
    correlates them with personal information: the notice says so.
    """
    titles = {p.id: p.title for p in policy.purposes}
    necessary = {p.id for p in policy.purposes if p.basis is LegalBasis.NECESSARY}
    points = policy.contact_points_for(ContactUse.PREFERENCES)
    uses = list(affected)
    needed = [titles[p] for p in uses if p in necessary]
    return Notice(
        kind=NoticeKind.MATERIAL_CHANGE,
        title=f"Important changes to our privacy policy (version {policy.version})",
        text=(
            f"Our privacy policy changes on {policy.effective_at.date().isoformat()}. It "
            "changes how we use your personal information for: "
            + ", ".join(titles[p] for p in uses)
            + ". "
            + _traffic_sentence(policy, traffic)
            + "Until we have notified you, we will not use your information in the new "
            "ways. "
            + _necessary_instructions(needed)
            + (opt_out_instructions(points) if len(needed) < len(uses) else _reach(points))
        ),
        policy_version=policy.version,
        prominent=True,
        contact_points=points,
    )


guard_public(globals(), __all__)
