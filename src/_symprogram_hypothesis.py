"""symprogram's Hypothesis entry point: lazy registration of its strategies.

Hypothesis calls :func:`setup_hook` while ``import hypothesis`` runs. Importing
symprogram's models and strategies takes about a second, so the hook imports
nothing of symprogram (this module lives outside the package for that reason:
importing ``symprogram.anything`` would import the package first). It only adds an
import hook that waits for symprogram's modules: as each one is imported, its
models (named in :data:`MODELS`) are registered with a resolver, and the first
``st.from_type(Model)`` imports :mod:`symprogram.testing.strategies`, which
registers the real strategy of every model.

A model added later without being named here still gets its strategy when
:mod:`symprogram.testing.strategies` is imported; symprogram's tests check that
this list names every model that module registers.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["MODELS", "setup_hook"]

#: The class names (``__qualname__``) of every model with a symprogram strategy.
MODELS = frozenset(
    {
        "AccessRule",
        "AccessibleDocument",
        "AccountErased",
        "AccountErasure",
        "AccountStatusChanged",
        "AccountsSettings",
        "ActivationSent",
        "Activity",
        "Agreement",
        "AgreementRecorded",
        "AgreementStatusChanged",
        "AllOf",
        "AnyOf",
        "AtLeast",
        "AwardCatalogue",
        "AwardDefinition",
        "AwardGrant",
        "AwardGranted",
        "AwardHolding",
        "AwardRenewed",
        "AwardRevoked",
        "AwardsErased",
        "AwardsErasure",
        "AwardsPublished",
        "AwardsSettings",
        "BasisChange",
        "BulkCandidate",
        "BulkRegistrationReport",
        "Candidate",
        "CandidateAwards",
        "CandidateId",
        "CandidateRegistered",
        "CaseClosed",
        "CaseEscalated",
        "CaseOpened",
        "ChoiceState",
        "ClaimOutcome",
        "CoBrandedSite",
        "Collection",
        "ConsentEvent",
        "ConsentReceipt",
        "ConsentRecord",
        "ConsentRecorded",
        "ConsentSettings",
        "ConsentState",
        "ContactDetails",
        "ContactDetailsReviewed",
        "ContactDetailsUpdated",
        "CredentialAnchored",
        "ContactPoint",
        "CorrectionCompleted",
        "CorrectionRequest",
        "CorrectionRequested",
        "Credential",
        "CustomerEntitlements",
        "DataCollected",
        "DataItem",
        "Decision",
        "DisclosedAward",
        "Disclosure",
        "DisclosureRecipientErased",
        "DisclosureRevoked",
        "DisclosureVerified",
        "DisclosureView",
        "Document",
        "EmailChangeRequested",
        "EmailChanged",
        "EntitlementCatalogue",
        "EntitlementGranted",
        "EntitlementRevoked",
        "EntitlementsErasure",
        "EntitlementsSettings",
        "ErasureReceipt",
        "EscalationLevel",
        "EscalationStep",
        "Evidence",
        "ExamDefinition",
        "ExamPassed",
        "ExamRef",
        "ExamResult",
        "ExamResultRecorded",
        "ExpiryReminderSent",
        "ExtensionRecorded",
        "ExtensionStatusChanged",
        "FieldChange",
        "Found",
        "Grant",
        "HoldsAward",
        "Incident",
        "IncidentMessage",
        "IncidentMessagePosted",
        "IncidentOpened",
        "IncidentStatusChanged",
        "KeyUnknown",
        "KitAddress",
        "KitDelivered",
        "KitFulfilment",
        "KitHeld",
        "KitQueued",
        "KitReleased",
        "KitShipped",
        "LanguageChoice",
        "LanguageTag",
        "LedgerAudit",
        "LedgerDigest",
        "LedgerEntry",
        "LedgerKeys",
        "LedgersVerification",
        "LocalSite",
        "Message",
        "MinimumCredits",
        "Negotiation",
        "Notice",
        "NoticeRecorded",
        "NotificationPreferenceChanged",
        "NotificationPreferences",
        "NotificationSetting",
        "PasswordChanged",
        "PasswordRehashed",
        "PasswordResetRequested",
        "PersonErasure",
        "Policy",
        "PolicyCatalogue",
        "PolicyChange",
        "PostalAddress",
        "Problem",
        "ProductLifecycle",
        "Progress",
        "PublishedDisclosure",
        "PublishedPolicy",
        "Purpose",
        "Reader",
        "Reason",
        "ReceiptChoice",
        "ReceiptEntry",
        "Recipient",
        "Record",
        "Referral",
        "RegistrationAttempted",
        "RegistrationReceipt",
        "Release",
        "ReleaseRegistered",
        "RemoteAccessTerms",
        "RemoteAccessVersion",
        "RemoteSession",
        "RemoteSessionEnded",
        "RemoteSessionStarted",
        "Renewal",
        "RenewalAdvice",
        "RequestRecord",
        "RequirementStatus",
        "ScoreReport",
        "ScoreReportClaimRecorded",
        "ScoreReportClaimRefused",
        "ScoreReportClaimed",
        "ScoreReportErased",
        "ScoreReportRecorded",
        "ScoreReportsAnchored",
        "SeenPolicy",
        "ServiceLevel",
        "StatusChange",
        "StreamHead",
        "SubjectErased",
        "SubjectExport",
        "SubjectFile",
        "SupportCase",
        "SupportExtension",
        "TelephoneLine",
        "TermsAcceptance",
        "TermsAccepted",
        "TermsCatalogue",
        "TermsReceipt",
        "TermsVersion",
        "TokenGeneration",
        "TokenRecord",
        "TrafficLogging",
        "Transfer",
        "TrustProgram",
        "Verification",
        "VerificationFailures",
        "VerificationRecord",
    }
)

_PACKAGE = "symprogram"
_SKIPPED = "symprogram.testing"
_LOCK = threading.Lock()


def _watched(name: str) -> bool:
    if name != _PACKAGE and not name.startswith(_PACKAGE + "."):
        return False
    return name != _SKIPPED and not name.startswith(_SKIPPED + ".")


def _registered() -> dict[Any, Any]:
    """Hypothesis' table of registered types (read only, to never override a real one)."""
    from hypothesis.strategies._internal import types

    table: dict[Any, Any] = types._global_type_lookup
    return table


