"""Candidate accounts of the accreditation & certification program.

As the Terms of Use v.2007.507 and the Enterprise Support page describe them:
Terms of Use acceptance, registration with an issued candidate ID, activation,
the account life cycle, contact details kept current, e-mail changes, forgotten
passwords, score report claims, notification preferences, support incidents,
and the account history every change is written to.

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.clock import FixedClock
    >>> from symprogram.history import AccountHistory
    >>> from symprogram.notify import Outbox
    >>> from symprogram.storage.memory import MemoryStore
    >>> store, outbox = MemoryStore(), Outbox()
    >>> accounts = AccountsService(
    ...     store, FixedClock(datetime(2011, 1, 15, tzinfo=timezone.utc)),
    ...     history=AccountHistory(store), notifier=outbox, hasher=ScryptHasher(n=2**4))
    >>> receipt = accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    >>> _ = accounts.register(
    ...     terms_receipt=receipt.token, email="ada@example.com",
    ...     password="a long passphrase", given_name="Ada", family_name="Lovelace",
    ...     company_name="Analytical Engines", partner_company="Babbage & Co",
    ...     preferred_language="en-GB")
    >>> candidate = accounts.activate(outbox.last("activation").data["token"])
    >>> candidate.status
    <AccountStatus.ACTIVE: 'active'>
"""

from symprogram._deprecation import module_getattr
from symprogram.accounts import models as _models
from symprogram.accounts._anchors import candidate_anchor_check
from symprogram.accounts.events import (
    AccountErased,
    AccountStatusChanged,
    ActivationSent,
    CandidateRegistered,
    ContactDetailsReviewed,
    ContactDetailsUpdated,
    CredentialAnchored,
    EmailChanged,
    EmailChangeRequested,
    FieldChange,
    IncidentMessagePosted,
    IncidentOpened,
    IncidentStatusChanged,
    NotificationPreferenceChanged,
    PasswordChanged,
    PasswordRehashed,
    PasswordResetRequested,
    RegistrationAttempted,
    ScoreReportClaimed,
    ScoreReportClaimRefused,
    TermsAccepted,
)
from symprogram.accounts.models import (
    ERASED_EMAIL,
    ERASED_TEXT,
    MANDATORY_CATEGORIES,
    MARKETING_CATEGORIES,
    AcceptancePath,
    AccountErasure,
    AccountStatus,
    BulkCandidate,
    BulkRegistrationReport,
    Candidate,
    ContactDetails,
    Incident,
    IncidentCategory,
    IncidentMessage,
    IncidentStatus,
    MessageAuthor,
    NotificationCategory,
    NotificationPreferences,
    NotificationSetting,
    PostalAddress,
    RegistrationReceipt,
    ScoreReport,
    TermsAcceptance,
    TermsCatalogue,
    TermsReceipt,
    TermsVersion,
    erased_contact,
    normalize_email,
    normalize_registration_number,
)
from symprogram.accounts.passwords import Argon2Hasher, ScryptHasher, default_hasher
from symprogram.accounts.ports import (
    CandidateDirectory,
    MarketingChoices,
    MarketingConsent,
    PasswordHasher,
    PersonalDataLedger,
    PersonalDataLedgerBatch,
)
from symprogram.accounts.service import KEEP, AccountsService, AccountsSettings, Keep

__all__ = [
    "ERASED_EMAIL",
    "ERASED_TEXT",
    "KEEP",
    "MANDATORY_CATEGORIES",
    "MARKETING_CATEGORIES",
    "AcceptancePath",
    "AccountErased",
    "AccountErasure",
    "AccountStatus",
    "AccountStatusChanged",
    "AccountsService",
    "AccountsSettings",
    "ActivationSent",
    "Argon2Hasher",
    "BulkCandidate",
    "BulkRegistrationReport",
    "Candidate",
    "CandidateDirectory",
    "CandidateRegistered",
    "ContactDetails",
    "ContactDetailsReviewed",
    "ContactDetailsUpdated",
    "CredentialAnchored",
    "EmailChangeRequested",
    "EmailChanged",
    "FieldChange",
    "Incident",
    "IncidentCategory",
    "IncidentMessage",
    "IncidentMessagePosted",
    "IncidentOpened",
    "IncidentStatus",
    "IncidentStatusChanged",
    "Keep",
    "MarketingChoices",
    "MarketingConsent",
    "MessageAuthor",
    "NotificationCategory",
    "NotificationPreferenceChanged",
    "NotificationPreferences",
    "NotificationSetting",
    "PasswordChanged",
    "PasswordHasher",
    "PasswordRehashed",
    "PasswordResetRequested",
    "PersonalDataLedger",
    "PersonalDataLedgerBatch",
    "PostalAddress",
    "RegistrationAttempted",
    "RegistrationReceipt",
    "ScoreReport",
    "ScoreReportClaimRefused",
    "ScoreReportClaimed",
    "ScryptHasher",
    "TermsAcceptance",
    "TermsAccepted",
    "TermsCatalogue",
    "TermsReceipt",
    "TermsVersion",
    "default_hasher",
    "erased_contact",
    "normalize_email",
    "normalize_registration_number",
    "candidate_anchor_check",
]

__getattr__ = module_getattr(__name__, _models.MOVED, since="0.2")
