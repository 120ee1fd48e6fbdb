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
from symprogram.accounts._anchors import (
    ScoreReportAnchorChecks,
    candidate_anchor_check,
    incident_owner_check,
    score_report_owner_check,
)
from symprogram.accounts.events import *  # noqa: F403  (every event, re-exported)
from symprogram.accounts.events import __all__ as _events_all
from symprogram.accounts.models import *  # noqa: F403  (every model, re-exported)
from symprogram.accounts.models import __all__ as _models_all
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
    "KEEP",
    "AccountsService",
    "AccountsSettings",
    "Argon2Hasher",
    "CandidateDirectory",
    "Keep",
    "MarketingChoices",
    "MarketingConsent",
    "PasswordHasher",
    "PersonalDataLedger",
    "PersonalDataLedgerBatch",
    "ScoreReportAnchorChecks",
    "ScryptHasher",
    "default_hasher",
    "candidate_anchor_check",
    "incident_owner_check",
    "score_report_owner_check",
    *_events_all,
    *_models_all,
]

__getattr__ = module_getattr(__name__, _models.MOVED, since="0.2")
