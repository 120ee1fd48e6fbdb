"""The consent service: record choices in a provable ledger and answer "may we?".

:class:`ConsentService` is a thin facade composed of one class per flow
(:mod:`~symprogram.consent.choices`, :mod:`~symprogram.consent.queries`,
:mod:`~symprogram.consent.policies`, :mod:`~symprogram.consent.personal_data`,
:mod:`~symprogram.consent.ledger`, :mod:`~symprogram.consent.rebuild`,
:mod:`~symprogram.consent.erasure`). Every
public method that writes opens one unit of work: it validates the input,
appends to the subject's hash-chained ledger stream and updates the subject's
projection in the same transaction, so the projection can never disagree with
the ledger. Reading answers (:meth:`ConsentService.may_use`) read the projection
once and apply pure rules with the policies held in memory.

Example:
    >>> from symprogram.clock import SystemClock
    >>> from symprogram.storage.memory import MemoryStore
    >>> consent = ConsentService(MemoryStore(), SystemClock())
    >>> _ = consent.grant("cust-1", "special_offers", channel="web_form", evidence="box ticked")
    >>> consent.may_use("cust-1", "special_offers").codes
    ('granted',)
    >>> _ = consent.withdraw("cust-1", "special_offers", channel="email_reply")
    >>> consent.may_use("cust-1", "special_offers").codes
    ('withdrawn',)
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import attrs

from symprogram._checks import (
    check_enum,
    check_instance,
    check_int,
    check_port,
    optional,
    optional_instance,
    validator,
)
from symprogram._deprecation import renamed_keyword
from symprogram._memo import TokenMemo
from symprogram.clock import Clock
from symprogram.consent.audience import CACHE_LIMIT, AudienceIndex, Projections
from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.consent.choices import Choices
from symprogram.consent.erasure import Erasure
from symprogram.consent.ledger import LedgerChecks
from symprogram.consent.models import RECEIPT_FORMAT, PolicyReading
from symprogram.consent.personal_data import PersonalData
from symprogram.consent.policies import Policies
from symprogram.consent.ports import AUDIENCE_KIND, AUDIENCE_MARKER, META_KIND
from symprogram.consent.queries import Queries
from symprogram.consent.rebuild import Rebuilding
from symprogram.consent.storage import audience_key
from symprogram.errors import ValidationError
from symprogram.events import Ledger, Subscriptions
from symprogram.ledger_keys import LedgerKeys
from symprogram.persistence import Store

__all__ = [
    "AUDIENCE_KIND",
    "AUDIENCE_MARKER",
    "META_KIND",
    "RECEIPT_FORMAT",
    "ConsentService",
    "ConsentSettings",
    "audience_key",
]

_MEMO_LIMIT = 16_384
"""Remembered ``may_use`` answers by default (stores with a change token only)."""


def _reading(value: object) -> PolicyReading | None:
    return None if value is None else check_enum(PolicyReading, value, "policy")


@attrs.frozen
class ConsentSettings:
    """Options of the consent service.

    Attributes:
        cache_limit: decoded projections remembered between calls (1 to 10,000,000).
        memo_limit: remembered ``may_use`` answers on a store with a change token
            (``None``: 16,384).
        policy: which reading of the privacy policy the default catalogue is
            (:class:`~symprogram.consent.models.PolicyReading`): ``"document"``
            (the default: the policy as the document says it) or ``"opt_in"``
            (the stricter reading for hosts whose law requires opt-in). Only for
            the default catalogue: with ``catalogue=``, leave it unset.

    Raises:
        ValidationError: an ill-typed or out-of-range value (``invalid_cache_limit``,
            ``invalid_memo_limit``, ``invalid_policy``).
    """

    cache_limit: int = attrs.field(
        default=CACHE_LIMIT, validator=validator(check_int, minimum=1, maximum=10_000_000)
    )
    memo_limit: int | None = attrs.field(
        default=None, validator=optional(validator(check_int, minimum=1, maximum=10_000_000))
    )
    policy: PolicyReading | None = attrs.field(default=None, converter=_reading)


def _check_together(
    *,
    catalogue: PolicyCatalogue | None = None,
    settings: ConsentSettings | None = None,
    **_others: object,
) -> None:
    """Refuse options that are each right but wrong together: a catalogue and a
    ``settings.policy`` (the reading is only for the default catalogue).

    Run by the constructor and, through ``_options_check``, by ``Program`` when it
    is built (the other options are ignored).

    Raises:
        ValidationError: ``conflicting_arguments``.
    """
    if catalogue is not None and settings is not None and settings.policy is not None:
        raise ValidationError(
            "give either catalogue= or settings.policy, not both",
            field="settings",
            code="conflicting_arguments",
        )


class ConsentService(Choices, Queries, Policies, PersonalData, Rebuilding, LedgerChecks, Erasure):
    """Privacy policies, the consent ledger, opt-outs, notices and requests.

    Args:
        store: where the ledger, projections and personal information live.
        clock: the source of "now".
        catalogue: the policy catalogue (default: the privacy policy as the
            document says it, :meth:`PolicyCatalogue.default`, or the reading
            ``settings.policy`` names); versions published with
            :meth:`publish_policy` are stored and added to it.
        settings: the service's options (default :class:`ConsentSettings`).
        ledger_key: optional secret (or key ring); with it the ledger chain, heads and erasure
            markers are HMAC-SHA-256 so nobody without the key can forge a
            consistent history or fake an erasure; a :class:`~symprogram.Program`
            gives its own ``ledger_key``.
        subscriptions: the reactions to the events recorded in the consent
            ledger, published in the unit of work that records them, once the
            projection is saved (a :class:`~symprogram.Program` gives its own).
        policies: deprecated name of ``catalogue``.

    Deprecated names (each warns, then answers as its new name): ``policy(at)``
    is :meth:`get_policy`, ``policy_change(version)`` is :meth:`get_policy_change`.

    Raises:
        ValidationError: ``invalid_catalogue``, ``invalid_settings``,
            ``invalid_subscriptions``, ``unexpected_argument``,
            ``conflicting_arguments``.
    """

    DEPRECATED_KEYWORDS: ClassVar[dict[str, str]] = {"policies": "catalogue"}
    """Old keyword -> where its value goes now (read by ``Program``'s option check)."""

    _options_check = staticmethod(_check_together)
    """The checks among the options (run by the constructor, and by ``Program``'s
    option check so that a mismatch is refused when the program is built)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        catalogue: PolicyCatalogue | None = None,
        settings: ConsentSettings | None = None,
        ledger_key: bytes | LedgerKeys | None = None,
        subscriptions: Subscriptions | None = None,
        **deprecated: Any,
    ) -> None:
        catalogue = renamed_keyword(
            deprecated,
            old="policies",
            new="catalogue",
            value=catalogue,
            since="0.2",
            where="ConsentService",
        )
        optional_instance(catalogue, PolicyCatalogue, "catalogue")
        settings = check_instance(settings, ConsentSettings, "settings", default=ConsentSettings())
        _check_together(catalogue=catalogue, settings=settings)
        if catalogue is None:
            catalogue = PolicyCatalogue.default(reading=settings.policy)
        self._subscriptions = optional_instance(subscriptions, Subscriptions, "subscriptions")
        self._store = check_port(store, Store, "store")
        self._clock = check_port(clock, Clock, "clock")
        self._settings = settings
        self._base = catalogue
        self._catalogue = self._base
        self._held = (self._base, None, None)  # read from the store on first use
        self._lock = threading.Lock()
        self.ledger = Ledger("consent", key=ledger_key)
        self._projections = Projections(store, self.ledger, limit=settings.cache_limit)
        self._index = AudienceIndex(store, self._projections)
        memo_limit = settings.memo_limit if settings.memo_limit is not None else _MEMO_LIMIT
        self._memo = TokenMemo(store, limit=memo_limit)

    @property
    def settings(self) -> ConsentSettings:
        """The options in use (as ``accounts.settings``, ``awards.settings`` and
        ``entitlements.settings``)."""
        return self._settings
