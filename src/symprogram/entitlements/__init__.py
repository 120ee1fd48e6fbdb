"""Enterprise support entitlements (the Enterprise Support page).

Which gated support documents (handbooks, escalation guide, remote-access
terms, language table, policy, terms) a reader may open at any instant, and in
which language; the support agreements, courtesy and temporary entitlements and
support extensions behind that; local language telephone support; support cases
escalated through the Global Escalation Process; and remote sessions that need
express consent to the current Remote Access Standard Terms.

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.clock import FixedClock
    >>> from symprogram.storage.memory import MemoryStore
    >>> clock = FixedClock(datetime(2011, 1, 14, tzinfo=timezone.utc))
    >>> service = EntitlementsService(MemoryStore(), clock)
    >>> service.decide(Reader.anonymous(), "business_critical_services_handbook").codes
    ('public_before_login_requirement', 'language_fallback_english')
"""

from symprogram.entitlements.events import (
    AgreementRecorded,
    AgreementStatusChanged,
    CaseClosed,
    CaseEscalated,
    CaseOpened,
    EntitlementGranted,
    EntitlementRevoked,
    ExtensionRecorded,
    ExtensionStatusChanged,
    ReleaseRegistered,
    RemoteSessionEnded,
    RemoteSessionStarted,
)
from symprogram.entitlements.models import (
    Access,
    AccessibleDocument,
    AccessRule,
    Agreement,
    AgreementStatus,
    CaseStatus,
    CustomerEntitlements,
    Document,
    EntitlementCatalogue,
    EscalationLevel,
    EscalationStep,
    Grant,
    GrantKind,
    LanguageOutcome,
    LocalSite,
    ProductLifecycle,
    Reader,
    Release,
    RemoteAccessTerms,
    RemoteAccessVersion,
    RemoteSession,
    ServiceLevel,
    Severity,
    StatusChange,
    SupportCase,
    SupportExtension,
    TelephoneLine,
)
from symprogram.entitlements.ports import RemoteAccessConsent
from symprogram.entitlements.remote_access import InMemoryRemoteAccessConsent
from symprogram.entitlements.rules import LanguageChoice, choose_language
from symprogram.entitlements.service import EntitlementsService, EntitlementsSettings

__all__ = [
    "Access",
    "AccessRule",
    "AccessibleDocument",
    "Agreement",
    "AgreementRecorded",
    "AgreementStatus",
    "AgreementStatusChanged",
    "CaseClosed",
    "CaseEscalated",
    "CaseOpened",
    "CaseStatus",
    "CustomerEntitlements",
    "Document",
    "EntitlementCatalogue",
    "EntitlementGranted",
    "EntitlementRevoked",
    "EntitlementsService",
    "EntitlementsSettings",
    "EscalationLevel",
    "EscalationStep",
    "ExtensionRecorded",
    "ExtensionStatusChanged",
    "Grant",
    "GrantKind",
    "InMemoryRemoteAccessConsent",
    "LanguageChoice",
    "LanguageOutcome",
    "LocalSite",
    "ProductLifecycle",
    "Reader",
    "Release",
    "ReleaseRegistered",
    "RemoteAccessConsent",
    "RemoteAccessTerms",
    "RemoteAccessVersion",
    "RemoteSession",
    "RemoteSessionEnded",
    "RemoteSessionStarted",
    "ServiceLevel",
    "Severity",
    "StatusChange",
    "SupportCase",
    "SupportExtension",
    "TelephoneLine",
    "choose_language",
]
