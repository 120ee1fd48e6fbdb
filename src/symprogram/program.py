"""The one place that wires clock, storage, notifier and the four services together.

Example:
    >>> from symprogram import Program
    >>> with Program.in_memory() as program:
    ...     program.history.verify("SP-0000-0000-0000-0").ok
    True
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from symprogram._bridges import (
    AWARDS_ANCHOR_KINDS,
    CANDIDATE_ANCHOR_KINDS,
    HISTORY_OWNER_CHECKS,
    awards_anchors,
    candidate_anchors,
    score_report_checks,
)
from symprogram._checks import check_port, check_text
from symprogram._closing import Closing
from symprogram._verifications import failed_verifications
from symprogram.clock import Clock, SystemClock, ensure_utc
from symprogram.errors import IntegrityError, NotFound, ValidationError
from symprogram.events import DomainEvent, EventFilter, EventHandler, Subscriptions
from symprogram.history import AccountHistory
from symprogram.ids import canonical_subject
from symprogram.ledger import Ledger, LedgerRegistry, Problem, Verification, _checked_digest
from symprogram.ledger_keys import LedgerKeys, as_ledger_keys
from symprogram.notify import Notifier, Outbox
from symprogram.persistence import Store
from symprogram.storage import open_store
from symprogram.storage._joining import joining

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

    from symprogram.accounts import AccountsService
    from symprogram.accounts.events import ContactDetailsUpdated
    from symprogram.awards import AwardsService
    from symprogram.consent import ConsentRecord, ConsentService
    from symprogram.digests import LedgerDigest, LedgersVerification
    from symprogram.entitlements import EntitlementsService
    from symprogram.erasure import PersonErasure

__all__ = ["Program"]

S = TypeVar("S")
L = TypeVar("L", bound="_LedgerService")
E = TypeVar("E", bound=DomainEvent)

_SERVICES = {
    "accounts": ("symprogram.accounts", "AccountsService"),
    "awards": ("symprogram.awards", "AwardsService"),
    "entitlements": ("symprogram.entitlements", "EntitlementsService"),
    "consent": ("symprogram.consent", "ConsentService"),
}


class _LedgerService(Protocol):
    """A service that keeps a ledger of its own."""

    @property
    def ledger(self) -> Ledger: ...


def _deprecated_keywords(name: str) -> set[str]:
    import importlib

    module, cls = _SERVICES[name]
    return set(getattr(getattr(importlib.import_module(module), cls), "DEPRECATED_KEYWORDS", {}))


def _checked_options(options: object) -> dict[str, dict[str, Any]]:
    """Every service's options, checked against its constructor (see ``_options``)."""
    import importlib

    from symprogram._options import check_options

    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ValidationError(
            "options must be a mapping of service name to options",
            field="options",
            code="invalid_option",
        )
    unknown = sorted(str(k) for k in options if k not in _SERVICES)
    if unknown:
        raise ValidationError(
            f"unknown service(s) in options: {', '.join(unknown)}",
            field="options",
            code="unknown_service",
        )
    checked = {}
    for name, given in options.items():
        module, cls = _SERVICES[name]
        service = getattr(importlib.import_module(module), cls)
        checked[name] = check_options(service, name, given)
    return checked


_PROGRAM_KEYWORDS = ("notifier", "ledger_key", "options")
"""The keyword arguments :meth:`Program.open` and :meth:`Program.in_memory` pass on."""


def _checked_keywords(kwargs: Mapping[str, object]) -> None:
    """Refuse a keyword argument the program's constructor does not take."""
    unknown = sorted(name for name in kwargs if name not in _PROGRAM_KEYWORDS)
    if unknown:
        raise ValidationError(
            f"Program has no option {unknown[0]!r} (options: clock, "
            f"{', '.join(_PROGRAM_KEYWORDS)}; a service's own options go in "
            "options={service: {...}})",
            field=unknown[0],
            code="unknown_option",
        )


