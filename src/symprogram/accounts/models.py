"""The accounts models: terms of use, candidates, contact details, score reports, incidents.

Every model is a frozen attrs class that validates itself on construction and
raises a :class:`~symprogram.errors.SymprogramError` subclass with a stable
code and field. Text limits (characters, after surrounding whitespace is
stripped) are module constants, documented in ``docs/accounts.md``:

================================  =====
field                             limit
================================  =====
e-mail address                    254
given name, family name           100
company name, partner company     200
telephone number                  32
postal address line (1-4 lines)   200
city, region                      100
postal code                       20
incident title                    200
incident message                  10 000
incident messages per incident    500
status change reason              500
score report registration number  32
exam code                         32
name on a score report            200
test centre                       200
password                          256
================================  =====

Names and other single-line fields refuse control characters and line breaks
(code ``control_characters``); every text field refuses lone surrogates
(``invalid_unicode``). Anything else, right-to-left marks, zero-width joiners,
combining characters and emoji included, is stored and read back unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

import attrs

from symprogram.accounts import _text
from symprogram.clock import ensure_utc
from symprogram.errors import LimitExceeded, ValidationError

__all__ = [
    "ERASED_EMAIL",
    "ERASED_TEXT",
    "MANDATORY_CATEGORIES",
    "MARKETING_CATEGORIES",
    "MAX_ADDRESS_LINES",
    "MAX_ADDRESS_LINE_LENGTH",
    "MAX_CITY_LENGTH",
    "MAX_COMPANY_LENGTH",
    "MAX_EMAIL_LENGTH",
    "MAX_EXAM_CODE_LENGTH",
    "MAX_INCIDENT_MESSAGES",
    "MAX_INCIDENT_MESSAGE_LENGTH",
    "MAX_INCIDENT_TITLE_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MAX_POSTAL_CODE_LENGTH",
    "MAX_REASON_LENGTH",
    "MAX_REGISTRATION_NUMBER_LENGTH",
    "MAX_REPORT_NAME_LENGTH",
    "MAX_TEST_CENTRE_LENGTH",
    "AcceptancePath",
    "AccountErasure",
    "AccountSettings",
    "AccountStatus",
    "Candidate",
    "ContactDetails",
    "Incident",
    "IncidentCategory",
    "IncidentMessage",
    "IncidentStatus",
    "MessageAuthor",
    "NotificationCategory",
    "NotificationPreferences",
    "NotificationSetting",
    "PostalAddress",
    "RegistrationReceipt",
    "ScoreReport",
    "TermsAcceptance",
    "TermsReceipt",
    "TermsVersion",
    "erased_contact",
    "normalize_email",
    "normalize_registration_number",
    "text_digest",
]

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


_E = TypeVar("_E", bound=StrEnum)


def _enum_value(cls: type[_E], value: object, field: str) -> _E:
    try:
        return cls(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        allowed = ", ".join(m.value for m in cls)
        raise ValidationError(
            f"{field} must be one of {allowed}", field=field, code=f"invalid_{field}"
        ) from exc


def _details(value: object) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(sorted((str(k), str(x)) for k, x in value))  # type: ignore[attr-defined]
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            "details are (name, value) pairs", field="details", code="invalid_type"
        ) from exc


def _version_field(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            "version must be a non-negative integer", field="version", code="invalid_version"
        )
    return value


# -- field converters (named functions, as mypy's attrs plugin requires) ---------------


def _utc_effective(value: object) -> datetime:
    return ensure_utc(value, field="effective")


def _utc_accepted_at(value: object) -> datetime:
    return ensure_utc(value, field="accepted_at")


def _utc_registered_at(value: object) -> datetime:
    return ensure_utc(value, field="registered_at")


def _utc_status_changed_at(value: object) -> datetime:
    return ensure_utc(value, field="status_changed_at")


def _utc_contact_reviewed_at(value: object) -> datetime:
    return ensure_utc(value, field="contact_reviewed_at")


def _utc_requested_at(value: object) -> datetime:
    return ensure_utc(value, field="requested_at")


def _utc_recorded_at(value: object) -> datetime:
    return ensure_utc(value, field="recorded_at")


def _utc_at(value: object) -> datetime:
    return ensure_utc(value, field="at")


def _utc_opened_at(value: object) -> datetime:
    return ensure_utc(value, field="opened_at")


def _utc_updated_at(value: object) -> datetime:
    return ensure_utc(value, field="updated_at")


def _opt_utc_expires_at(value: object) -> datetime | None:
    return None if value is None else ensure_utc(value, field="expires_at")


def _opt_utc_claimed_at(value: object) -> datetime | None:
    return None if value is None else ensure_utc(value, field="claimed_at")


def _opt_utc_resolved_at(value: object) -> datetime | None:
    return None if value is None else ensure_utc(value, field="resolved_at")


def _opt_utc_erased_at(value: object) -> datetime | None:
    return None if value is None else ensure_utc(value, field="erased_at")


def _utc_erased_at(value: object) -> datetime:
    return ensure_utc(value, field="erased_at")


def _enum_path(value: object) -> AcceptancePath:
    return _enum_value(AcceptancePath, value, "path")


def _enum_status(value: object) -> AccountStatus:
    return _enum_value(AccountStatus, value, "status")


def _enum_incident_status(value: object) -> IncidentStatus:
    return _enum_value(IncidentStatus, value, "status")


def _enum_author(value: object) -> MessageAuthor:
    return _enum_value(MessageAuthor, value, "author")


def _enum_category(value: object) -> IncidentCategory:
    return _enum_value(IncidentCategory, value, "category")


def _score_score(value: object) -> int:
    return _score_value(value, "score")


def _score_passing_score(value: object) -> int:
    return _score_value(value, "passing_score")


def _line_title(value: object) -> str:
    return _text.line(value, "title", 200)


def _paragraph_text(value: object) -> str:
    return _text.paragraph(value, "text", 200_000)


def _line_city(value: object) -> str:
    return _text.line(value, "city", MAX_CITY_LENGTH)


def _optional_line_region(value: object) -> str | None:
    return _text.optional_line(value, "region", MAX_CITY_LENGTH)


def _optional_line_postal_code(value: object) -> str | None:
    return _text.optional_line(value, "postal_code", MAX_POSTAL_CODE_LENGTH)


def _line_given_name(value: object) -> str:
    return _text.line(value, "given_name", MAX_NAME_LENGTH)


def _line_family_name(value: object) -> str:
    return _text.line(value, "family_name", MAX_NAME_LENGTH)


def _line_company_name(value: object) -> str:
    return _text.line(value, "company_name", MAX_COMPANY_LENGTH)


def _line_partner_company(value: object) -> str:
    return _text.line(value, "partner_company", MAX_COMPANY_LENGTH)


def _line_candidate_name(value: object) -> str:
    return _text.line(value, "candidate_name", MAX_REPORT_NAME_LENGTH)


def _line_test_centre(value: object) -> str:
    return _text.line(value, "test_centre", MAX_TEST_CENTRE_LENGTH)


def _paragraph_body(value: object) -> str:
    return _text.paragraph(value, "body", MAX_INCIDENT_MESSAGE_LENGTH)


# -- enumerations ------------------------------------------------------------------------


class AccountStatus(StrEnum):
    """Where an account is in its life cycle.

    ``pending_activation -> active -> suspended / closed``; a suspended account
    may be reinstated; ``closed`` is final. "New users to the system will be
    issued a candidate ID and advised of steps to complete the account
    activation process." (seed 000)
    """

    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class AcceptancePath(StrEnum):
    """Which acceptance link was followed (seed 000).

    * ``create_account`` — "I agree to these terms and want to create a new account";
    * ``score_report`` — "I agree to these terms and have a Score Report".
    """

    CREATE_ACCOUNT = "create_account"
    SCORE_REPORT = "score_report"


class NotificationCategory(StrEnum):
    """Kinds of messages a candidate may receive.

    "manage notifications you may or may not want to receive" (seed 000).
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


