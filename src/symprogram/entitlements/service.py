"""The entitlements service: who may read which support document, in which language,
and the support agreements, grants, extensions, cases and remote sessions behind it.

:class:`EntitlementsService` is a thin facade: each use case lives in a flow
module of its own (:mod:`~symprogram.entitlements.reading`,
:mod:`~symprogram.entitlements.agreements`, :mod:`~symprogram.entitlements.support`,
:mod:`~symprogram.entitlements.remote_access`, :mod:`~symprogram.entitlements.audit`)
as a small class, and the service is composed of them.

Example:
    >>> from datetime import date, datetime, timezone
    >>> from symprogram.clock import FixedClock
    >>> from symprogram.entitlements import Reader
    >>> from symprogram.storage.memory import MemoryStore
    >>> clock = FixedClock(datetime(2012, 3, 1, tzinfo=timezone.utc))
    >>> service = EntitlementsService(MemoryStore(), clock)
    >>> _ = service.add_agreement("C-1", agreement_id="A-1", level="essential_support",
    ...     products=["Backup Exec"], starts_on=date(2012, 1, 1), ends_on=date(2012, 12, 31),
    ...     by="sales")
    >>> d = service.decide(Reader("C-1", logged_in=True),
    ...     "essential_support_basic_maintenance_handbook", languages="iw-IL,ja;q=0.5")
    >>> d.allowed, d.codes, d.detail("language"), d.detail("location")
    (True, ('active_agreement', 'language_served'), 'he', 'https://my.symantec.com')
    >>> policy = service.decide(None, "technical_support_policy", languages=["iw"])
    >>> policy.detail("language"), policy.detail("language_name"), policy.detail("direction")
    ('he', 'עברית', 'rtl')
"""

from __future__ import annotations

from typing import Any

import attrs

from symprogram._checks import (
    check_instance,
    check_int,
    check_port,
    optional_instance,
    shown,
    validator,
)
from symprogram._memo import TokenMemo
from symprogram.clock import Clock
from symprogram.entitlements._lifecycle_anchors import LifecycleReader
from symprogram.entitlements.agreements import Agreements
from symprogram.entitlements.audit import Audit
from symprogram.entitlements.catalogue import READINGS
from symprogram.entitlements.erasure import Erasure
from symprogram.entitlements.models import EntitlementCatalogue
from symprogram.entitlements.ports import RemoteAccessConsent
from symprogram.entitlements.reading import LanguageCache, Reading
from symprogram.entitlements.remote_access import RemoteAccess
from symprogram.entitlements.storage import HoldingsReader
from symprogram.entitlements.support import Cases, Extensions, Grants
from symprogram.errors import ValidationError
from symprogram.events import Ledger, Subscriptions
from symprogram.ledger_keys import LedgerKeys
from symprogram.persistence import Store

__all__ = ["EntitlementsService", "EntitlementsSettings"]

_LIMIT = validator(check_int, minimum=1, maximum=10_000_000)


def _check_reading(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or value not in READINGS):
        raise ValidationError(
            f"reading must be one of {', '.join(READINGS)} (or None), not {shown(value, limit=80)}",
            field=attribute.name,
            code="invalid_reading",
        )


@attrs.frozen
class EntitlementsSettings:
    """Options of the entitlements service.

    Attributes:
        cache_limit: customers whose decoded holdings, and (document, languages)
            pairs whose language choice, are kept between calls (1 to 10,000,000).
        memo_limit: answers of :meth:`~EntitlementsService.decide` remembered on a
            store with a change token (1 to 10,000,000).
        reading: which reading of the Enterprise Support page's login rule the
            default catalogue implements (see
            :data:`~symprogram.entitlements.catalogue.READINGS`):
            ``"service_level"`` (each handbook gated by the service level it is
            for) or ``"login"`` (the page's literal reading: a SymAccount login
            suffices from 2011-01-15). ``None``: the catalogue given, else
            ``"service_level"``. With a catalogue of another reading it is
            refused (``reading_mismatch``).

    Raises:
        ValidationError: an ill-typed or out-of-range value (``invalid_cache_limit``,
            ``invalid_memo_limit``, ``invalid_reading``).

    Example:
        >>> EntitlementsSettings(memo_limit=100).memo_limit
        100
    """

    cache_limit: int = attrs.field(default=4096, validator=_LIMIT)
    memo_limit: int = attrs.field(default=8192, validator=_LIMIT)
    reading: str | None = attrs.field(default=None, validator=_check_reading)


