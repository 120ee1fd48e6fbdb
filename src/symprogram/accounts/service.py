"""The accounts service: a thin facade over the accounts flows, and its settings.

:class:`AccountsService` is composed of one class per flow, each in its own
module: :mod:`~symprogram.accounts.directory` (look-ups),
:mod:`~symprogram.accounts.registration`, :mod:`~symprogram.accounts.bulk`,
:mod:`~symprogram.accounts.credentials`, :mod:`~symprogram.accounts.contact`,
:mod:`~symprogram.accounts.status`, :mod:`~symprogram.accounts.score_reports`,
:mod:`~symprogram.accounts.preferences`, :mod:`~symprogram.accounts.incidents`
and :mod:`~symprogram.accounts.erasure`. Every public method is one unit of
work: it loads what it needs, applies the pure rules of
:mod:`symprogram.accounts.rules`, saves, appends the events to the candidate's
history, and only after the unit of work committed hands the messages of
:mod:`symprogram.accounts.messages` to the notifier.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import attrs

from symprogram._checks import check_int, validator
from symprogram._deprecation import deprecated_alias, renamed_keyword
from symprogram.accounts._base import SINCE
from symprogram.accounts.bulk import Bulk, BulkCandidate, BulkRegistrationReport
from symprogram.accounts.contact import KEEP, Contact, Keep
from symprogram.accounts.credentials import Credentials
from symprogram.accounts.directory import Directory
from symprogram.accounts.erasure import Erasure
from symprogram.accounts.incidents import Incidents
from symprogram.accounts.models import MAX_PASSWORD_LENGTH, TermsCatalogue
from symprogram.accounts.passwords import default_hasher
from symprogram.accounts.ports import MarketingConsent, PasswordHasher
from symprogram.accounts.preferences import Preferences
from symprogram.accounts.registration import Registration
from symprogram.accounts.score_reports import ScoreReports
from symprogram.accounts.status import Status
from symprogram.clock import Clock
from symprogram.errors import ValidationError
from symprogram.history import AccountHistory
from symprogram.notify import Notifier
from symprogram.persistence import Store
from symprogram.tokens import Tokens

__all__ = [
    "KEEP",
    "AccountsService",
    "AccountsSettings",
    "BulkCandidate",
    "BulkRegistrationReport",
    "Keep",
]


def _positive_delta(field: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, timedelta) or value <= timedelta(0):
            raise ValidationError(
                f"{field} must be a positive timedelta", field=field, code="invalid_setting"
            )

    return check


def _positive_int(maximum: int = 1_000) -> Any:
    return validator(check_int, minimum=1, maximum=maximum, code="invalid_setting")


@attrs.frozen
class AccountsSettings:
    """Tunables of the accounts context, with sensible defaults (formerly ``AccountSettings``).

    Every field is checked when built: a value of the wrong type or out of range
    is a :class:`~symprogram.errors.ValidationError` ``invalid_setting``.

    Attributes:
        activation_ttl: lifetime of an activation link.
        resend_limit: activation e-mails per address within ``resend_window``
            (beyond it the request returns as usual but sends nothing).
        resend_window: the window of ``resend_limit``, ``reset_limit`` and
            ``email_change_limit``.
        reset_ttl: lifetime of a password reset link.
        reset_limit: reset e-mails per address within ``resend_window`` (beyond
            it the request returns as usual but sends nothing).
        email_verification_ttl: lifetime of a new-address verification link.
        email_change_limit: e-mail change messages (a link, or a notice to the
            owner of a taken address) per new address within ``resend_window``.
        login_failure_limit: failed log-ins per address within
            ``login_failure_window``; beyond it ``authenticate`` raises
            :class:`~symprogram.errors.RateLimited` (the same for unknown addresses).
        login_failure_window: the window of ``login_failure_limit``.
        client_failure_limit: failed log-ins per client key (the ``client_key``
            of ``authenticate``, e.g. an IP address) within ``client_failure_window``.
        client_failure_window: the window of ``client_failure_limit``.
        terms_receipt_ttl: how long a terms acceptance may wait for its registration.
        contact_review_period: "keep your contact information current": contact
            details not reviewed for this long are flagged.
        incident_reopen_window: how long after resolution an incident may be reopened.
        password_min_length: the shortest password accepted.
        stand_in_pool: how many stand-in slots each record kind has: what a call
            writes when there is nobody to write for (an unknown address, a
            limit reached) goes to one of them, picked by a keyed hash of the
            address, so that strangers cannot grow the store beyond this many
            records per kind.
    """

    activation_ttl: timedelta = attrs.field(
        default=timedelta(days=7), validator=_positive_delta("activation_ttl")
    )
    resend_limit: int = attrs.field(default=3, validator=_positive_int())
    resend_window: timedelta = attrs.field(
        default=timedelta(hours=1), validator=_positive_delta("resend_window")
    )
    reset_ttl: timedelta = attrs.field(
        default=timedelta(hours=2), validator=_positive_delta("reset_ttl")
    )
    reset_limit: int = attrs.field(default=3, validator=_positive_int())
    email_verification_ttl: timedelta = attrs.field(
        default=timedelta(days=2), validator=_positive_delta("email_verification_ttl")
    )
    email_change_limit: int = attrs.field(default=3, validator=_positive_int())
    login_failure_limit: int = attrs.field(default=5, validator=_positive_int())
    login_failure_window: timedelta = attrs.field(
        default=timedelta(minutes=5), validator=_positive_delta("login_failure_window")
    )
    client_failure_limit: int = attrs.field(default=10, validator=_positive_int())
    client_failure_window: timedelta = attrs.field(
        default=timedelta(minutes=1), validator=_positive_delta("client_failure_window")
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
    password_min_length: int = attrs.field(default=10, validator=_positive_int(MAX_PASSWORD_LENGTH))
    stand_in_pool: int = attrs.field(default=256, validator=_positive_int(65_536))


def _checked(value: object, cls: type, field: str) -> None:
    if value is not None and not isinstance(value, cls):
        raise ValidationError(
            f"{field} must be a {cls.__name__}, not {type(value).__name__}",
            field=field,
            code=f"invalid_{field}",
        )


class AccountsService(
    Directory,
    Registration,
    Bulk,
    Credentials,
    Contact,
    Status,
    ScoreReports,
    Preferences,
    Incidents,
    Erasure,
):
    """Candidate accounts of the program the Terms of Use v.2007.507 describe.

    Args:
        store: where accounts live.
        clock: the source of "now".
        history: the account history every change is appended to.
        notifier: receives activation, reset and security e-mails after commit.
        catalogue: the Terms of Use versions (default: the program's ``v.2007.507``,
            :meth:`TermsCatalogue.default`).
        hasher: password hashing (default:
            :func:`~symprogram.accounts.passwords.default_hasher`: Argon2id with
            the extra ``argon2``, scrypt N=2**17 otherwise). A cheaper one, such
            as ``ScryptHasher(n=2**4)`` in tests, is allowed when passed explicitly.
        marketing_consent: the consent context's answer for newsletters and
            offers; without it the candidate's own choice decides.
        settings: tunables (default: :class:`AccountsSettings` ``()``).
        terms: deprecated since 0.2: the old name of ``catalogue``.

    Raises:
        ValidationError: a catalogue, hasher or settings of the wrong type
            (``invalid_catalogue``, ``invalid_hasher``, ``invalid_settings``);
            both ``catalogue=`` and ``terms=`` (``conflicting_arguments``).
    """

    DEPRECATED_KEYWORDS: ClassVar[dict[str, str]] = {"terms": "catalogue"}
    """Old keyword -> where its value goes now (read by ``Program``'s option check)."""

    get = deprecated_alias("get_candidate", old="get", since=SINCE)
    contact_reviews_due = deprecated_alias(
        "iter_contact_reviews_due", old="contact_reviews_due", since=SINCE
    )

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        history: AccountHistory,
        notifier: Notifier,
        catalogue: TermsCatalogue | None = None,
        hasher: PasswordHasher | None = None,
        marketing_consent: MarketingConsent | None = None,
        settings: AccountsSettings | None = None,
        terms: TermsCatalogue | None = None,
    ) -> None:
        given = {} if terms is None else {"terms": terms}
        catalogue = renamed_keyword(
            given,
            old="terms",
            new="catalogue",
            value=catalogue,
            since=SINCE,
            where="AccountsService",
        )
        _checked(catalogue, TermsCatalogue, "catalogue")
        _checked(hasher, PasswordHasher, "hasher")
        _checked(settings, AccountsSettings, "settings")
        self._store = store
        self._clock = clock
        self._history = history
        self._notifier = notifier
        self.catalogue = catalogue if catalogue is not None else TermsCatalogue.default()
        self._hasher = hasher if hasher is not None else default_hasher()
        self._consent = marketing_consent
        self.settings = settings if settings is not None else AccountsSettings()
        self._tokens = Tokens()
        self._dummy_hash = None

    @property
    def terms(self) -> TermsCatalogue:
        """The Terms of Use catalogue (the same as :attr:`catalogue`)."""
        return self.catalogue
