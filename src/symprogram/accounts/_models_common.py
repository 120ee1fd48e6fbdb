"""Limits, enumerations and field helpers shared by the accounts models.

Private: everything public here is re-exported by :mod:`symprogram.accounts.models`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from symprogram._checks import check_instant, check_int
from symprogram.accounts import _text
from symprogram.errors import ValidationError

MAX_EMAIL_LENGTH = _text.MAX_EMAIL_LENGTH
"""Longest e-mail address (RFC 5321 path limit)."""
MAX_NAME_LENGTH = 100
"""Longest given or family name."""
MAX_COMPANY_LENGTH = 200
"""Longest company name or partner company."""
MAX_ADDRESS_LINES = 4
"""Most street lines in a postal address."""
MAX_ADDRESS_LINE_LENGTH = 200
"""Longest street line of a postal address."""
MAX_CITY_LENGTH = 100
"""Longest city or region."""
MAX_POSTAL_CODE_LENGTH = 20
"""Longest postal code."""
MAX_INCIDENT_TITLE_LENGTH = 200
"""Longest incident title."""
MAX_INCIDENT_MESSAGE_LENGTH = 10_000
"""Longest incident message."""
MAX_INCIDENT_MESSAGES = 500
"""Most messages in one incident."""
MAX_REASON_LENGTH = 500
"""Longest reason given for suspending or closing an account."""
MAX_REGISTRATION_NUMBER_LENGTH = 32
"""Longest exam registration number."""
MAX_EXAM_CODE_LENGTH = 32
"""Longest exam code."""
MAX_REPORT_NAME_LENGTH = 200
"""Longest candidate name printed on a score report."""
MAX_TEST_CENTRE_LENGTH = 200
"""Longest test centre name."""
MAX_PASSWORD_LENGTH = 256
"""Longest password accepted (longer input is refused before hashing)."""
_MAX_SCORE = 1_000_000


def normalize_email(value: object, *, field: str = "email") -> str:
    """Return the normalized form of an e-mail address (``email-validator``, no network).

    Raises:
        ValidationError: not an e-mail address (code ``invalid_email``).
        LimitExceeded: longer than :data:`MAX_EMAIL_LENGTH` (code ``text_too_long``).

    Example:
        >>> normalize_email("  Ada@EXAMPLE.com ")
        'Ada@example.com'
    """
    return _text.email(value, field)


def _details(value: object) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(sorted((str(k), str(x)) for k, x in value))  # type: ignore[attr-defined]
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            "details are (name, value) pairs", field="details", code="invalid_type"
        ) from exc


def _version_field(value: object) -> int:
    return check_int(value, "version", minimum=0, code="invalid_version")


# -- field converters ------------------------------------------------------------------


def _opt_instant(value: object, field: str) -> datetime | None:
    return None if value is None else check_instant(value, field)


# -- enumerations ------------------------------------------------------------------------


class AccountStatus(StrEnum):
    """Where an account is in its life cycle.

    ``pending_activation -> active -> suspended / closed``; a suspended account
    may be reinstated; ``closed`` is final. "New users to the system will be
    issued a candidate ID and advised of steps to complete the account
    activation process." (the Terms of Use v.2007.507)
    """

    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class AcceptancePath(StrEnum):
    """Which acceptance link of the Terms of Use v.2007.507 was followed.

    * ``create_account`` — "I agree to these terms and want to create a new account";
    * ``score_report`` — "I agree to these terms and have a Score Report".
    """

    CREATE_ACCOUNT = "create_account"
    SCORE_REPORT = "score_report"


class NotificationCategory(StrEnum):
    """Kinds of messages a candidate may receive.

    "manage notifications you may or may not want to receive" (the Terms of Use
    v.2007.507).
    Program notices cannot be switched off; newsletters and offers also need the
    consent context's permission.
    """

    PROGRAM_NOTICES = "program_notices"
    ACHIEVEMENT_KITS = "achievement_kits"
    EXPIRY_REMINDERS = "expiry_reminders"
    NEWSLETTERS = "newsletters"
    OFFERS = "offers"


MANDATORY_CATEGORIES = frozenset({NotificationCategory.PROGRAM_NOTICES})
"""Categories that are always on."""

MARKETING_CATEGORIES = frozenset({NotificationCategory.NEWSLETTERS, NotificationCategory.OFFERS})
"""Categories that also need the consent context's permission."""

_DEFAULT_ON = frozenset(
    {
        NotificationCategory.PROGRAM_NOTICES,
        NotificationCategory.ACHIEVEMENT_KITS,
        NotificationCategory.EXPIRY_REMINDERS,
    }
)


class IncidentStatus(StrEnum):
    """Support incident status: ``open -> in_progress -> resolved -> closed``.

    A resolved or closed incident may be reopened within the reopen window.
    """

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class IncidentCategory(StrEnum):
    """What an incident is about."""

    GENERAL = "general"
    ACCOUNT = "account"
    SCORE_REPORT = "score_report"
    CERTIFICATION = "certification"


class MessageAuthor(StrEnum):
    """Who wrote an incident message."""

    CANDIDATE = "candidate"
    SUPPORT = "support"
