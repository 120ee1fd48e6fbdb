"""Every text the awards context sends.

The e-mail that carries a disclosure's verification code to the third party the
candidate published awards to, and the candidate's achievement-kit notices (a kit
held for want of a postal address, a kit shipped), which go out only while the
candidate's ``achievement_kits`` notification is on, and the reminder that an award
expires soon, which goes out only while the ``expiry_reminders`` notification is on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from symprogram._guard import guard_public
from symprogram.awards._rules_reminders import RenewalAdvice
from symprogram.notify import Message

__all__ = [
    "DISCLOSURE_KIND",
    "EXPIRY_REMINDER_KIND",
    "KIT_HELD_KIND",
    "KIT_SHIPPED_KIND",
    "disclosure_message",
    "expiry_reminder_message",
    "kit_held_message",
    "kit_shipped_message",
    "moment",
]

DISCLOSURE_KIND = "award_disclosure"
"""The ``kind`` of the message that carries a disclosure's verification code."""

KIT_HELD_KIND = "achievement_kit_held"
"""The ``kind`` of the notice that a kit is held until a postal address is on file."""

KIT_SHIPPED_KIND = "achievement_kit_shipped"
"""The ``kind`` of the notice that a kit was shipped."""

EXPIRY_REMINDER_KIND = "award_expiry_reminder"
"""The ``kind`` of the reminder that an award expires soon."""


def moment(at: datetime) -> str:
    """``at`` as a reader takes it, to the minute and in UTC (``2014-03-01 00:00 UTC``).

    An award expires at an instant: its expiry named as a bare date would read as a
    day it is still valid, while at 00:00 UTC it has already ended (and in New York
    it ended the evening before).
    """
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _renewal_text(advice: RenewalAdvice) -> str:
    if advice.retired:
        return (
            "It is no longer issued: it can be neither renewed nor earned again, and "
            "you hold it until it expires."
        )
    if not advice.renewable:
        return (
            "It can no longer be renewed: once it has expired, earn it (or the award "
            "that replaces it) again."
        )
    when = (
        "You can renew it now"
        if advice.opens_at is None
        else f"You can renew it from {moment(advice.opens_at)}"
    )
    needs = "" if advice.requirement is None else f"; renewing takes: {advice.requirement}"
    return f"{when}, before it expires{needs}."


def expiry_reminder_message(
    *,
    to: str,
    award_name: str,
    award_id: str,
    grant_id: str,
    expires_at: datetime,
    advice: RenewalAdvice,
) -> Message:
    """The reminder that ``award_name`` expires at ``expires_at``, and how to renew it.

    "manage notifications you may or may not want to receive" (Terms of Use
    v.2007.507): sent only while the candidate's ``expiry_reminders`` notification
    is on. ``advice``: the catalogue's renewal window and requirements.
    """
    when = moment(expires_at)
    return Message(
        to=to,
        kind=EXPIRY_REMINDER_KIND,
        subject=f"Your {award_name} expires at {when}",
        body=f"Your award {award_name} expires at {when}. {_renewal_text(advice)}",
        data={
            "award_id": award_id,
            "grant_id": grant_id,
            "expires_at": expires_at.isoformat(),
            "renewable": advice.renewable,
            "renewal_opens_at": None if advice.opens_at is None else advice.opens_at.isoformat(),
            "renewal_requirement": advice.requirement,
            "retired": advice.retired,
        },
    )


def kit_held_message(*, to: str, award_name: str, kit_id: str, reason: str) -> Message:
    """The notice that the achievement kit for ``award_name`` waits for a postal address.

    "Be sure to keep all of your contact information current through the "Update
    Personal Info" link in order to ensure we can contact you as necessary (i.e.
    important emails, certification achievement kits, etc)" (Terms of Use v.2007.507).
    """
    return Message(
        to=to,
        kind=KIT_HELD_KIND,
        subject=f"Your achievement kit for {award_name} is waiting for your postal address",
        body=(
            f"Congratulations on earning {award_name}. We are holding your certification "
            "achievement kit because no postal address is on file. Add one through the "
            '"Update Personal Info" link and the kit will be sent.'
        ),
        data={"kit_id": kit_id, "reason": reason},
    )


def kit_shipped_message(*, to: str, award_name: str, kit_id: str, tracking: str | None) -> Message:
    """The notice that the achievement kit for ``award_name`` was shipped."""
    follow = f" Its tracking number is {tracking}." if tracking else ""
    return Message(
        to=to,
        kind=KIT_SHIPPED_KIND,
        subject=f"Your achievement kit for {award_name} is on its way",
        body=f"Your certification achievement kit for {award_name} was shipped.{follow}",
        data={"kit_id": kit_id, "tracking": tracking},
    )


def disclosure_message(
    *,
    to: str,
    holder_name: str,
    award_names: list[str],
    code: str,
    disclosure_id: str,
    award_ids: tuple[str, ...],
    expires_at: datetime,
) -> Message:
    """The e-mail telling ``to`` which awards ``holder_name`` published, and the code.

    "publish your certifications to third parties via email" (the Terms of Use v.2007.507).
    """
    return Message(
        to=to,
        kind=DISCLOSURE_KIND,
        subject=f"{holder_name} shared program awards with you",
        body=(
            f"{holder_name} has published these awards to you: {'; '.join(award_names)}.\n"
            f"Verify them with the code {code} until {moment(expires_at)}."
        ),
        data={
            "code": code,
            "disclosure_id": disclosure_id,
            "award_ids": list(award_ids),
            "expires_at": expires_at.isoformat(),
        },
    )


guard_public(globals(), __all__)
