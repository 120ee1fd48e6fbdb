"""Every text the awards context sends.

Today that is one message: the e-mail that carries a disclosure's verification
code to the third party the candidate published awards to.
"""

from __future__ import annotations

from datetime import datetime

from symprogram.notify import Message

__all__ = ["DISCLOSURE_KIND", "disclosure_message"]

DISCLOSURE_KIND = "award_disclosure"
"""The ``kind`` of the message that carries a disclosure's verification code."""


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

    "publish your certifications to third parties via email" (seed 000).
    """
    return Message(
        to=to,
        kind=DISCLOSURE_KIND,
        subject=f"{holder_name} shared program awards with you",
        body=(
            f"{holder_name} has published these awards to you: {'; '.join(award_names)}.\n"
            f"Verify them with the code {code} until {expires_at.date().isoformat()}."
        ),
        data={
            "code": code,
            "disclosure_id": disclosure_id,
            "award_ids": list(award_ids),
            "expires_at": expires_at.isoformat(),
        },
    )