def _check_together(
    *,
    catalogue: EntitlementCatalogue | None = None,
    settings: EntitlementsSettings | None = None,
    **_others: object,
) -> None:
    """Refuse options of the service that are each right but wrong together: a
    ``settings.reading`` other than the reading of the catalogue given.

    Run by the constructor and, through ``_options_check``, by ``Program`` when it
    is built (the other options are ignored).

    Raises:
        ValidationError: ``reading_mismatch``.
    """
    reading = None if settings is None else settings.reading
    if catalogue is not None and reading is not None and reading != catalogue.reading:
        raise ValidationError(
            f"the catalogue implements the {catalogue.reading!r} reading, "
            f"the settings ask for {reading!r}",
            field="settings",
            code="reading_mismatch",
        )


class EntitlementsService(
    Reading, Agreements, Grants, Extensions, Cases, RemoteAccess, Audit, Erasure
):
    """Enterprise support entitlements (the Enterprise Support page).

    Args:
        store: where agreements, grants, extensions, cases and the audit live.
        clock: the source of "now".
        catalogue: service levels, documents, languages, ...; default: the page's
            (:meth:`EntitlementCatalogue.default`).
        settings: the service's options (default :class:`EntitlementsSettings`).
        remote_access_consent: answers whether a customer consented to the
            current Remote Access Standard Terms; without it no remote session
            can start.
        ledger_key: optional secret (or key ring) for the audit ledger (HMAC-SHA-256 chain,
            heads and erasure markers); a :class:`~symprogram.Program` gives its
            own ``ledger_key``.
        subscriptions: the reactions to the events recorded in the audit,
            published in the unit of work that records them (a
            :class:`~symprogram.Program` gives its own).

    Raises:
        ValidationError: ``invalid_catalogue``, ``invalid_settings``, ``invalid_key``,
            ``invalid_subscriptions``,
            ``reading_mismatch`` (``settings.reading`` names another reading than
            the catalogue's).

    The decision methods are a hot path: the catalogue is indexed once, language
    choices are cached per (document, languages), and a customer's holdings are
    one record read in one read-only unit of work (decoded once per version). On
    a store with a change tracker, :meth:`decide` also remembers its answers
    while the store is unchanged, each for the window of instants it holds over.
    """

    _options_check = staticmethod(_check_together)
    """The checks among the options (run by the constructor, and by ``Program``'s
    option check so that a mismatch is refused when the program is built)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        catalogue: EntitlementCatalogue | None = None,
        settings: EntitlementsSettings | None = None,
        remote_access_consent: RemoteAccessConsent | None = None,
        ledger_key: bytes | LedgerKeys | None = None,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        optional_instance(catalogue, EntitlementCatalogue, "catalogue")
        self._subscriptions = optional_instance(subscriptions, Subscriptions, "subscriptions")
        settings = check_instance(
            settings, EntitlementsSettings, "settings", default=EntitlementsSettings()
        )
        self._store = check_port(store, Store, "store")
        self._clock = check_port(clock, Clock, "clock")
        _check_together(catalogue=catalogue, settings=settings)
        if catalogue is None:
            catalogue = EntitlementCatalogue.default(reading=settings.reading)
        self._catalogue = catalogue
        self._settings = settings
        self._consent = remote_access_consent
        self._ledger = Ledger("entitlements", key=ledger_key)
        self._reader = HoldingsReader(limit=settings.cache_limit, ledger=self._ledger)
        self._lifecycles = LifecycleReader(limit=settings.cache_limit, ledger=self._ledger)
        self._languages = LanguageCache(limit=settings.cache_limit)
        self._memo = TokenMemo(store, limit=settings.memo_limit)

    @property
    def settings(self) -> EntitlementsSettings:
        """The options in use."""
        return self._settings
