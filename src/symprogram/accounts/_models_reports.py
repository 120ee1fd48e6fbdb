"""The score report and support incident models.

Private: re-exported by :mod:`symprogram.accounts.models`.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from symprogram._checks import (
    check_date,
    check_enum,
    check_instant,
    check_int,
    check_length,
    validator,
)
from symprogram.accounts import _text
from symprogram.accounts._models_common import (
    _MAX_SCORE,
    MAX_EXAM_CODE_LENGTH,
    MAX_INCIDENT_MESSAGE_LENGTH,
    MAX_INCIDENT_MESSAGES,
    MAX_REGISTRATION_NUMBER_LENGTH,
    MAX_REPORT_NAME_LENGTH,
    MAX_TEST_CENTRE_LENGTH,
    IncidentCategory,
    IncidentStatus,
    MessageAuthor,
    _details,
    _opt_instant,
    _version_field,
    normalize_email,
)
from symprogram.errors import ValidationError

# -- score reports --------------------------------------------------------------------------


def normalize_registration_number(value: object) -> str:
    """Return a registration number in its stored form: stripped, upper case.

    Raises:
        ValidationError: anything but ASCII letters, digits and hyphens
            (``invalid_registration_number``).
        LimitExceeded: longer than :data:`MAX_REGISTRATION_NUMBER_LENGTH` (``text_too_long``).

    Example:
        >>> normalize_registration_number(" ab-123 ")
        'AB-123'
    """
    return _text.ascii_code(
        value,
        "registration_number",
        MAX_REGISTRATION_NUMBER_LENGTH,
        extra="-",
        message="a registration number has ASCII letters, digits and hyphens only",
        upper=True,
    )


def _exam_code(value: object) -> str:
    return _text.ascii_code(
        value,
        "exam_code",
        MAX_EXAM_CODE_LENGTH,
        extra="-._",
        message="an exam code has ASCII letters, digits and - . _ only",
        upper=True,
    )


def _score_report_candidate_name(value: object) -> str:
    return _text.line(value, "candidate_name", MAX_REPORT_NAME_LENGTH)


def _score_report_score(value: object) -> int:
    return check_int(value, "score", minimum=0, maximum=_MAX_SCORE, code="invalid_score")


def _score_report_passing_score(value: object) -> int:
    return check_int(value, "passing_score", minimum=0, maximum=_MAX_SCORE, code="invalid_score")


def _score_report_test_centre(value: object) -> str:
    return _text.line(value, "test_centre", MAX_TEST_CENTRE_LENGTH)


def _score_report_recorded_at(value: object) -> datetime:
    return check_instant(value, "recorded_at")


def _score_report_claimed_at(value: object) -> datetime | None:
    return _opt_instant(value, "claimed_at")


@attrs.frozen
class ScoreReport:
    """An exam score report, recorded before any account exists and claimable once.

    Attributes:
        registration_number: the exam registration number (upper case), the key.
        exam_code: the exam taken, e.g. ``"250-251"``.
        candidate_name: the name printed on the report.
        email: the address given at the exam (normalized).
        score: the score obtained.
        passing_score: the score needed to pass.
        exam_date: the day of the exam.
        test_centre: where it was taken.
        recorded_at: when it was recorded.
        claimed_by: the candidate ID that claimed it, once claimed.
        claimed_at: when it was claimed.
        version: storage version.
    """

    registration_number: str = attrs.field(converter=normalize_registration_number)
    exam_code: str = attrs.field(converter=_exam_code)
    candidate_name: str = attrs.field(converter=_score_report_candidate_name)
    email: str = attrs.field(converter=normalize_email)
    score: int = attrs.field(converter=_score_report_score)
    passing_score: int = attrs.field(converter=_score_report_passing_score)
    exam_date: date = attrs.field(validator=validator(check_date))
    test_centre: str = attrs.field(converter=_score_report_test_centre)
    recorded_at: datetime = attrs.field(converter=_score_report_recorded_at)
    claimed_by: str | None = None
    claimed_at: datetime | None = attrs.field(default=None, converter=_score_report_claimed_at)
    version: int = attrs.field(default=0, validator=lambda _s, _a, v: _version_field(v))

    @property
    def passed(self) -> bool:
        """Whether the score reaches the passing score."""
        return self.score >= self.passing_score

    @property
    def claimed(self) -> bool:
        """Whether an account has claimed it."""
        return self.claimed_by is not None


# -- incidents ----------------------------------------------------------------------------


def _incident_message_author(value: object) -> MessageAuthor:
    return check_enum(MessageAuthor, value, "author")


def _incident_message_body(value: object) -> str:
    return _text.paragraph(value, "body", MAX_INCIDENT_MESSAGE_LENGTH)


def _incident_message_at(value: object) -> datetime:
    return check_instant(value, "at")


@attrs.frozen
class IncidentMessage:
    """One message in an incident conversation.

    Attributes:
        author: the candidate or customer support.
        body: the text (line breaks allowed).
        at: when it was posted.
    """

    author: MessageAuthor = attrs.field(converter=_incident_message_author)
    body: str = attrs.field(converter=_incident_message_body)
    at: datetime = attrs.field(converter=_incident_message_at)


def _messages(value: object) -> tuple[IncidentMessage, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(m, IncidentMessage) for m in value
    ):
        raise ValidationError(
            "messages are IncidentMessage objects", field="messages", code="invalid_type"
        )
    return check_length(
        tuple(value),
        "messages",
        limit=MAX_INCIDENT_MESSAGES,
        code="too_many_messages",
        message=f"an incident holds at most {MAX_INCIDENT_MESSAGES} messages",
    )


def _incident_title(value: object) -> str:
    return _text.line(value, "title", 200)


def _incident_category(value: object) -> IncidentCategory:
    return check_enum(IncidentCategory, value, "category")


def _incident_status(value: object) -> IncidentStatus:
    return check_enum(IncidentStatus, value, "status")


def _incident_opened_at(value: object) -> datetime:
    return check_instant(value, "opened_at")


def _incident_updated_at(value: object) -> datetime:
    return check_instant(value, "updated_at")


def _incident_resolved_at(value: object) -> datetime | None:
    return _opt_instant(value, "resolved_at")


@attrs.frozen
class Incident:
    """A support incident a candidate logged "for follow up" (the Terms of Use v.2007.507).

    Attributes:
        incident_id: identifier, e.g. ``"INC-3F9A0C12D4E5"``.
        candidate_id: whose incident it is.
        title: a one-line summary.
        category: what it is about.
        status: ``open``, ``in_progress``, ``resolved`` or ``closed``.
        opened_at: when it was logged.
        updated_at: when it last changed.
        resolved_at: when it was last resolved (starts the reopen window).
        messages: the conversation with customer support, oldest first.
        details: sorted ``(name, value)`` facts, e.g. the contested registration number.
        version: storage version.
    """

    incident_id: str
    candidate_id: str
    title: str = attrs.field(converter=_incident_title)
    category: IncidentCategory = attrs.field(converter=_incident_category)
    status: IncidentStatus = attrs.field(converter=_incident_status)
    opened_at: datetime = attrs.field(converter=_incident_opened_at)
    updated_at: datetime = attrs.field(converter=_incident_updated_at)
    resolved_at: datetime | None = attrs.field(default=None, converter=_incident_resolved_at)
    messages: tuple[IncidentMessage, ...] = attrs.field(default=(), converter=_messages)
    details: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_details)
    version: int = attrs.field(default=0, validator=lambda _s, _a, v: _version_field(v))
