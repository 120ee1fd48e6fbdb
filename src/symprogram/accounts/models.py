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

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from symprogram._checks import check_enum, check_instance, check_instant, check_length
from symprogram._deprecation import module_getattr
from symprogram.accounts import _text
from symprogram.accounts._models_common import (
    _DEFAULT_ON,
    MANDATORY_CATEGORIES,
    MARKETING_CATEGORIES,
    MAX_ADDRESS_LINE_LENGTH,
    MAX_ADDRESS_LINES,
    MAX_CITY_LENGTH,
    MAX_COMPANY_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_EXAM_CODE_LENGTH,
    MAX_INCIDENT_MESSAGE_LENGTH,
    MAX_INCIDENT_MESSAGES,
    MAX_INCIDENT_TITLE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PASSWORD_LENGTH,
    MAX_POSTAL_CODE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REGISTRATION_NUMBER_LENGTH,
    MAX_REPORT_NAME_LENGTH,
    MAX_TEST_CENTRE_LENGTH,
    AcceptancePath,
    AccountStatus,
    IncidentCategory,
    IncidentStatus,
    MessageAuthor,
    NotificationCategory,
    _opt_instant,
    _version_field,
    normalize_email,
)
from symprogram.accounts._models_reports import (
    Incident,
    IncidentMessage,
    ScoreReport,
    normalize_registration_number,
)
from symprogram.accounts._models_terms import (
    TermsAcceptance,
    TermsCatalogue,
    TermsReceipt,
    TermsVersion,
    text_digest,
)
from symprogram.errors import ValidationError

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
    "MAX_PASSWORD_HASH_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MAX_POSTAL_CODE_LENGTH",
    "MAX_REASON_LENGTH",
    "MAX_REGISTRATION_NUMBER_LENGTH",
    "MAX_REPORT_NAME_LENGTH",
    "MAX_TEST_CENTRE_LENGTH",
    "AcceptancePath",
    "AccountErasure",
    "AccountStatus",
    "BulkCandidate",
    "BulkRegistrationReport",
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
    "TermsCatalogue",
    "TermsReceipt",
    "TermsVersion",
    "erased_contact",
    "normalize_email",
    "normalize_registration_number",
    "text_digest",
]

MOVED = {"AccountSettings": ("symprogram.accounts.service", "AccountsSettings")}
"""Deprecated names of the accounts models -> (module, name) they live under now."""

