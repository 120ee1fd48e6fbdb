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

import collections
from datetime import timedelta
from typing import ClassVar

import attrs

from symprogram._checks import check_instance, check_int, check_port, optional_instance
from symprogram._deprecation import deprecated_alias, renamed_keyword
from symprogram.accounts._base import SEEN, SINCE
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
from symprogram.clock import LONGEST_SPAN, Clock
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


_MAXIMUM = {"password_min_length": MAX_PASSWORD_LENGTH, "stand_in_pool": 65_536}
"""The most a count setting may be, where not 1,000 (every count setting is at least 1)."""


def _check_setting(field: str, value: object, default: object) -> None:
    """Refuse a setting that is not a positive timedelta or an int in range, as its default is."""
    if not isinstance(default, timedelta):
        check_int(
            value, field, minimum=1, maximum=_MAXIMUM.get(field, 1_000), code="invalid_setting"
        )
    elif not isinstance(value, timedelta) or not timedelta(0) < value <= LONGEST_SPAN:
        raise ValidationError(
            f"{field} must be a positive timedelta of at most {LONGEST_SPAN.days} days",
            field=field,
            code="invalid_setting",
        )


def _setting(_instance: object, attribute: attrs.Attribute[object], value: object) -> None:
    """The validator of every setting: :func:`_check_setting` of that field alone."""
    _check_setting(attribute.name, value, attribute.default)


def _each_checked(
    _cls: type, fields: list[attrs.Attribute[object]]
) -> list[attrs.Attribute[object]]:
    """Give every field of the settings the validator :func:`_setting`."""
    return [field.evolve(validator=_setting) for field in fields]


@attrs.frozen(field_transformer=_each_checked)
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
            owner of a taken address) per requesting account and new address
            within ``resend_window`` (another account's requests never use it up).
        login_failure_limit: failed log-ins per address within
            ``login_failure_window``; beyond it ``authenticate`` raises
            :class:`~symprogram.errors.RateLimited` (the same for unknown addresses).
        login_failure_window: the window of ``login_failure_limit``.
        client_failure_limit: failed log-ins per client key (the ``client_key``
            of ``authenticate``, e.g. an IP address) within ``client_failure_window``.
        client_failure_window: the window of ``client_failure_limit``.
        claim_failure_limit: wrong score report proofs (a registration number and
            a name or address that do not match) per claimant account within
            ``claim_failure_window``; beyond it ``claim_score_report`` raises
            :class:`~symprogram.errors.RateLimited` before looking at the proof, so
            the name printed on a report cannot be guessed at will (and a stranger
            can only hold back their own account).
        claim_failure_window: the window of ``claim_failure_limit``.
        terms_receipt_ttl: how long a terms acceptance may wait for its registration.
        contact_review_period: "keep your contact information current": contact
            details not reviewed for this long are flagged.
        incident_reopen_window: how long after resolution an incident may be reopened.
        password_min_length: the shortest password accepted.
        stand_in_pool: how many stand-in slots the account kinds (candidate,
            credential, index entry) have: what registering a taken address
            writes in place of a new account goes to one of them, picked by a
            keyed hash of the address, so that strangers cannot grow them beyond
            this many records. (Stand-in links and messages are new records,
            swept once ``resend_window`` has passed.)
    """

    activation_ttl: timedelta = timedelta(days=7)
    resend_limit: int = 3
    resend_window: timedelta = timedelta(hours=1)
    reset_ttl: timedelta = timedelta(hours=2)
    reset_limit: int = 3
    email_verification_ttl: timedelta = timedelta(days=2)
    email_change_limit: int = 3
    login_failure_limit: int = 5
    login_failure_window: timedelta = timedelta(minutes=5)
    client_failure_limit: int = 10
    client_failure_window: timedelta = timedelta(minutes=1)
    claim_failure_limit: int = 10
    claim_failure_window: timedelta = timedelta(hours=1)
    terms_receipt_ttl: timedelta = timedelta(days=1)
    contact_review_period: timedelta = timedelta(days=365)
    incident_reopen_window: timedelta = timedelta(days=14)
    password_min_length: int = 10
    stand_in_pool: int = 256


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
        catalogue = optional_instance(catalogue, TermsCatalogue, "catalogue")
        hasher = optional_instance(hasher, PasswordHasher, "hasher")  # type: ignore[type-abstract]
        settings = optional_instance(settings, AccountsSettings, "settings")
        self._store = check_port(store, Store, "store")
        self._clock = check_port(clock, Clock, "clock")
        self._history = check_instance(history, AccountHistory, "history")
        self._notifier = check_port(notifier, Notifier, "notifier")
        self.catalogue = catalogue if catalogue is not None else TermsCatalogue.default()
        self._hasher = hasher if hasher is not None else default_hasher()
        self._consent = marketing_consent
        self.settings = settings if settings is not None else AccountsSettings()
        # Token digests keyed under the history's ledger key: a token row written
        # without the key (a database writer minting a reset link) matches no secret.
        self._tokens = Tokens(self._history.ledger.keys)
        self._dummy_hash = None
        self._seen_owners = collections.deque(maxlen=SEEN)

    @property
    def terms(self) -> TermsCatalogue:
        """The Terms of Use catalogue (the same as :attr:`catalogue`)."""
        return self.catalogue
