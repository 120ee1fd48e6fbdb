"""Awards: accreditations and certifications, progress, expiry, kits and publishing.

"review your accreditation and certification awards progress ... publish your
certifications to third parties via email" (the Terms of Use v.2007.507). The program catalogue is
data (:class:`AwardCatalogue`); :class:`AwardsService` (options:
:class:`AwardsSettings`) records exam results, reports progress, grants, renews
and revokes awards, queues achievement kits and publishes awards to third
parties who verify them with a code.
"""

from symprogram.awards._anchors import awards_anchor_check, disclosure_owner_check, kit_owner_check
from symprogram.awards.directory import StaticCandidateDirectory
from symprogram.awards.events import *  # noqa: F403  (every event, re-exported)
from symprogram.awards.events import __all__ as _events_all
from symprogram.awards.models import *  # noqa: F403  (every model, re-exported)
from symprogram.awards.models import __all__ as _models_all
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
    "AwardsRepository",
    "AwardsService",
    "AwardsSettings",
    "AwardsStorage",
    "CandidateDirectory",
    "StaticCandidateDirectory",
    "awards_anchor_check",
    "disclosure_owner_check",
    "kit_owner_check",
    *_events_all,
    *_models_all,
]