# -- settings ------------------------------------------------------------------------------


def _positive_delta(field: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, timedelta) or value <= timedelta(0):
            raise ValidationError(
                f"{field} must be a positive timedelta", field=field, code="invalid_setting"
            )

    return check


def _positive_int(field: str, maximum: int = 1_000) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
            raise ValidationError(
                f"{field} must be an integer from 1 to {maximum}",
                field=field,
                code="invalid_setting",
            )

    return check


@attrs.frozen
class AccountSettings:
    """Tunables of the accounts context, with sensible defaults.

    Attributes:
        activation_ttl: lifetime of an activation link.
        resend_limit: activation e-mails per address within ``resend_window``.
        resend_window: the window of ``resend_limit``.
        reset_ttl: lifetime of a password reset link.
        reset_limit: reset requests per address within ``resend_window``.
        email_verification_ttl: lifetime of a new-address verification link.
        terms_receipt_ttl: how long a terms acceptance may wait for its registration.
        contact_review_period: "keep your contact information current": contact
            details not reviewed for this long are flagged.
        incident_reopen_window: how long after resolution an incident may be reopened.
        password_min_length: the shortest password accepted.
    """

    activation_ttl: timedelta = attrs.field(
        default=timedelta(days=7), validator=_positive_delta("activation_ttl")
    )
    resend_limit: int = attrs.field(default=3, validator=_positive_int("resend_limit"))
    resend_window: timedelta = attrs.field(
        default=timedelta(hours=1), validator=_positive_delta("resend_window")
    )
    reset_ttl: timedelta = attrs.field(
        default=timedelta(hours=2), validator=_positive_delta("reset_ttl")
    )
    reset_limit: int = attrs.field(default=3, validator=_positive_int("reset_limit"))
    email_verification_ttl: timedelta = attrs.field(
        default=timedelta(days=2), validator=_positive_delta("email_verification_ttl")
    )
    terms_receipt_ttl: timedelta = attrs.field(
        default=timedelta(days=1), validator=_positive_delta("terms_receipt_ttl")
    )
    contact_review_period: timedelta = attrs.field(
        default=timedelta(days=365), validator=_positive_delta("contact_review_period")
    )
    incident_reopen_window: timedelta = attrs.field(
        default=timedelta(days=14), validator=_positive_delta("incident_reopen_window")
    )
    password_min_length: int = attrs.field(
        default=10, validator=_positive_int("password_min_length", MAX_PASSWORD_LENGTH)
    )


