"""Every text the consent context shows or sends: the notices.

Pure functions of the policy they belong to; the service and the rules never
build a notice's words themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from symprogram.consent.models import CoBrandedSite, Notice, NoticeKind, Policy

__all__ = ["cobranded_notice", "forum_notice", "material_change_notice"]

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
        text=(
            f"When you submit information to {site.name} you may be submitting it to both "
            "us and our business partners, and the privacy policies of co-branded sites "
            "may differ from this privacy policy."
        ),
        policy_version=policy.version,
        recipients=site.partners,
    )


def material_change_notice(policy: Policy, affected: Iterable[str]) -> Notice:
    """The prominent notice of a material change to ``policy``'s use of ``affected`` purposes."""
    titles = {p.id: p.title for p in policy.purposes}
    return Notice(
        kind=NoticeKind.MATERIAL_CHANGE,
        title=f"Important changes to our privacy policy (version {policy.version})",
        text=(
            f"Our privacy policy changes on {policy.effective_at.date().isoformat()}. It "
            "changes how we use your personal information for: "
            + ", ".join(titles[p] for p in affected)
            + ". You can opt out of such use through the customer profile form, by "
            "email, postal mail or phone; until we have notified you, we will not use "
            "your information in the new ways."
        ),
        policy_version=policy.version,
        prominent=True,
    )