class Program(Closing):
    """A partner and customer program: accounts, awards, entitlements and consent.

    Args:
        store: the storage backend (see :func:`symprogram.storage.open_store`). A
            host's adapter whose units of work do not join a thread's open one
            and defer work until it commits (it has no ``on_commit``) is wrapped
            so that they do (:attr:`store` is then the wrapper: open a host's
            blocks with ``program.store.transaction()``).
        clock: the source of time (default: :class:`~symprogram.clock.SystemClock`).
        notifier: receives activation, reset, security and verification messages
            (default: an in-memory :class:`~symprogram.notify.Outbox`).
        ledger_key: optional secret of every ledger (the account history, the
            consent ledger, the entitlements audit): with it chains, heads and
            erasure markers are HMAC-SHA-256. Every ledger of the program is made
            or adopted by :attr:`ledgers` with this key. Bytes, or a key ring
            (:class:`~symprogram.ledger_keys.LedgerKeys`: the current key and
            retired keys that only verify; see :meth:`rekey`).
        options: per-service keyword options, keyed by service name, e.g.
            ``{"entitlements": {"catalogue": my_catalogue}}`` or
            ``{"accounts": {"settings": {"reset_limit": 5}}}``: keyword arguments of
            the service's constructor, and its typed settings (an object, or a
            mapping of its fields). They are checked when the program is built: an
            unknown service is ``unknown_service``, a misspelled option
            ``unknown_option``, a value of the wrong type ``invalid_option``.

    Services are created on first use, once, under the program's lock, and share
    the store, clock, notifier and :attr:`subscriptions` (the reactions to the
    events they record; :meth:`subscribe`). A ``Program`` may be shared between
    threads. A ``Program`` is a context manager that closes its store.

    Raises:
        ValidationError: a store or clock that is not one, or bad options; a
            notifier without a ``send`` method (``invalid_notifier``, when the
            program is built rather than at the first message); a
            ``ledger_key`` that is not non-empty bytes or a key ring (``invalid_key``).
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        ledger_key: bytes | LedgerKeys | None = None,
        options: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        if not isinstance(store, Store):
            raise ValidationError(
                "store must be a symprogram Store", field="store", code="invalid_store"
            )
        # a host's adapter without the built-in units of work gets them (see _joining)
        self.store: Store = joining(store)
        self.clock: Clock = SystemClock() if clock is None else clock
        # a date or datetime (or any class) has a now() too, but it is no clock
        if not isinstance(self.clock, Clock) or isinstance(self.clock, type | date):
            raise ValidationError(
                "clock must be a Clock: an object whose now() returns an aware UTC instant "
                "(e.g. SystemClock(), FixedClock(at))",
                field="clock",
                code="invalid_clock",
            )
        self.notifier: Notifier = (
            Outbox() if notifier is None else check_port(notifier, Notifier, "notifier")
        )
        self._ledger_key = as_ledger_keys(ledger_key)
        self._options = _checked_options(options)
        self._deprecated_options = {
            name for name, given in self._options.items() if set(given) & _deprecated_keywords(name)
        }
        self._services: dict[str, Any] = {}
        self._lock = threading.RLock()
        self.ledgers = LedgerRegistry(self._ledger_key)
        """Every ledger of the program, each with the program's key."""
        self.subscriptions = Subscriptions()
        """The reactions to the events the services record (see :meth:`subscribe`)."""
        self._subscribed = False
        self.history = AccountHistory(
            store, ledger=self.ledgers.ledger("history"), subscriptions=self.subscriptions
        )
        # Each stored candidate's status and address, and its stored exam results and
        # grants, are checked against the history by ``history.verify`` and
        # ``verify_all`` (``aggregate_mismatch``), every stored one: also those whose
        # history is empty (written in by hand, or the stream and head dropped).
        self.history.add_anchor_check(candidate_anchors, kinds=CANDIDATE_ANCHOR_KINDS)
        self.history.add_anchor_check(awards_anchors, kinds=AWARDS_ANCHOR_KINDS)
        # Each stored incident, claimed score report, disclosure and kit must be
        # listed by the candidate record it names (itself checked against the
        # history): ``history.verify_all`` reports one written in under a key of its own.
        # Each stored score report is also checked against its own history subject
        # (its exam fields, the digest of its name and address), and one with no
        # entry there is reported once the store is marked as anchoring them.
        report_anchors, report_owners = score_report_checks(self.history.ledger)
        self.history.add_anchor_check(report_anchors)
        for kind, owners in HISTORY_OWNER_CHECKS:
            self.history.add_owner_check(kind, report_owners if kind == "score_report" else owners)

    # -- construction -------------------------------------------------------------
    @classmethod
    def in_memory(cls, *, clock: Clock | None = None, **kwargs: Any) -> Program:
        """A program kept in memory: for tests, demos and prototypes.

        Takes the keyword arguments of the constructor (``notifier``,
        ``ledger_key``, ``options``).

        Raises:
            ValidationError: another keyword argument (``unknown_option``), or
                what the constructor refuses.
        """
        from symprogram.storage.memory import MemoryStore

        _checked_keywords(kwargs)
        return cls(MemoryStore(), clock=clock, **kwargs)

    @classmethod
    def open(
        cls,
        url: str | URL | Engine | Connection | None = None,
        *,
        clock: Clock | None = None,
        **kwargs: Any,
    ) -> Program:
        """A program on the storage named by ``url``.

        ``sqlite:///path.db`` (the embedded default), ``memory://``, an
        SQLAlchemy URL (``postgresql+psycopg://...``, a string or a
        ``sqlalchemy.engine.URL``) with the ``sql`` extra installed, or the URL
        of any backend registered for its scheme in the ``symprogram.storage``
        entry points (see :func:`symprogram.storage.open_store`). A host
        application may instead hand in its own SQLAlchemy ``Engine``
        (symprogram never disposes of it) or ``Connection`` (every unit of work
        then joins that connection's transaction, which the host commits or
        rolls back). Without ``url``, the ``SYMPROGRAM_STORAGE`` environment
        variable, then memory.

        The other keyword arguments are the constructor's (``notifier``,
        ``ledger_key``, ``options``); when the constructor refuses one, the store
        just opened is closed again.

        Raises:
            ValidationError: the URL is not understood (``invalid_storage_url``),
                no backend is registered for its scheme
                (``unknown_storage_scheme``), a keyword argument the constructor
                does not take (``unknown_option``), or what the constructor
                refuses (``invalid_clock``, ``unknown_service``, ...).
        """
        _checked_keywords(kwargs)
        store = open_store(url)
        try:
            return cls(store, clock=clock, **kwargs)
        except BaseException:
            store.close()
            raise

    def now(self) -> datetime:
        """The program clock's current instant."""
        return self.clock.now()

    # -- services -----------------------------------------------------------------
    def _service(self, name: str, build: Callable[[], S]) -> S:
        """The service called ``name``, built once (under the lock) on first use."""
        service = self._services.get(name)
        if service is None:
            with self._lock:
                service = self._services.get(name)
                if service is None:
                    with warnings.catch_warnings():
                        if name in self._deprecated_options:
                            # Warned about when the program was built, at the caller:
                            # building the service with it must not warn again.
                            warnings.simplefilter("ignore", DeprecationWarning)
                        service = self._services[name] = build()
        return service

    def _options_over(self, name: str, defaults: dict[str, Callable[[], object]]) -> dict[str, Any]:
        """The options given for service ``name``, over the defaults (each made)."""
        return {option: make() for option, make in defaults.items()} | self._options.get(name, {})

    def _history_service(
        self, name: str, cls: Callable[..., S], **defaults: Callable[[], object]
    ) -> S:
        """A service that records in the account history (accounts, awards): built
        once, with the options given over the defaults."""

        def build() -> S:
            options = self._options_over(name, defaults)
            return cls(
                self.store, self.clock, history=self.history, notifier=self.notifier, **options
            )

        return self._service(name, build)

    def _ledger_service(
        self, name: str, cls: Callable[..., L], **defaults: Callable[[], object]
    ) -> L:
        """A service that keeps a ledger of its own (consent, entitlements): built
        once, with the options given over the defaults, its ledger registered."""

        def build() -> L:
            options = self._options_over(name, defaults)
            service = cls(
                self.store,
                self.clock,
                ledger_key=self._ledger_key,
                subscriptions=self.subscriptions,
                **options,
            )
            self.ledgers.register(service.ledger)
            return service

        return self._service(name, build)

    @property
    def consent(self) -> ConsentService:
        """Privacy policies, the consent ledger, opt-outs and requests."""
        from symprogram.consent import ConsentService

        return self._ledger_service("consent", ConsentService)

    @property
    def accounts(self) -> AccountsService:
        """Candidate registration and the account life cycle."""
        from symprogram._bridges import ConsentMarketing
        from symprogram.accounts import AccountsService

        def marketing() -> ConsentMarketing:
            # One truth per choice: consent keeps the marketing switches and learns
            # what accounts gathered, in the accounts unit of work (issue 16). Its
            # twin over stand-ins does that work for nobody (issue 18).
            from symprogram.accounts._stand_ins import StandInStore
            from symprogram.consent import ConsentService

            stand_ins = StandInStore(self.store)
            twin = ConsentService(
                stand_ins,
                self.clock,
                ledger_key=self._ledger_key,
                **self._options_over("consent", {}),
            )
            bridge = ConsentMarketing(self.consent, stand_ins=stand_ins, twin=twin)
            self._subscribe_contexts()
            return bridge

        return self._history_service("accounts", AccountsService, marketing_consent=marketing)

    @property
    def awards(self) -> AwardsService:
        """Accreditations and certifications, progress, renewal, kits and publishing."""
        from symprogram._bridges import AccountsCandidateDirectory
        from symprogram.awards import AwardsService

        return self._history_service(
            "awards", AwardsService, candidates=lambda: AccountsCandidateDirectory(self.accounts)
        )

    # -- events ---------------------------------------------------------------------
    def subscribe(
        self, event_type: type[E], handler: EventHandler[E], *, when: EventFilter[E] | None = None
    ) -> None:
        """Call ``handler(event)`` whenever a service records an event of ``event_type``.

        The handler runs synchronously, inside the unit of work that records the
        event: what it does through the program's services joins that unit of
        work, and if it raises, the whole change is rolled back and the caller of
        the service gets the exception. Handlers run in subscription order, the
        program's own reactions first (a postal address recorded by accounts
        releases the candidate's held achievement kits). Every context publishes
        the events it records: accounts and awards in the account history, consent
        in the consent ledger (once the subject's projection is saved),
        entitlements in the audit.

        Example:
            >>> from symprogram.accounts.events import ContactDetailsUpdated
            >>> program = Program.in_memory()
            >>> program.subscribe(ContactDetailsUpdated, lambda event: None)

        Args:
            event_type: a :class:`~symprogram.events.DomainEvent` subclass.
            handler: called with the event.
            when: optional condition: the handler runs only for events it is true of.

        Raises:
            ValidationError: ``invalid_event_type``, ``invalid_handler``.
        """
        self._subscribe_contexts()
        self.subscriptions.subscribe(event_type, handler, when=when)

    def _subscribe_contexts(self) -> None:
        """Subscribe one context's reactions to another's events, once, before any other.

        A postal address recorded by accounts releases the held achievement kits
        (when awards asks accounts about candidates; a host's own directory calls
        ``awards.release_held_kits`` itself).
        """
        with self._lock:
            if self._subscribed:
                return
            self._subscribed = True
            if "candidates" not in self._options.get("awards", {}):
                from symprogram._bridges import postal_address_recorded
                from symprogram.accounts.events import ContactDetailsUpdated

                self.subscriptions.subscribe(
                    ContactDetailsUpdated, self._release_held_kits, when=postal_address_recorded
                )

    def _release_held_kits(self, event: ContactDetailsUpdated) -> None:
        """Release the candidate's held achievement kits (a postal address is now on file)."""
        self.awards.release_held_kits(event.subject)

    @property
    def entitlements(self) -> EntitlementsService:
        """Handbook access by service level and language, escalation and remote access."""
        from symprogram._bridges import ConsentRemoteAccess
        from symprogram.entitlements import EntitlementsService

        return self._ledger_service(
            "entitlements",
            EntitlementsService,
            remote_access_consent=lambda: ConsentRemoteAccess(self.consent),
        )

    # -- ledgers ----------------------------------------------------------------------
    def _all_ledgers(self) -> None:
        """Build the services that hold a ledger, so that :attr:`ledgers` has them all."""
        _ = self.consent, self.entitlements

    def digest(self, *, at: datetime | None = None) -> LedgerDigest:
        """A digest of every ledger now, for the host to keep outside the database.

        Covers every stream of every ledger (its length and newest hash), the
        entries covered in all (``sequence``) and a Merkle root over them,
        authenticated with the ledger key when the program has one, and the
        store's identity (made and saved the first time a digest of the store is
        taken; a digest of another store is refused, ``digest_store_mismatch``). Keep
        ``digest.to_text()`` in a log, object storage or another database; later
        :meth:`verify_all` (or a ledger's ``verify``) ``against=`` it proves that
        nothing it covered was removed, rolled back or rewritten. See
        :mod:`symprogram.digests` and ``docs/explanation-threat-model.md``.

        Args:
            at: the instant recorded in the digest (default: the clock's now).

        Raises:
            ValidationError: a naive or non-datetime ``at`` (``invalid_instant``).
            IntegrityError: a stream head is forged or unreadable (``ledger_corrupt``).
        """
        from symprogram._checks import check_instant
        from symprogram.digests import digest_ledgers, ensure_store_id

        instant = self.now() if at is None else check_instant(at, "at")
        self._all_ledgers()
        store_id = ensure_store_id(self.store)
        key = None if self._ledger_key is None else self._ledger_key.current
        with self.store.transaction(readonly=True) as tx:
            return digest_ledgers(tx, self.ledgers, at=instant, key=key, store_id=store_id)

    def verify_all(
        self, *, against: LedgerDigest | None = None, batch: int = 500
    ) -> LedgersVerification:
        """Verify every stream of every ledger, against a kept digest when given.

        The account history, the consent ledger (its projections and the published
        policy versions included) and the entitlements audit, each stream in one
        pass; and every stored incident,
        claimed score report, disclosure, kit and support case, each of which its
        owner must name (one written in by hand under a key of its own is its
        owner's ``aggregate_mismatch``). With ``against``, every
        stream the digest covered must still be there and extend it. A row the
        store cannot read (written by hand: a version or a position that is no
        integer, data that is no text) is reported, not raised: as its stream's
        ``database_corrupt`` problem, or, when it stops the listing of a ledger's
        subjects, as that ledger's (subject: the ledger's name).

        Raises:
            ValidationError: ``invalid_digest`` (not a digest),
                ``digest_key_mismatch`` (a digest of another program or key),
                ``digest_store_mismatch`` (a digest of another store),
                ``invalid_batch``.
            IntegrityError: ``digest_forged`` (an altered digest).
        """
        from symprogram.digests import LedgersVerification

        self._all_ledgers()
        failures: list[Verification] = []
        if against is not None:
            against = _checked_digest(against)
            against.authenticate(self._ledger_key)
            with self.store.transaction(readonly=True) as tx:
                against.check_store(tx)
            for name in sorted(set(against.ledgers()) - set(self.ledgers.names())):
                failures.append(
                    Verification(
                        name, 0, (Problem(0, "digest_ledger_unknown", "no such ledger here"),)
                    )
                )
        checks = {
            "history": lambda: self.history.verify_all(batch=batch, against=against).failures,
            "consent": lambda: self.consent.verify_all(batch=batch, against=against).failures,
            "entitlements": lambda: (
                self.entitlements.verify_all(batch=batch, against=against).failures
            ),
        }
        for ledger in self.ledgers:
            check = checks.get(ledger.name)
            try:
                if check is None:
                    found = failed_verifications(self.store, ledger, against=against)
                else:
                    found = check()
            except IntegrityError as error:
                if error.code == "digest_forged":
                    raise
                # a row the store cannot read stopped the listing of this ledger's
                # subjects: the ledger as a whole fails (the others are still read)
                problem = Problem(0, error.code, error.message)
                failures.append(Verification(ledger.name, 0, (problem,)))
                continue
            failures.extend(
                # the stored name as it is: a name written by hand may be no subject's
                attrs.evolve(failed, subject=f"{ledger.name}:{failed.subject}")
                for failed in found
            )
        return LedgersVerification(self.ledgers.names(), tuple(failures), against)

    def rekey(self, *, against: LedgerDigest | None = None) -> int:
        """Re-authenticate every ledger stream with the current key; return how many changed.

        After a rotation (``Program(ledger_key=LedgerKeys(new, retired=(old,)))``),
        every stream is verified with the keys it names (and against ``against``,
        a kept digest, when given), then its entries, erasure markers and head are
        made again with the current key, one stream per unit of work. A stream
        that does not verify is refused, so re-keying never launders a forgery.
        Resumable: a stream already on the current key is skipped. Digests taken
        before still verify while the ring keeps the key they were made with. Then
        the outbox's pending messages sealed with a retired key are sealed again
        with the current key (:meth:`MessageOutbox.reseal
        <symprogram.outbox.MessageOutbox.reseal>`; not counted), so that they still
        go out once the retired key is dropped. See
        ``docs/explanation-threat-model.md`` (Rotating keys).

        Raises:
            IntegrityError: a stream does not verify (``ledger_rekey_refused``; the
                streams before it are re-keyed, the outbox is not).
            ValidationError: ``digest_key_mismatch``, ``digest_store_mismatch``.
        """
        from symprogram._ledger_upkeep import rekey_ledgers
        from symprogram.outbox import MessageOutbox

        self._all_ledgers()
        rekeyed = rekey_ledgers(self.store, self.ledgers, against=against)
        if self._ledger_key is not None:
            MessageOutbox(self.store, self.notifier, ledger_key=self._ledger_key).reseal()
        return rekeyed

    def adopt_erasures(
        self, *, against: LedgerDigest | None = None, at: datetime | None = None
    ) -> int:
        """Adopt the erasures an earlier build made without a marker; return how many.

        A one-time step after upgrading from a build that erased ledger entries by
        nulling their data and salt with no erasure marker (they verify as
        ``erasure_forged``). Every stream is verified (against ``against`` when
        given); one whose only problems are such entries gets, on each, a marker
        made with the current key that records it was adopted and when (``at``,
        default now). It vouches for every such null present when it runs: run it
        deliberately, right after upgrading, against a digest if you kept one.

        Raises:
            IntegrityError: a stream has another problem (``ledger_adoption_refused``).
            ValidationError: ``digest_key_mismatch``, ``digest_store_mismatch``.
        """
        from symprogram._checks import check_instant
        from symprogram._ledger_upkeep import adopt_ledger_erasures

        instant = self.now() if at is None else check_instant(at, "at")
        self._all_ledgers()
        return adopt_ledger_erasures(self.store, self.ledgers, at=instant, against=against)

    # -- journeys across contexts --------------------------------------------------
    def consent_to_remote_access(
        self,
        customer_id: str,
        *,
        channel: str = "web_form",
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Record a customer's express consent to the Remote Access Standard Terms in force.

        The Enterprise Support page: "Before implementing such remote access we
        will require your express consent to the service terms." The consent is
        kept in the consent ledger (purpose ``remote_access``, evidence
        ``terms:<version>``), so it can be withdrawn like any other consent. It
        makes the customer no known subject of the privacy policy (a purpose of
        kind ``terms`` gathers nothing and is no marketing choice): they are in no
        marketing audience for it, and it is no notice of a privacy-policy version
        (recorded with ``shown`` false: those terms are what is shown). It is
        a consent to the version in force at ``at`` (default: now) in the
        entitlements catalogue; once a newer version comes into force it stops
        counting and a new consent is needed (see
        :meth:`~symprogram.entitlements.EntitlementsService.may_start_remote_session`).
        A customer ID that reads as a candidate ID is that ID in its display form
        (:func:`symprogram.ids.canonical_subject`), in consent as in entitlements, so
        every spelling of it is the one person :meth:`erase_person` erases. The
        consent is kept under the customer's consent subject,
        :func:`symprogram.consent.subject_for`: the customer ID itself, or, for an ID
        the consent ledger cannot key (``"Acme, Inc."``, accents, over 128
        characters), the pseudonymous ``sha256:<digest>`` of it; withdraw it under
        the returned record's ``subject``.

        Raises:
            ValidationError: a bad customer ID, channel or instant.
            NotFound: the catalogue has no remote access terms
                (``remote_access_terms_missing``), or no version is in force at
                ``at`` (``remote_access_terms_not_in_force``).
        """
        from symprogram._bridges import REMOTE_ACCESS_PURPOSE, remote_access_evidence
        from symprogram.consent import subject_for
        from symprogram.entitlements.models import MAX_CUSTOMER_ID

        customer = canonical_subject(check_text(customer_id, "customer_id", limit=MAX_CUSTOMER_ID))
        terms = self.entitlements.catalogue.remote_access
        if terms is None:
            raise NotFound(
                "the entitlements catalogue has no Remote Access Standard Terms",
                code="remote_access_terms_missing",
            )
        instant = ensure_utc(self.clock.now() if at is None else at)
        version = terms.version_at(instant)
        if version is None:
            raise NotFound(
                f"no version of the Remote Access Standard Terms is in force at {instant}",
                field="at",
                code="remote_access_terms_not_in_force",
            )
        return self.consent.grant(
            subject_for(customer),
            REMOTE_ACCESS_PURPOSE,
            channel=channel,
            evidence=remote_access_evidence(version.version),
            at=at,
            shown=False,  # the Remote Access Standard Terms are shown, not the privacy policy
        )

    def erase_person(self, candidate_id: str, *, reason: str) -> PersonErasure:
        """Erase a candidate's personal data program-wide (right to erasure), all or nothing.

        In ONE unit of work: the awards data (kit addresses, disclosure holder
        names; showing disclosures revoked), the account (contact details,
        password, links, e-mail index, claimed score reports and the unclaimed ones
        recorded for its addresses, incidents, the
        account history's entry data) and the consent subject named by the
        candidate ID. The ledgers keep a pseudonymous proof, so
        ``history.verify(cid).ok`` and ``consent.verify(cid).ok`` stay ``True``;
        the address may register again as a new account. Idempotent. See
        :mod:`symprogram.erasure` and ``docs/howto-erasure.md``.

        Raises:
            ValidationError: a malformed candidate ID or reason.
            LimitExceeded: a reason over 500 characters.
            NotFound: no such candidate (``candidate_not_found``).
        """
        from symprogram.erasure import erase_person

        return erase_person(self, candidate_id, reason=reason)

    # -- messages -------------------------------------------------------------------
    def deliver_pending(self, limit: int | None = None) -> int:
        """Hand the notifier the messages a crash left pending; return how many.

        Every message is written in the unit of work of the change it announces
        (the transactional outbox, :mod:`symprogram.outbox`) and delivered right
        after that commits. A process killed in between, or a notifier that
        raised, leaves messages pending: this sends them, oldest first, and marks
        them delivered. Delivery is at least once: a message may arrive twice,
        with the same :attr:`~symprogram.notify.Message.message_id`, after a
        crash. Each message is claimed (locked) as it is handed over, so several
        callers at once hand each over once, and a message of a person erased
        meanwhile is not handed over (see ``docs/explanation-outbox.md``).

        A ``Program`` does not call it when it opens (opening stays cheap and
        sends nothing, and several processes may open one database): call it when
        the host starts and from time to time; ``symprogram import candidates``
        calls it before and after an import. Called inside a unit of work of the
        host's (a ``with program.store.transaction():`` block, an SQLAlchemy store
        inside ``using(conn)``), it delivers once that commits, never if it rolls
        back, and returns 0: the messages pending may be the block's own.

        Args:
            limit: at most this many messages (default: every pending one).

        Raises:
            ValidationError: ``invalid_limit`` (not a positive integer).
            IntegrityError: after the other messages went out, the first unit of
                work left pending because its marker cannot be read
                (``record_corrupt``) or a message of it is sealed with a key the
                program does not hold (``ledger_key_unknown``). A message changed in
                the database (its seal does not match, or it cannot be read) is not
                sent (refused and logged; see ``docs/explanation-outbox.md``).
        """
        from symprogram.outbox import MessageOutbox

        outbox = MessageOutbox(self.store, self.notifier, ledger_key=self._ledger_key)
        return outbox.deliver_pending(limit)

    # -- life cycle -----------------------------------------------------------------
    def close(self) -> None:
        """Close the store. Idempotent."""
        self.store.close()

    def __repr__(self) -> str:
        return f"Program(store={self.store!r}, clock={self.clock!r})"