# -- terms of use --------------------------------------------------------------------------


def _terms_version(value: object) -> str:
    text = _text.line(value, "terms_version", 32)
    if not all(ch.isascii() and (ch.isalnum() or ch in ".-_") for ch in text):
        raise ValidationError(
            "a terms version has ASCII letters, digits and . - _ only",
            field="terms_version",
            code="invalid_terms_version",
        )
    return text


def _paths(value: object) -> frozenset[AcceptancePath]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ValidationError(
            "acceptance_paths is a collection of paths",
            field="acceptance_paths",
            code="invalid_acceptance_path",
        )
    paths = frozenset(_enum_value(AcceptancePath, v, "acceptance_path") for v in value)
    if not paths:
        raise ValidationError(
            "a terms version offers at least one acceptance path",
            field="acceptance_paths",
            code="invalid_acceptance_path",
        )
    return paths


def text_digest(text: str) -> str:
    """SHA-256 hex digest of a terms text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class TermsVersion:
    """One version of the Terms of Use, with its effective instant and text digest.

    Build one with :meth:`create`, which computes the digest.

    Attributes:
        version: e.g. ``"2007.507"`` (the seed prints ``v.2007.507``).
        effective: the instant it takes effect (UTC).
        title: e.g. ``"Terms of Use"``.
        text: the exact wording.
        digest: SHA-256 hex digest of ``text``; checked on construction.
        acceptance_paths: the acceptance links it offers.
    """

    version: str = attrs.field(converter=_terms_version)
    effective: datetime = attrs.field(converter=_utc_effective)
    title: str = attrs.field(converter=_line_title)
    text: str = attrs.field(converter=_paragraph_text)
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


@attrs.frozen
class TermsAcceptance:
    """The record that a person accepted a version of the Terms of Use.

    Accepting simply acknowledges that you have reviewed this information - it
    does not constitute any agreements of participation in the accreditation and
    certification program (seed 000: "Clicking the acceptance link below simply
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
    path: AcceptancePath = attrs.field(converter=_enum_path)
    accepted_at: datetime = attrs.field(converter=_utc_accepted_at)
    candidate_id: str | None = None
    version: int = attrs.field(default=0, validator=lambda _s, _a, v: _version_field(v))

    @property
    def is_agreement_to_participate(self) -> bool:
        """Always ``False``: acceptance is an acknowledgment, not an agreement to participate."""
        return False


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
    expires_at: datetime | None = attrs.field(default=None, converter=_opt_utc_expires_at)


# -- contact details ------------------------------------------------------------------------


_NOT_COUNTRIES = frozenset({"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"})
"""CLDR region codes that are not countries (unknown region, pseudo-locales, unions)."""


def _country(value: object) -> str:
    text = _text.line(value, "country", 2).upper()
    from babel import Locale

    territories = Locale("en").territories
    if (
        len(text) != 2
        or not text.isascii()
        or not text.isalpha()
        or text not in territories
        or text in _NOT_COUNTRIES
    ):
        raise ValidationError(
            f"unknown country code {text!r} (use ISO 3166-1 alpha-2, e.g. 'US')",
            field="country",
            code="unknown_country",
        )
    return text


def _address_lines(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple):
        raise ValidationError(
            "address lines are a list of text", field="lines", code="invalid_type"
        )
    if len(value) > MAX_ADDRESS_LINES:
        raise LimitExceeded(
            f"a postal address has at most {MAX_ADDRESS_LINES} lines",
            field="lines",
            code="too_many_address_lines",
            details={"limit": MAX_ADDRESS_LINES, "length": len(value)},
        )
    lines = tuple(
        line
        for line in (_text.optional_line(v, "lines", MAX_ADDRESS_LINE_LENGTH) for v in value)
        if line is not None
    )
    if not lines:
        raise ValidationError(
            "a postal address needs at least one street line", field="lines", code="field_required"
        )
    return lines


@attrs.frozen
class PostalAddress:
    """A postal address.

    Attributes:
        lines: 1 to 4 street lines.
        city: the city or town.
        country: ISO 3166-1 alpha-2 code, e.g. ``"US"``.
        region: state, province or county, if any.
        postal_code: postal or ZIP code, if any.
    """

    lines: tuple[str, ...] = attrs.field(converter=_address_lines)
    city: str = attrs.field(converter=_line_city)
    country: str = attrs.field(converter=_country)
    region: str | None = attrs.field(default=None, converter=_optional_line_region)
    postal_code: str | None = attrs.field(
        default=None,
        converter=_optional_line_postal_code,
    )


def _address(value: object) -> PostalAddress | None:
    if value is None or isinstance(value, PostalAddress):
        return value
    if isinstance(value, Mapping):
        try:
            return PostalAddress(**value)
        except TypeError as exc:
            raise ValidationError(
                f"not a postal address: {exc}", field="postal_address", code="invalid_address"
            ) from exc
    raise ValidationError(
        "postal_address must be a PostalAddress", field="postal_address", code="invalid_type"
    )


@attrs.frozen
class ContactDetails:
    """A candidate's personal information (seed 000: "email address, company name and
    Partner Company etc.").

    Attributes:
        email: the current, verified e-mail address (normalized).
        given_name: given name.
        family_name: family name.
        company_name: the company the candidate works for.
        partner_company: the partner company they are affiliated with.
        preferred_language: BCP 47 tag, canonical (e.g. ``"pt-BR"``).
        phone: optional telephone number.
        postal_address: optional postal address.
    """

    email: str = attrs.field(converter=normalize_email)
    given_name: str = attrs.field(converter=_line_given_name)
    family_name: str = attrs.field(converter=_line_family_name)
    company_name: str = attrs.field(converter=_line_company_name)
    partner_company: str = attrs.field(converter=_line_partner_company)
    preferred_language: str = attrs.field(converter=_text.language)
    phone: str | None = attrs.field(default=None, converter=_text.phone)
    postal_address: PostalAddress | None = attrs.field(default=None, converter=_address)

    @property
    def full_name(self) -> str:
        """Given and family name separated by a space."""
        return f"{self.given_name} {self.family_name}"


# -- notification preferences ----------------------------------------------------------


def _categories(value: object) -> frozenset[NotificationCategory]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ValidationError(
            "enabled is a collection of categories", field="enabled", code="invalid_type"
        )
    return (
        frozenset(_enum_value(NotificationCategory, v, "category") for v in value)
        | MANDATORY_CATEGORIES
    )


@attrs.frozen
class NotificationPreferences:
    """The categories a candidate chose to receive.

    Program notices are always in ``enabled``. Newsletters and offers are off
    until chosen, and even then only sent while the consent context allows it.

    Attributes:
        enabled: the chosen categories.
    """

    enabled: frozenset[NotificationCategory] = attrs.field(
        default=_DEFAULT_ON, converter=_categories
    )

    def chosen(self, category: NotificationCategory) -> bool:
        """Whether the candidate chose ``category``."""
        return category in self.enabled


@attrs.frozen
class NotificationSetting:
    """One category as the candidate sees it: what they chose and what is in effect.

    Attributes:
        category: the category.
        chosen: the candidate's choice.
        effective: whether messages of this category are sent.
        mandatory: it cannot be switched off.
        reason: stable code explaining ``effective`` (``mandatory``,
            ``chosen``, ``not_chosen``, ``consent_withheld``, ``account_closed``).
    """

    category: NotificationCategory
    chosen: bool
    effective: bool
    mandatory: bool
    reason: str


# -- the candidate -------------------------------------------------------------------------


@attrs.frozen
class Candidate:
    """A candidate's account. The password hash is kept apart and never appears here.

    Attributes:
        candidate_id: the issued ID, display form ``SP-XXXX-XXXX-XXXX-C``.
        status: the life-cycle status.
        contact: the current contact details.
        registered_at: when the account was created.
        status_changed_at: when the status last changed.
        contact_reviewed_at: when the candidate last updated or confirmed their details.
        terms: the latest terms acceptance bound to the account.
        preferences: notification preferences.
        pending_email: a new address waiting for verification, if any.
        score_reports: registration numbers of the claimed score reports.
        incidents: identifiers of the candidate's incidents, oldest first.
        status_reason: the reason given for the last suspension or closure (or
            the erasure).
        erased_at: when the candidate's personal data was erased (see
            :meth:`~symprogram.accounts.AccountsService.erase`); ``None`` until then.
            An erased account is closed for good and its contact details are
            the :func:`erased_contact` markers.
        version: storage version.
    """

    candidate_id: str
    status: AccountStatus = attrs.field(converter=_enum_status)
    contact: ContactDetails
    registered_at: datetime = attrs.field(converter=_utc_registered_at)
    status_changed_at: datetime = attrs.field(converter=_utc_status_changed_at)
    contact_reviewed_at: datetime = attrs.field(converter=_utc_contact_reviewed_at)
    terms: TermsAcceptance | None = None
    preferences: NotificationPreferences = NotificationPreferences()
    pending_email: str | None = None
    score_reports: tuple[str, ...] = ()
    incidents: tuple[str, ...] = ()
    status_reason: str | None = None
    erased_at: datetime | None = attrs.field(default=None, converter=_opt_utc_erased_at)
    version: int = attrs.field(default=0, validator=lambda _s, _a, v: _version_field(v))

    @property
    def erased(self) -> bool:
        """Whether the candidate's personal data was erased."""
        return self.erased_at is not None


# -- erasure ------------------------------------------------------------------------------

ERASED_TEXT = "[erased]"
"""What replaces every erased text field (names, titles, message bodies ...)."""

ERASED_EMAIL = "erased@erased.example"
"""What replaces every erased e-mail address: valid, never deliverable (``.example``
is reserved by RFC 2606), and never in the e-mail index."""

_ERASED_LANGUAGE = "en"


def erased_contact() -> ContactDetails:
    """The contact details of an erased account: markers only, no personal data.

    Example:
        >>> erased_contact().full_name
        '[erased] [erased]'
    """
    return ContactDetails(
        email=ERASED_EMAIL,
        given_name=ERASED_TEXT,
        family_name=ERASED_TEXT,
        company_name=ERASED_TEXT,
        partner_company=ERASED_TEXT,
        preferred_language=_ERASED_LANGUAGE,
    )


@attrs.frozen
class AccountErasure:
    """What :meth:`~symprogram.accounts.AccountsService.erase` returns: proof of the erasure.

    It names no personal data, only pseudonymous identifiers and counts.

    Attributes:
        candidate_id: the erased account (kept, so the ID is never issued again).
        erased_at: when the personal data was erased (the first erasure).
        reason: the reason given (also the account's ``status_reason``).
        history_entries_erased: account history entries whose data was dropped
            by this call (their digests and the chain are kept); 0 when the
            account had already been erased.
        history_length: the account history's length afterwards.
        history_head: the newest chain hash of the account history.
        score_reports: registration numbers of the anonymized claimed score reports.
        incidents: identifiers of the anonymized incidents.
        already_erased: the account had been erased before this call.
    """

    candidate_id: str
    erased_at: datetime = attrs.field(converter=_utc_erased_at)
    reason: str
    history_entries_erased: int
    history_length: int
    history_head: str
    score_reports: tuple[str, ...] = ()
    incidents: tuple[str, ...] = ()
    already_erased: bool = False


@attrs.frozen
class RegistrationReceipt:
    """What :meth:`~symprogram.accounts.AccountsService.register` returns.

    The same shape and the same kind of content whether the address was new or
    already registered, so a caller cannot learn which: the candidate ID is
    *not* in it. A new user finds their candidate ID in the activation e-mail and
    gets it back from ``activate()``; the owner of an existing account gets a
    notice instead.

    Attributes:
        email: the normalized address the e-mail was sent to.
        requested_at: when.
        reference: a random reference of this request (for support), never an ID.
        next_step: stable code of what the person should do next
            (``check_email``).
    """

    email: str
    requested_at: datetime = attrs.field(converter=_utc_requested_at)
    reference: str
    next_step: str = "check_email"


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
    text = _text.line(value, "registration_number", MAX_REGISTRATION_NUMBER_LENGTH).upper()
    if not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in text):
        raise ValidationError(
            "a registration number has ASCII letters, digits and hyphens only",
            field="registration_number",
            code="invalid_registration_number",
        )
    return text


