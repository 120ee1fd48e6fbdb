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

from symprogram.entitlements.events import *  # noqa: F403  (every event, re-exported)
from symprogram.entitlements.events import __all__ as _events_all
from symprogram.entitlements.models import *  # noqa: F403  (every model, re-exported)
from symprogram.entitlements.models import __all__ as _models_all
from symprogram.entitlements.ports import RemoteAccessConsent
from symprogram.entitlements.remote_access import InMemoryRemoteAccessConsent
from symprogram.entitlements.rules import LanguageChoice, choose_language
from symprogram.entitlements.service import EntitlementsService, EntitlementsSettings

__all__ = [
    "EntitlementsService",
    "EntitlementsSettings",
    "InMemoryRemoteAccessConsent",
    "LanguageChoice",
    "RemoteAccessConsent",
    "choose_language",
    *_events_all,
    *_models_all,
]
