"""Privacy consent: versioned policies, purposes, a provable consent ledger, opt-outs.

The public entry point is :class:`ConsentService`; policies are data
(:class:`PolicyCatalogue`, default: the privacy policy as the document says it;
``PolicyCatalogue.default(reading="opt_in")`` the stricter opt-in reading). See
``docs/consent.md``.
"""

from typing import Any

from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.consent.events import (
    ConsentEvent,
    ConsentRecorded,
    CorrectionCompleted,
    CorrectionRequested,
    DataCollected,
    NoticeRecorded,
    SubjectErased,
)
from symprogram.consent.models import (
    Activity,
    BasisChange,
    Channel,
    Choice,
    ChoiceState,
    CoBrandedSite,
    Collection,
    ConsentReceipt,
    ConsentRecord,
    ConsentState,
    ContactChannel,
    ContactPoint,
    ContactUse,
    CookieCategory,
    CorrectionRequest,
    CorrectionStatus,
    DataItem,
    ErasureReceipt,
    LedgerAudit,
    LegalBasis,
    Notice,
    NoticeKind,
    Policy,
    PolicyChange,
    PolicyReading,
    PublishedPolicy,
    Purpose,
    PurposeKind,
    ReceiptChoice,
    ReceiptEntry,
    Recipient,
    Referral,
    SeenPolicy,
    SubjectExport,
    SubjectFile,
    TrafficLogging,
    Transfer,
    TrustProgram,
    channel_topic,
    check_subject,
)
from symprogram.consent.ports import ConsentChecker, ContactPreferences
from symprogram.consent.rules import apply, decide, diff_policies, replay
from symprogram.consent.service import RECEIPT_FORMAT, ConsentService, ConsentSettings

__all__ = [
    "RECEIPT_FORMAT",
    "Activity",
    "BasisChange",
    "Channel",
    "Choice",
    "ChoiceState",
    "CoBrandedSite",
    "Collection",
    "ConsentChecker",
    "ConsentEvent",
    "ConsentReceipt",
    "ConsentRecord",
    "ConsentRecorded",
    "ConsentService",
    "ConsentSettings",
    "ConsentState",
    "ContactChannel",
    "ContactPoint",
    "ContactPreferences",
    "ContactUse",
    "CookieCategory",
    "CorrectionCompleted",
    "CorrectionRequest",
    "CorrectionRequested",
    "CorrectionStatus",
    "DataCollected",
    "DataItem",
    "ErasureReceipt",
    "LedgerAudit",
    "LegalBasis",
    "Notice",
    "NoticeKind",
    "NoticeRecorded",
    "Policy",
    "PolicyCatalogue",
    "PolicyChange",
    "PolicyReading",
    "PublishedPolicy",
    "Purpose",
    "PurposeKind",
    "ReceiptChoice",
    "ReceiptEntry",
    "Recipient",
    "Referral",
    "SeenPolicy",
    "SubjectErased",
    "SubjectExport",
    "SubjectFile",
    "TrafficLogging",
    "Transfer",
    "TrustProgram",
    "apply",
    "channel_topic",
    "check_subject",
    "decide",
    "diff_policies",
    "replay",
]


def __getattr__(name: str) -> Any:
    """Deprecated names of the package (``policy_from_mapping``), served with a warning."""
    if name == "policy_from_mapping":
        from symprogram.consent import catalogue

        return catalogue.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