def _exam_code(value: object) -> str:
    text = _text.line(value, "exam_code", MAX_EXAM_CODE_LENGTH).upper()
    if not all(ch.isascii() and (ch.isalnum() or ch in "-._") for ch in text):
        raise ValidationError(
            "an exam code has ASCII letters, digits and - . _ only",
            field="exam_code",
            code="invalid_exam_code",
        )
    return text


def _score_value(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_SCORE:
        raise ValidationError(
            f"{field} is a whole number from 0 to {_MAX_SCORE}",
            field=field,
            code="invalid_score",
        )
    return value


def _exam_date(value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError("exam_date must be a date", field="exam_date", code="invalid_date")
    return value


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
    candidate_name: str = attrs.field(converter=_line_candidate_name)
    email: str = attrs.field(converter=normalize_email)
    score: int = attrs.field(converter=_score_score)
    passing_score: int = attrs.field(converter=_score_passing_score)
    exam_date: date = attrs.field(converter=_exam_date)
    test_centre: str = attrs.field(converter=_line_test_centre)
    recorded_at: datetime = attrs.field(converter=_utc_recorded_at)
    claimed_by: str | None = None
    claimed_at: datetime | None = attrs.field(default=None, converter=_opt_utc_claimed_at)
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


@attrs.frozen
class IncidentMessage:
    """One message in an incident conversation.

    Attributes:
        author: the candidate or customer support.
        body: the text (line breaks allowed).
        at: when it was posted.
    """

    author: MessageAuthor = attrs.field(converter=_enum_author)
    body: str = attrs.field(converter=_paragraph_body)
    at: datetime = attrs.field(converter=_utc_at)


def _messages(value: object) -> tuple[IncidentMessage, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(m, IncidentMessage) for m in value
    ):
        raise ValidationError(
            "messages are IncidentMessage objects", field="messages", code="invalid_type"
        )
    items = tuple(value)
    if len(items) > MAX_INCIDENT_MESSAGES:
        raise LimitExceeded(
            f"an incident holds at most {MAX_INCIDENT_MESSAGES} messages",
            field="messages",
            code="too_many_messages",
            details={"limit": MAX_INCIDENT_MESSAGES},
        )
    return items


@attrs.frozen
class Incident:
    """A support incident a candidate logged "for follow up" (seed 000).

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
    title: str = attrs.field(converter=_line_title)
    category: IncidentCategory = attrs.field(converter=_enum_category)
    status: IncidentStatus = attrs.field(converter=_enum_incident_status)
    opened_at: datetime = attrs.field(converter=_utc_opened_at)
    updated_at: datetime = attrs.field(converter=_utc_updated_at)
    resolved_at: datetime | None = attrs.field(default=None, converter=_opt_utc_resolved_at)
    messages: tuple[IncidentMessage, ...] = attrs.field(default=(), converter=_messages)
    details: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_details)
    version: int = attrs.field(default=0, validator=lambda _s, _a, v: _version_field(v))