__getattr__ = module_getattr(__name__, MOVED, since="0.2")

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
    check_length(
        value,
        "lines",
        limit=MAX_ADDRESS_LINES,
        code="too_many_address_lines",
        message=f"a postal address has at most {MAX_ADDRESS_LINES} lines",
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


def _postal_address_city(value: object) -> str:
    return _text.line(value, "city", MAX_CITY_LENGTH)


def _postal_address_region(value: object) -> str | None:
    return _text.optional_line(value, "region", MAX_CITY_LENGTH)


def _postal_address_postal_code(value: object) -> str | None:
    return _text.optional_line(value, "postal_code", MAX_POSTAL_CODE_LENGTH)


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
    city: str = attrs.field(converter=_postal_address_city)
    country: str = attrs.field(converter=_country)
    region: str | None = attrs.field(default=None, converter=_postal_address_region)
    postal_code: str | None = attrs.field(
        default=None,
        converter=_postal_address_postal_code,
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


def _contact_details_given_name(value: object) -> str:
    return _text.line(value, "given_name", MAX_NAME_LENGTH)


def _contact_details_family_name(value: object) -> str:
    return _text.line(value, "family_name", MAX_NAME_LENGTH)


def _contact_details_company_name(value: object) -> str:
    return _text.line(value, "company_name", MAX_COMPANY_LENGTH)


def _contact_details_partner_company(value: object) -> str:
    return _text.line(value, "partner_company", MAX_COMPANY_LENGTH)


@attrs.frozen
class ContactDetails:
    """A candidate's personal information (the Terms of Use v.2007.507: "email address,
    company name and Partner Company etc.").

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
    given_name: str = attrs.field(converter=_contact_details_given_name)
    family_name: str = attrs.field(converter=_contact_details_family_name)
    company_name: str = attrs.field(converter=_contact_details_company_name)
    partner_company: str = attrs.field(converter=_contact_details_partner_company)
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
        frozenset(check_enum(NotificationCategory, v, "category") for v in value)
        | MANDATORY_CATEGORIES
    )


@attrs.frozen
class NotificationPreferences:
    """The categories a candidate chose to receive, as the candidate record keeps them.

    Program notices are always in ``enabled``. For newsletters and offers the
    consent ledger holds the one truth of the choice (one truth per choice): a
    choice made on the consent side (an unsubscribe reply, a grant on a form) is
    not copied here, so read them with
    :meth:`~symprogram.accounts.AccountsService.get_notification_setting`, never
    from this copy.

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


def _candidate_status(value: object) -> AccountStatus:
    return check_enum(AccountStatus, value, "status")


def _candidate_registered_at(value: object) -> datetime:
    return check_instant(value, "registered_at")


def _candidate_status_changed_at(value: object) -> datetime:
    return check_instant(value, "status_changed_at")


def _candidate_contact_reviewed_at(value: object) -> datetime:
    return check_instant(value, "contact_reviewed_at")


def _candidate_erased_at(value: object) -> datetime | None:
    return _opt_instant(value, "erased_at")


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
        preferences: the switches last made in the account itself. Where the
            consent context keeps the marketing choices (as in a
            :class:`~symprogram.Program`), the newsletters and offers in effect
            are :meth:`~symprogram.accounts.AccountsService.notification_settings`
            (a view of the consent ledger): a choice made on the consent side,
            such as an unsubscribe reply, is not copied here.
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
        credential_digest: the SHA-256 (hex) of the stored password hash, as the
            account history recorded it when the hash was set
            (:func:`~symprogram.accounts.rules.credential_digest`): a log-in refuses
            a stored hash that does not match it. ``None`` for an account whose
            hash was set before it was recorded (nothing compared), and once erased.
    """

    candidate_id: str
    status: AccountStatus = attrs.field(converter=_candidate_status)
    contact: ContactDetails
    registered_at: datetime = attrs.field(converter=_candidate_registered_at)
    status_changed_at: datetime = attrs.field(converter=_candidate_status_changed_at)
    contact_reviewed_at: datetime = attrs.field(converter=_candidate_contact_reviewed_at)
    terms: TermsAcceptance | None = None
    preferences: NotificationPreferences = NotificationPreferences()
    pending_email: str | None = None
    score_reports: tuple[str, ...] = ()
    incidents: tuple[str, ...] = ()
    status_reason: str | None = None
    erased_at: datetime | None = attrs.field(default=None, converter=_candidate_erased_at)
    version: int = attrs.field(default=0, validator=lambda _s, _a, v: _version_field(v))
    credential_digest: str | None = None

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


def _account_erasure_erased_at(value: object) -> datetime:
    return check_instant(value, "erased_at")


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
        score_reports: registration numbers of the anonymized score reports: those
            the account claimed, then the unclaimed ones recorded for its addresses.
        incidents: identifiers of the anonymized incidents.
        already_erased: the account had been erased before this call.
    """

    candidate_id: str
    erased_at: datetime = attrs.field(converter=_account_erasure_erased_at)
    reason: str
    history_entries_erased: int
    history_length: int
    history_head: str
    score_reports: tuple[str, ...] = ()
    incidents: tuple[str, ...] = ()
    already_erased: bool = False


def _registration_receipt_requested_at(value: object) -> datetime:
    return check_instant(value, "requested_at")


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
    requested_at: datetime = attrs.field(converter=_registration_receipt_requested_at)
    reference: str
    next_step: str = "check_email"


# -- bulk registration ----------------------------------------------------------------------

MAX_PASSWORD_HASH_LENGTH = 1024
"""Longest password hash a bulk import may bring."""


def _check_password_hash(value: object) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_PASSWORD_HASH_LENGTH
        or not value.isascii()
        or not value.isprintable()
        or any(ch.isspace() for ch in value)
    ):
        raise ValidationError(
            "a password hash must be printable ASCII text without spaces (at most "
            f"{MAX_PASSWORD_HASH_LENGTH} characters), in the format of the service's "
            "password hasher",
            field="password_hash",
            code="invalid_password_hash",
        )
    return value


def _contact_details(_: object, __: object, value: Any) -> None:
    check_instance(value, ContactDetails, "contact")


@attrs.frozen
class BulkCandidate:
    """One row of :meth:`~symprogram.accounts.AccountsService.register_many`.

    Attributes:
        contact: the validated contact details (validated when built).
        password_hash: a hash already in the format of the service's
            :class:`~symprogram.accounts.ports.PasswordHasher` (for instance
            migrated from another system), or ``None`` for an *unusable*
            password that no hasher ever verifies: the person activates and
            then chooses a password with "Forgot password".
    """

    contact: ContactDetails = attrs.field(validator=_contact_details)
    password_hash: str | None = attrs.field(default=None, converter=_check_password_hash)


@attrs.frozen
class BulkRegistrationReport:
    """What :meth:`~symprogram.accounts.AccountsService.register_many` did.

    Attributes:
        created: accounts created.
        skipped: rows whose address was already registered (or repeated in
            the input); which ones is not revealed.
        batches: units of work committed.
    """

    created: int
    skipped: int
    batches: int
