"""The awards service: exam results, progress, earning, renewal, reminders, kits, disclosures.

Every public method runs in ONE unit of work (all or nothing), appends a domain
event to the candidate's account history for every change, and hands messages to
the notifier only after the unit of work committed. The service is a thin facade:
each use case is a flow module (:mod:`~symprogram.awards.results`,
:mod:`~symprogram.awards.progress`, :mod:`~symprogram.awards.earning`,
:mod:`~symprogram.awards.renewal`, :mod:`~symprogram.awards.reminders`,
:mod:`~symprogram.awards.kits`,
:mod:`~symprogram.awards.publishing`, :mod:`~symprogram.awards.erasure`) and every
refusal is decided in :mod:`~symprogram.awards.rules`.

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.clock import FixedClock
    >>> from symprogram.storage.memory import MemoryStore
    >>> store, clock = MemoryStore(), FixedClock(datetime(2012, 3, 1, tzinfo=timezone.utc))
    >>> from symprogram.awards import AwardsService, KitAddress, StaticCandidateDirectory
    >>> from symprogram.history import AccountHistory
    >>> from symprogram.notify import Outbox
    >>> people = StaticCandidateDirectory()
    >>> people.add("c-1", KitAddress("Ada", "ada@example.com", ("1 Main St", "Springfield")))
    >>> awards = AwardsService(store, clock, history=AccountHistory(store), notifier=Outbox(),
    ...                        candidates=people)
    >>> _ = awards.record_exam_result("c-1", "ST0-091", 82, taken_at=clock.now())
    >>> [g.award_id for g in awards.evaluate("c-1")]
    ['sts-endpoint']
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import attrs

from symprogram._checks import check_instance, check_int, check_port, optional_instance
from symprogram._deprecation import deprecated_alias, warn_deprecated
from symprogram._memo import TokenMemo
from symprogram.awards._base import SINCE
from symprogram.awards.earning import Earning
from symprogram.awards.erasure import Erasure
from symprogram.awards.kits import Kits
from symprogram.awards.models import AwardCatalogue
from symprogram.awards.ports import CandidateDirectory
from symprogram.awards.progress import PROGRESS_MEMO_MAX, ProgressReports
from symprogram.awards.publishing import Publishing
from symprogram.awards.reminders import Reminders
from symprogram.awards.renewal import Renewals
from symprogram.awards.results import Results
from symprogram.awards.rules import DEFAULT_DISCLOSURE_TTL, MAX_DISCLOSURE_TTL
from symprogram.awards.storage import AwardsStorage
from symprogram.clock import LONGEST_SPAN, Clock
from symprogram.errors import ValidationError
from symprogram.history import AccountHistory
from symprogram.notify import Notifier
from symprogram.persistence import Store

__all__ = ["DEFAULT_DISCLOSURE_TTL", "MAX_DISCLOSURE_TTL", "AwardsService", "AwardsSettings"]


def _check_salt(_instance: Any, _attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, bytes) or len(value) < 16):
        raise ValidationError("salt must be at least 16 bytes", field="salt", code="invalid_salt")


def _check_ttl(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, timedelta) or not timedelta(0) < value <= LONGEST_SPAN:
        raise ValidationError(
            f"{attribute.name} must be a positive timedelta of at most {LONGEST_SPAN.days} days",
            field=attribute.name,
            code=f"invalid_{attribute.name}",
        )


def _check_limit(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_int(value, attribute.name, minimum=1, maximum=10_000_000)


@attrs.frozen
class AwardsSettings:
    """The options of :class:`AwardsService`, checked when built.

    Attributes:
        salt: service-wide secret salt (at least 16 bytes) for recipient hashes;
            ``None`` (default): a random salt per disclosure, stored beside the hash.
        disclosure_ttl: how long a disclosure lasts when neither ``ttl`` nor
            ``expires_at`` is given (default 30 days).
        max_disclosure_ttl: the longest a disclosure may last (default 365 days).
        progress_memo_limit: most progress answers remembered on a store with a
            change token (default 4096; 1 to 10,000,000).

    Raises:
        ValidationError: ``invalid_salt``, ``invalid_disclosure_ttl``,
            ``invalid_max_disclosure_ttl``, ``invalid_progress_memo_limit``.

    Example:
        >>> AwardsSettings(salt=b"0123456789abcdef").disclosure_ttl.days
        30
    """

    salt: bytes | None = attrs.field(default=None, validator=_check_salt, repr=False)
    disclosure_ttl: timedelta = attrs.field(default=DEFAULT_DISCLOSURE_TTL, validator=_check_ttl)
    max_disclosure_ttl: timedelta = attrs.field(default=MAX_DISCLOSURE_TTL, validator=_check_ttl)
    progress_memo_limit: int = attrs.field(default=PROGRESS_MEMO_MAX, validator=_check_limit)

    def __attrs_post_init__(self) -> None:
        if self.disclosure_ttl > self.max_disclosure_ttl:
            raise ValidationError(
                "disclosure_ttl must not exceed max_disclosure_ttl",
                field="disclosure_ttl",
                code="invalid_disclosure_ttl",
            )


def _with_salt(
    *, settings: AwardsSettings | None = None, salt: bytes | None = None, **_others: object
) -> AwardsSettings:
    """The settings with the salt given by its deprecated keyword, ``salt=``, checked
    as a settings salt; refused together with a settings salt.

    Run by the constructor and, through ``_options_check``, by ``Program`` when it
    is built (the other options are ignored).

    Raises:
        ValidationError: ``conflicting_arguments``, ``invalid_salt``.
    """
    chosen = settings if settings is not None else AwardsSettings()
    if salt is None:
        return chosen
    if chosen.salt is not None:
        raise ValidationError(
            "give settings=AwardsSettings(salt=...) only (salt= is its deprecated name)",
            field="settings",
            code="conflicting_arguments",
        )
    return attrs.evolve(chosen, salt=salt)


_DIRECTORY_METHODS = ("exists", "contact_details", "has_accepted_current_terms")
"""What a candidate directory must offer (``holder_name``, ``kit_recipient``,
``kit_notices_to``, ``expiry_reminders_to`` and the others of the protocol are optional)."""


class AwardsService(
    Results, ProgressReports, Earning, Renewals, Reminders, Kits, Publishing, Erasure
):
    """Accreditations and certifications of one program.

    Args:
        store: where awards are kept.
        clock: the source of "now".
        history: the account history every change is appended to.
        notifier: receives the verification messages of disclosures.
        candidates: the program's candidates (satisfied by the accounts context).
        catalogue: the program; default :meth:`AwardCatalogue.default`.
        settings: the service's options; default :class:`AwardsSettings` ``()``.
        salt: deprecated since 0.2: give ``settings=AwardsSettings(salt=...)``.

    Raises:
        ValidationError: ``invalid_settings``, ``invalid_catalogue`` (not of their
            class), ``invalid_salt``; ``conflicting_arguments`` (``salt=`` together
            with a settings salt).
    """

    DEPRECATED_KEYWORDS: ClassVar[dict[str, str]] = {"salt": "settings"}
    """Old keyword -> where its value goes now (read by ``Program``'s option check)."""

    _options_check = staticmethod(_with_salt)
    """The checks among the options (run by the constructor, and by ``Program``'s
    option check so that a mismatch is refused when the program is built)."""

    kit = deprecated_alias("get_kit", old="kit", since=SINCE)

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        history: AccountHistory,
        notifier: Notifier,
        candidates: CandidateDirectory,
        catalogue: AwardCatalogue | None = None,
        settings: AwardsSettings | None = None,
        salt: bytes | None = None,
    ) -> None:
        chosen = check_instance(settings, AwardsSettings, "settings", default=AwardsSettings())
        if salt is not None:
            warn_deprecated(
                "AwardsService(salt=...)", "AwardsService(settings=AwardsSettings(salt=...))", SINCE
            )
        self.settings = chosen = _with_salt(settings=chosen, salt=salt)
        self._store = check_port(store, Store, "store")
        self._clock = check_port(clock, Clock, "clock")
        self._history = check_instance(history, AccountHistory, "history")
        self._notifier = check_port(notifier, Notifier, "notifier")
        self._candidates = check_port(
            candidates, CandidateDirectory, "candidates", required=_DIRECTORY_METHODS
        )
        optional_instance(catalogue, AwardCatalogue, "catalogue")
        self._catalogue = catalogue if catalogue is not None else AwardCatalogue.default()
        self._repo = AwardsStorage()
        self._progress_memo = TokenMemo(store, limit=chosen.progress_memo_limit)
