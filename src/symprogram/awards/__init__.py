"""Awards: accreditations and certifications, progress, expiry, kits and publishing.

"review your accreditation and certification awards progress ... publish your
certifications to third parties via email" (seed 000). The program catalogue is
data (:class:`AwardCatalogue`); :class:`AwardsService` (options:
:class:`AwardsSettings`) records exam results, reports progress, grants, renews
and revokes awards, queues achievement kits and publishes awards to third
parties who verify them with a code.
"""

from symprogram.awards.directory import StaticCandidateDirectory
from symprogram.awards.events import (
    AwardGranted,
    AwardRenewed,
    AwardRevoked,
    AwardsPublished,
    DisclosureRevoked,
    DisclosureVerified,
    ExamResultRecorded,
    KitDelivered,
    KitQueued,
    KitShipped,
)
from symprogram.awards.models import (
    AllOf,
    AnyOf,
    AtLeast,
    AwardCatalogue,
    AwardDefinition,
    AwardGrant,
    AwardHolding,
    AwardKind,
    AwardsErasure,
    AwardStatus,
    CandidateAwards,
    DisclosedAward,
    Disclosure,
    DisclosureStatus,
    DisclosureView,
    ExamDefinition,
    ExamPassed,
    ExamRef,
    ExamResult,
    HoldsAward,
    KitAddress,
    KitFulfilment,
    KitStatus,
    MinimumCredits,
    Progress,
    PublishedDisclosure,
    Renewal,
    Requirement,
    RequirementStatus,
    VerificationRecord,
)
from symprogram.awards.ports import AwardsRepository, CandidateDirectory
from symprogram.awards.service import (
    DEFAULT_DISCLOSURE_TTL,
    MAX_DISCLOSURE_TTL,
    AwardsService,
    AwardsSettings,
)
from symprogram.awards.storage import AwardsStorage

__all__ = [
    "DEFAULT_DISCLOSURE_TTL",
    "MAX_DISCLOSURE_TTL",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "AwardCatalogue",
    "AwardDefinition",
    "AwardGrant",
    "AwardGranted",
    "AwardHolding",
    "AwardKind",
    "AwardRenewed",
    "AwardRevoked",
    "AwardStatus",
    "AwardsErasure",
    "AwardsPublished",
    "AwardsRepository",
    "AwardsService",
    "AwardsSettings",
    "AwardsStorage",
    "CandidateAwards",
    "CandidateDirectory",
    "DisclosedAward",
    "Disclosure",
    "DisclosureRevoked",
    "DisclosureStatus",
    "DisclosureVerified",
    "DisclosureView",
    "ExamDefinition",
    "ExamPassed",
    "ExamRef",
    "ExamResult",
    "ExamResultRecorded",
    "HoldsAward",
    "KitAddress",
    "KitDelivered",
    "KitFulfilment",
    "KitQueued",
    "KitShipped",
    "KitStatus",
    "MinimumCredits",
    "Progress",
    "PublishedDisclosure",
    "Renewal",
    "Requirement",
    "RequirementStatus",
    "StaticCandidateDirectory",
    "VerificationRecord",
]