def _resolve(thing: type[Any]) -> Any:
    """The resolver of a lazily registered model: import the real strategies, use them."""
    from hypothesis import strategies as st

    from symprogram.testing import strategies

    strategies.register_all()
    if _registered().get(thing) is _resolve:  # not one of strategies' models after all
        return NotImplemented
    return st.from_type(thing)


def register_module(module: ModuleType) -> None:
    """Register the resolver for each model ``module`` defines that has none yet."""
    from hypothesis import strategies as st

    table = _registered()
    for value in list(vars(module).values()):
        if (
            isinstance(value, type)
            and value.__module__ == module.__name__
            and value.__qualname__ in MODELS
            and value not in table
        ):
            st.register_type_strategy(value, _resolve)


class _Loader(Loader):
    """Runs the real loader, then registers the module's models."""

    def __init__(self, inner: Loader) -> None:
        self._inner = inner

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        if spec is not None:  # the module keeps its own loader (source, resources)
            spec.loader = self._inner
        module.__loader__ = self._inner
        self._inner.exec_module(module)
        register_module(module)


class _Finder(MetaPathFinder):
    """Finds symprogram's modules with the other finders and wraps their loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not _watched(fullname):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Loader(spec.loader)
            return spec
        return None


_FINDER = _Finder()


def setup_hook() -> None:
    """Hypothesis' entry point: watch symprogram's imports, register what is imported."""
    with _LOCK:
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
    for name, module in list(sys.modules.items()):
        if module is not None and _watched(name):
            register_module(module)
