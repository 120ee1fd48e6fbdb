"""The entitlements service: who may read which support document, in which language,
and the support agreements, grants, extensions, cases and remote sessions behind it.

Example:
    >>> from datetime import date, datetime, timezone
    >>> from symprogram.clock import FixedClock
    >>> from symprogram.storage.memory import MemoryStore
    >>> clock = FixedClock(datetime(2012, 3, 1, tzinfo=timezone.utc))
    >>> service = EntitlementsService(MemoryStore(), clock)
    >>> _ = service.add_agreement("C-1", agreement_id="A-1", level="essential_support",
    ...     products=["Backup Exec"], starts_on=date(2012, 1, 1), ends_on=date(2012, 12, 31),
    ...     by="sales")
    >>> d = service.decide(Reader("C-1", logged_in=True),
    ...     "essential_support_basic_maintenance_handbook", languages="iw-IL,ja;q=0.5")
    >>> d.allowed, d.codes, d.detail("local_site_url")
    (True, ('active_agreement', 'language_local_site'), 'https://support.example.com/ja/')
    >>> policy = service.decide(None, "technical_support_policy", languages=["iw"])
    >>> policy.detail("language"), policy.detail("language_name"), policy.detail("direction")
    ('he', 'עברית', 'rtl')
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

import attrs

from symprogram.clock import Clock, ensure_utc
from symprogram.decisions import Decision, Reason
from symprogram.entitlements import rules
from symprogram.entitlements.catalogue import (
    Access,
    Document,
    EntitlementCatalogue,
    TelephoneLine,
)
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
    AccessibleDocument,
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    Grant,
    ProductLifecycle,
    Reader,
    Release,
    RemoteSession,
    SupportCase,
    SupportExtension,
    check_text,
)
from symprogram.entitlements.ports import (
    AGREEMENT_INDEX,
    EXTENSION_INDEX,
    HOLDINGS_KIND,
    RemoteAccessConsent,
    StoredCases,
    StoredHoldings,
    StoredLifecycles,
)
from symprogram.errors import (
    Conflict,
    IntegrityError,
    NotFound,
    PermissionDenied,
    SymprogramError,
    ValidationError,
)
from symprogram.events import DomainEvent, Ledger, LedgerEntry, Verification
from symprogram.i18n import direction, display_name, negotiate
from symprogram.persistence import Store, Transaction, change_tracker
from symprogram.serialization import loads, make_converter

__all__ = ["EntitlementsService"]

_CACHE_LIMIT = 4096
_MEMO_LIMIT = 8192
_CONVERTER = make_converter()

_MemoKey: TypeAlias = tuple[str | None, bool, str, str | tuple[str, ...]]
"""A remembered decision's question: customer id, logged in, document id, languages."""

_MemoEntry: TypeAlias = tuple[object, datetime, datetime, Decision]
"""The change token it was worked out under, its validity window, the decision."""


def _memo_key(reader: object, document: object, languages: object) -> _MemoKey | None:
    """The memo key of a question, or ``None`` when its arguments are not plain.

    Only exact built-in types (and exact :class:`Reader` / :class:`Document`)
    make a key, so a key equal to a remembered one always stands for arguments
    that passed validation when that answer was worked out.
    """
    customer: str | None = None
    logged_in = False
    if type(reader) is Reader:
        customer, logged_in = reader.customer_id, reader.logged_in
    elif reader is not None:
        return None
    if type(document) is Document:
        document = document.id
    if type(document) is not str:
        return None
    if type(languages) is str:
        return customer, logged_in, document, languages
    if languages is None:
        return customer, logged_in, document, ()
    if type(languages) is tuple or type(languages) is list:
        tags = tuple(languages)
        if all(type(tag) is str for tag in tags):
            return customer, logged_in, document, tags
    return None


@attrs.frozen
class _LanguageEntry:
    reason: Reason
    details: dict[Access, tuple[tuple[str, Any], ...]]


class EntitlementsService:
    """Enterprise support entitlements (seed 001).

    Args:
        store: where agreements, grants, extensions, cases and the audit live.
        clock: the source of "now".
        catalogue: service levels, documents, languages, ...; default: the seed's.
        remote_access_consent: answers whether a customer consented to the
            current Remote Access Standard Terms; without it no remote session
            can start.

    The decision methods are a hot path: the catalogue is indexed once, language
    choices are cached per (document, languages), and a customer's holdings are
    one record read in one read-only unit of work (decoded once per version). On
    a store with a change tracker, :meth:`decide` also remembers its answers
    while the store is unchanged, each for the window of instants it holds over.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        catalogue: EntitlementCatalogue | None = None,
        remote_access_consent: RemoteAccessConsent | None = None,
    ) -> None:
        if catalogue is not None and not isinstance(catalogue, EntitlementCatalogue):
            raise ValidationError(
                "catalogue must be an EntitlementCatalogue", field="catalogue", code="invalid"
            )
        self._store = store
        self._clock = clock
        self._catalogue = catalogue or EntitlementCatalogue.default()
        self._consent = remote_access_consent
        self._ledger = Ledger("entitlements")
        self._languages: dict[tuple[str, Any], _LanguageEntry] = {}
        self._holdings: dict[str, tuple[str, CustomerEntitlements]] = {}
        self._memo: dict[_MemoKey, _MemoEntry] = {}
        self._probe = change_tracker(store)
        self._lock = threading.Lock()

    @property
    def catalogue(self) -> EntitlementCatalogue:
        """The catalogue in use."""
        return self._catalogue

    # ------------------------------------------------------------------ helpers
    def _now(self) -> datetime:
        return ensure_utc(self._clock.now(), field="clock")

    def _instant(self, at: object) -> datetime:
        return self._now() if at is None else ensure_utc(at)

    def _document(self, document: object) -> Document:
        doc_id = document.id if isinstance(document, Document) else document
        found = self._catalogue.document(doc_id) if isinstance(doc_id, str) else None
        if found is None:
            raise NotFound(
                f"no document {doc_id!r} in the catalogue",
                field="document",
                code="document_not_found",
            )
        return found

    @staticmethod
    def _reader(reader: object) -> Reader:
        if reader is None:
            return Reader.anonymous()
        if not isinstance(reader, Reader):
            raise ValidationError(
                "reader must be a Reader (or None for an anonymous reader)",
                field="reader",
                code="invalid_reader",
            )
        return reader

    def _language(self, document: Document, languages: object) -> _LanguageEntry:
        key = (document.id, rules.languages_key(languages))
        entry = self._languages.get(key)
        if entry is not None:
            return entry
        choice = rules.choose_language(self._catalogue, document, key[1])
        base = choice.details()
        base["document"] = document.id
        base["required_level"] = document.min_level
        details = {
            access: tuple(sorted({**base, "access": access.value}.items())) for access in Access
        }
        entry = _LanguageEntry(choice.reason, details)
        with self._lock:
            if len(self._languages) >= _CACHE_LIMIT:
                self._languages.clear()
            self._languages[key] = entry
        return entry

    def _read_holdings(self, tx: Transaction, customer_id: str) -> CustomerEntitlements | None:
        record = tx.load(HOLDINGS_KIND, customer_id)
        if record is None:
            return None
        cached = self._holdings.get(customer_id)
        if cached is not None and cached[0] == record.data and cached[1].version == record.version:
            return cached[1]
        try:
            decoded = loads(record.data, CustomerEntitlements, converter=_CONVERTER)
        except ValidationError as exc:
            raise IntegrityError(
                f"stored entitlements of {customer_id!r} are unreadable: {exc.message}",
                code="record_corrupt",
                details={"kind": HOLDINGS_KIND, "key": customer_id},
            ) from exc
        holdings = attrs.evolve(decoded, version=record.version)
        with self._lock:
            if len(self._holdings) >= _CACHE_LIMIT:
                self._holdings.clear()
            self._holdings[customer_id] = (record.data, holdings)
        return holdings

    def _record(self, tx: Transaction, event: DomainEvent) -> None:
        self._ledger.append(tx, event.subject, event.event_name(), event.payload(), event.at)

    @staticmethod
    def _customer(customer_id: object) -> str:
        return check_text(customer_id, "customer_id")

    def _holdings_for(self, tx: Transaction, customer_id: str) -> CustomerEntitlements:
        found = StoredHoldings(tx).find(customer_id)
        return found if found is not None else CustomerEntitlements(customer_id)

    def _owner(self, tx: Transaction, index: str, record_id: object, field: str) -> str:
        check_text(record_id, field)
        owner = tx.index_get(index, str(record_id))
        if owner is None:
            what = field.removesuffix("_id")
            raise NotFound(f"no {what} {record_id!r}", field=field, code=f"{what}_not_found")
        return owner

    # ---------------------------------------------------------------- decisions
    def decide(
        self,
        reader: Reader | None,
        document: str | Document,
        languages: rules.Languages = None,
        at: datetime | date | None = None,
    ) -> Decision:
        """May ``reader`` open ``document`` at ``at`` (default: now), and in which language?

        Args:
            reader: who asks (``None``: anonymous).
            document: a document id or catalogue :class:`Document`.
            languages: an ``Accept-Language`` header or a list of tags, most
                preferred first.
            at: the instant asked about; any past or future instant.

        Returns:
            A :class:`~symprogram.decisions.Decision` with every reason code (access
            then language), a hint of what would change the answer, and details:
            ``language``, ``language_name`` (in its own language), ``direction``
            (``rtl`` for Hebrew), ``language_outcome``, ``local_site_url``,
            ``negotiation`` (steps), ``document``, ``access``, ``required_level``.

        Raises:
            NotFound: unknown document (``document_not_found``).
            ValidationError: a bad reader, instant or language list.

        On a store with a change tracker (the in-memory store) a repeated question
        is answered from memory while nothing has been committed since and the
        instant stays within the window over which the answer cannot change
        (:func:`~symprogram.entitlements.rules.decision_window`); inside a unit of
        work, and on other stores, every answer is worked out afresh.
        """
        probe = self._probe
        if probe is None:
            return self._decide(self._instant(at), reader, document, languages, None, None)
        if at is None:
            instant = self._clock.now()
            if instant.__class__ is not datetime or instant.tzinfo is not UTC:
                instant = ensure_utc(instant, field="clock")
        elif at.__class__ is datetime and at.tzinfo is UTC:
            instant = at
        else:
            instant = ensure_utc(at)
        # The token is read before anything the answer is worked out from.
        token = probe()
        if token is None:
            return self._decide(instant, reader, document, languages, None, None)
        key: _MemoKey | None
        if type(reader) is Reader and type(document) is str and type(languages) is str:
            key = (reader.customer_id, reader.logged_in, document, languages)
        else:
            key = _memo_key(reader, document, languages)
            if key is None:
                return self._decide(instant, reader, document, languages, None, None)
        hit = self._memo.get(key)
        if hit is not None:
            remembered, start, end, decision = hit
            if remembered == token:
                if instant == decision.at:
                    return decision  # the very same question: the same (frozen) answer
                if start <= instant < end:
                    return decision.restamped(instant)
        return self._decide(instant, reader, document, languages, key, token)

    def _decide(
        self,
        instant: datetime,
        reader: object,
        document: object,
        languages: object,
        key: _MemoKey | None,
        token: object,
    ) -> Decision:
        doc = self._document(document)
        who = self._reader(reader)
        entry = self._language(doc, languages)
        holdings = None
        if who.customer_id is not None and doc.rule_at(instant)[0].access is Access.ENTITLEMENT:
            with self._store.transaction(readonly=True) as tx:
                holdings = self._read_holdings(tx, who.customer_id)
        allowed, reasons, hint, access = rules.access_decision(
            self._catalogue, doc, who, holdings, instant
        )
        reasons.append(entry.reason)
        decision = Decision(allowed, reasons, hint, instant, entry.details[access])
        if key is not None:
            # Only arguments that just passed every check above are remembered.
            start, end = rules.decision_window(doc, holdings, instant)
            memo = self._memo
            with self._lock:
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[key] = (token, start, end, decision)
        return decision

    def accessible_documents(
        self,
        reader: Reader | None,
        at: datetime | date | None = None,
        languages: rules.Languages = None,
    ) -> tuple[AccessibleDocument, ...]:
        """Every document ``reader`` may open at ``at``, sorted by document id.

        Raises:
            ValidationError: a bad reader, instant or language list.
        """
        instant = self._instant(at)
        who = self._reader(reader)
        holdings = None
        if who.customer_id is not None:
            with self._store.transaction(readonly=True) as tx:
                holdings = self._read_holdings(tx, who.customer_id)
        result = []
        for doc in self._catalogue.documents:
            allowed, reasons, hint, access = rules.access_decision(
                self._catalogue, doc, who, holdings, instant
            )
            if allowed:
                entry = self._language(doc, languages)
                reasons.append(entry.reason)
                decision = Decision(True, reasons, hint, instant, entry.details[access])
                result.append(AccessibleDocument(doc, decision))
        return tuple(result)

    def support_decision(
        self,
        customer_id: str,
        product: str,
        release: str | None = None,
        at: datetime | date | None = None,
    ) -> Decision:
        """Is the customer entitled to support for ``product`` (``release``) at ``at``?

        Seed: "Support Services ... for Software covered under active Support
        Agreements"; older releases past end of standard support need a support
        extension covering those dates.
        """
        instant = self._instant(at)
        customer = self._customer(customer_id)
        check_text(product, "product")
        if release is not None:
            check_text(release, "release")
        with self._store.transaction(readonly=True) as tx:
            holdings = self._read_holdings(tx, customer)
            return self._coverage(tx, holdings, product, release, instant)

    def _coverage(
        self,
        tx: Transaction,
        holdings: CustomerEntitlements | None,
        product: str,
        release: str | None,
        at: datetime,
    ) -> Decision:
        found: Release | None = None
        if release is not None:
            lifecycle = StoredLifecycles(tx).find(product)
            found = lifecycle.release(release) if lifecycle is not None else None
        return rules.support_coverage(self._catalogue, holdings, product, found, at)

    def telephone_support(self, region: str | None = None) -> tuple[TelephoneLine, ...]:
        """The local language telephone support table (all rows, or one region's).

        Seed: "While English is the primary language used to provide technical
        telephone support, Symantec also offers local language support in
        certain non-English speaking regions."
        """
        if region is not None:
            check_text(region, "region")
        return self._catalogue.telephone_support(region)

    def telephone_language(self, country: str, languages: rules.Languages = None) -> Decision:
        """Which language telephone support in ``country`` can be given in, for this reader.

        Returns an allowed decision with reason ``telephone_local_language`` (a
        local language of the country's line matches) or ``telephone_english``
        (English, the primary language, always available); details ``language``,
        ``language_name``, ``direction``, ``hours``, ``time_zone``, ``area``.

        Raises:
            NotFound: no line serves ``country`` (``telephone_line_not_found``);
                English support then follows the region's global line.
        """
        check_text(country, "country")
        code = country.upper()
        line = next((ln for ln in self._catalogue.telephone_lines if code in ln.countries), None)
        if line is None:
            raise NotFound(
                f"no telephone support line lists {country!r}",
                field="country",
                code="telephone_line_not_found",
            )
        key = rules.languages_key(languages)
        try:
            result = negotiate(
                key,
                line.languages,
                default_regions=dict(self._catalogue.default_regions),
                default=self._catalogue.primary_language,
            )
        except SymprogramError as exc:
            raise type(exc)(exc.message, field="languages", code=exc.code) from None
        match = str(result.match) if result.match else self._catalogue.primary_language
        local = not result.fallback and match != self._catalogue.primary_language
        reason = (
            Reason(
                "telephone_local_language",
                f"local language support in {match}",
                {"language": match},
            )
            if local
            else Reason(
                "telephone_english",
                "English is the primary language of telephone support",
                {"language": match},
            )
        )
        return Decision.allow(
            reason,
            details={
                "area": line.area,
                "region": line.region,
                "language": match,
                "language_name": display_name(match),
                "direction": direction(match),
                "hours": line.local_hours if local else line.english_hours,
                "time_zone": line.time_zone,
                "negotiation": result.steps,
            },
        )

    # --------------------------------------------------------------- agreements
    def holdings(self, customer_id: str) -> CustomerEntitlements:
        """Everything the customer holds (an empty record if nothing)."""
        customer = self._customer(customer_id)
        with self._store.transaction(readonly=True) as tx:
            return self._holdings_for(tx, customer)

    def agreement(self, agreement_id: str) -> Agreement:
        """The agreement ``agreement_id``.

        Raises:
            NotFound: no such agreement (``agreement_not_found``).
        """
        with self._store.transaction(readonly=True) as tx:
            owner = self._owner(tx, AGREEMENT_INDEX, agreement_id, "agreement_id")
            found = self._holdings_for(tx, owner).agreement(agreement_id)
        if found is None:  # pragma: no cover - the index and the record agree
            raise NotFound(f"no agreement {agreement_id!r}", code="agreement_not_found")
        return found

    def add_agreement(
        self,
        customer_id: str,
        *,
        agreement_id: str,
        level: str,
        products: Iterable[str],
        starts_on: date,
        ends_on: date,
        by: str,
    ) -> Agreement:
        """Record a support agreement (dates inclusive; active from the start).

        Raises:
            ValidationError: a bad field or an unknown level (``unknown_service_level``).
            Conflict: the agreement id is taken (``agreement_exists``).
        """
        customer = self._customer(customer_id)
        now = self._now()
        with self._store.transaction() as tx:
            holdings = self._holdings_for(tx, customer)
            holdings, agreement = rules.add_agreement(
                self._catalogue,
                holdings,
                agreement_id=agreement_id,
                level=level,
                products=products,
                starts_on=starts_on,
                ends_on=ends_on,
                at=now,
                by=by,
            )
            self._claim(tx, AGREEMENT_INDEX, agreement_id, customer, "agreement")
            StoredHoldings(tx).save(holdings)
            self._record(
                tx,
                AgreementRecorded(
                    customer,
                    now,
                    agreement_id,
                    level,
                    tuple(sorted(agreement.products)),
                    starts_on,
                    ends_on,
                    by,
                ),
            )
        return agreement

    def _claim(self, tx: Transaction, index: str, record_id: str, customer: str, what: str) -> None:
        if tx.index_get(index, record_id) is not None:
            raise Conflict(
                f"{what} {record_id!r} already exists",
                field=f"{what}_id",
                code=f"{what}_exists",
            )
        tx.index_put(index, record_id, customer)

    def _agreement_status(
        self, agreement_id: str, status: AgreementStatus, by: str, reason: str
    ) -> Agreement:
        now = self._now()
        with self._store.transaction() as tx:
            owner = self._owner(tx, AGREEMENT_INDEX, agreement_id, "agreement_id")
            holdings = self._holdings_for(tx, owner)
            current = holdings.agreement(agreement_id)
            if current is None:  # pragma: no cover - the index and the record agree
                raise NotFound(f"no agreement {agreement_id!r}", code="agreement_not_found")
            changed = rules.change_agreement_status(current, status, at=now, by=by, reason=reason)
            StoredHoldings(tx).save(rules.replace_in(holdings, changed))
            self._record(
                tx, AgreementStatusChanged(owner, now, agreement_id, status.value, by, reason)
            )
        return changed

    def suspend_agreement(self, agreement_id: str, *, by: str, reason: str) -> Agreement:
        """Suspend an active agreement from now on.

        Raises:
            NotFound: ``agreement_not_found``.
            IllegalTransition: not active (``illegal_transition``/``agreement_cancelled``).
        """
        return self._agreement_status(agreement_id, AgreementStatus.SUSPENDED, by, reason)

    def reinstate_agreement(self, agreement_id: str, *, by: str, reason: str) -> Agreement:
        """Make a suspended agreement active again from now on."""
        return self._agreement_status(agreement_id, AgreementStatus.ACTIVE, by, reason)

    def cancel_agreement(self, agreement_id: str, *, by: str, reason: str) -> Agreement:
        """Cancel an agreement from now on (final)."""
        return self._agreement_status(agreement_id, AgreementStatus.CANCELLED, by, reason)

    # ------------------------------------------------------------------- grants
    def grant_entitlement(
        self,
        customer_id: str,
        *,
        kind: str,
        level: str,
        products: Iterable[str],
        starts_on: date,
        ends_on: date,
        reason: str,
        approver: str,
        by: str,
    ) -> Grant:
        """Grant a courtesy or temporary entitlement for a window (inclusive).

        Seed: "Courtesy and Temporary Entitlement Support".

        Raises:
            ValidationError: a bad field, an unknown level, or ``approver`` equal
                to ``by`` (``approver_must_differ``).
        """
        customer = self._customer(customer_id)
        now = self._now()
        with self._store.transaction() as tx:
            holdings = self._holdings_for(tx, customer)
            holdings, grant = rules.add_grant(
                self._catalogue,
                holdings,
                kind=kind,
                level=level,
                products=products,
                starts_on=starts_on,
                ends_on=ends_on,
                reason=reason,
                approver=approver,
                at=now,
                by=by,
            )
            StoredHoldings(tx).save(holdings)
            self._record(
                tx,
                EntitlementGranted(
                    customer,
                    now,
                    grant.grant_id,
                    grant.kind.value,
                    level,
                    tuple(sorted(grant.products)),
                    starts_on,
                    ends_on,
                    reason,
                    approver,
                    by,
                ),
            )
        return grant

    def revoke_entitlement(self, customer_id: str, grant_id: str, *, by: str, reason: str) -> Grant:
        """Revoke a grant from now on; decisions as of earlier instants are unchanged.

        Raises:
            NotFound: ``grant_not_found``.
            IllegalTransition: already revoked (``grant_revoked``).
        """
        customer = self._customer(customer_id)
        check_text(grant_id, "grant_id")
        now = self._now()
        with self._store.transaction() as tx:
            holdings = self._holdings_for(tx, customer)
            grant = holdings.grant(grant_id)
            if grant is None:
                raise NotFound(
                    f"no grant {grant_id!r} for customer {customer!r}",
                    field="grant_id",
                    code="grant_not_found",
                )
            revoked = rules.revoke_grant(grant, at=now, by=by, reason=reason)
            StoredHoldings(tx).save(rules.replace_in(holdings, revoked))
            self._record(tx, EntitlementRevoked(customer, now, grant_id, by, reason))
        return revoked

    # --------------------------------------------------------------- extensions
    def register_release(
        self,
        product: str,
        release: str,
        *,
        end_of_standard_support: date,
        end_of_life: date | None = None,
    ) -> ProductLifecycle:
        """Record (or correct) the support dates of a product release.

        Raises:
            ValidationError: bad names or dates (``invalid_window`` when end of
                life precedes end of standard support).
        """
        check_text(product, "product", limit=200)
        item = Release(release, end_of_standard_support, end_of_life)
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredLifecycles(tx)
            lifecycle = repo.find(product) or ProductLifecycle(product)
            others = tuple(r for r in lifecycle.releases if r.release != release)
            saved = repo.save(attrs.evolve(lifecycle, releases=(*others, item)))
            self._record(
                tx,
                ReleaseRegistered(
                    f"product:{product}", now, release, end_of_standard_support, end_of_life
                ),
            )
        return saved

    def lifecycle(self, product: str) -> ProductLifecycle:
        """The releases of ``product``.

        Raises:
            NotFound: nothing registered (``product_not_found``).
        """
        check_text(product, "product")
        with self._store.transaction(readonly=True) as tx:
            found = StoredLifecycles(tx).find(product)
        if found is None:
            raise NotFound(f"no releases of {product!r}", field="product", code="product_not_found")
        return found

    def add_extension(
        self,
        customer_id: str,
        *,
        extension_id: str,
        product: str,
        releases: Iterable[str],
        starts_on: date,
        ends_on: date,
        by: str,
    ) -> SupportExtension:
        """Record a support extension agreement for older releases of a product.

        Raises:
            ValidationError: a bad field.
            Conflict: the id is taken (``extension_exists``).
        """
        customer = self._customer(customer_id)
        now = self._now()
        with self._store.transaction() as tx:
            holdings = self._holdings_for(tx, customer)
            holdings, extension = rules.add_extension(
                holdings,
                extension_id=extension_id,
                product=product,
                releases=releases,
                starts_on=starts_on,
                ends_on=ends_on,
                at=now,
                by=by,
            )
            self._claim(tx, EXTENSION_INDEX, extension_id, customer, "extension")
            StoredHoldings(tx).save(holdings)
            self._record(
                tx,
                ExtensionRecorded(
                    customer,
                    now,
                    extension_id,
                    product,
                    tuple(sorted(extension.releases)),
                    starts_on,
                    ends_on,
                    by,
                ),
            )
        return extension

    def cancel_extension(self, extension_id: str, *, by: str, reason: str) -> SupportExtension:
        """Cancel a support extension from now on.

        Raises:
            NotFound: ``extension_not_found``.
            IllegalTransition: already cancelled (``extension_cancelled``).
        """
        now = self._now()
        with self._store.transaction() as tx:
            owner = self._owner(tx, EXTENSION_INDEX, extension_id, "extension_id")
            holdings = self._holdings_for(tx, owner)
            current = holdings.extension(extension_id)
            if current is None:  # pragma: no cover - the index and the record agree
                raise NotFound(f"no extension {extension_id!r}", code="extension_not_found")
            changed = rules.change_extension_status(
                current, AgreementStatus.CANCELLED, at=now, by=by, reason=reason
            )
            StoredHoldings(tx).save(rules.replace_in(holdings, changed))
            self._record(
                tx, ExtensionStatusChanged(owner, now, extension_id, "cancelled", by, reason)
            )
        return changed

    # -------------------------------------------------------------------- cases
    def open_case(
        self,
        customer_id: str,
        *,
        case_id: str,
        product: str,
        severity: str,
        summary: str,
        by: str,
        release: str | None = None,
    ) -> SupportCase:
        """Open a support case; the customer must be entitled to support for the product now.

        Raises:
            ValidationError: a bad field (``invalid_severity``, ...).
            PermissionDenied: not entitled; the code is the first reason
                (``no_active_agreement``, ``extension_required``, ...), the
                details list every reason.
            Conflict: the case id is taken (``entitlements_case_exists``).
        """
        customer = self._customer(customer_id)
        now = self._now()
        case = SupportCase(
            case_id=case_id,
            customer_id=customer,
            product=product,
            severity=severity,
            summary=summary,
            opened_at=now,
            opened_by=by,
            release=release,
        )
        with self._store.transaction() as tx:
            holdings = self._read_holdings(tx, customer)
            coverage = self._coverage(tx, holdings, product, release, now)
            if not coverage.allowed:
                raise PermissionDenied(
                    f"{customer!r} is not entitled to support for {product}: {coverage.explain()}",
                    field="customer_id",
                    code=coverage.codes[0],
                    details={"reasons": list(coverage.codes), "hint": coverage.hint},
                )
            saved = StoredCases(tx).add(case)
            self._record(tx, CaseOpened(customer, now, case_id, product, case.severity.value, by))
        return saved

    def case(self, case_id: str) -> SupportCase:
        """The support case ``case_id``.

        Raises:
            NotFound: ``entitlements_case_not_found``.
        """
        check_text(case_id, "case_id")
        with self._store.transaction(readonly=True) as tx:
            return StoredCases(tx).get(case_id)

    def escalate_case(self, case_id: str, *, by: str, reason: str) -> SupportCase:
        """Escalate a case one level up the Global Escalation Process, recording who and why.

        Raises:
            NotFound: ``entitlements_case_not_found``.
            IllegalTransition: closed (``case_closed``) or already at the top
                level (``escalation_top_level``).
        """
        check_text(case_id, "case_id")
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case, step = rules.escalate(
                self._catalogue, repo.get(case_id), at=now, by=by, reason=reason
            )
            saved = repo.save(case)
            self._record(
                tx,
                CaseEscalated(
                    case.customer_id, now, case_id, step.from_level, step.to_level, by, reason
                ),
            )
        return saved

    def close_case(self, case_id: str, *, by: str) -> SupportCase:
        """Close a case (any open remote session ends).

        Raises:
            NotFound: ``entitlements_case_not_found``.
            IllegalTransition: already closed (``case_closed``).
        """
        check_text(case_id, "case_id")
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case = rules.close_case(repo.get(case_id), at=now, by=by)
            saved = repo.save(case)
            self._record(tx, CaseClosed(case.customer_id, now, case_id, by))
        return saved

    def start_remote_session(self, case_id: str, *, by: str) -> RemoteSession:
        """Start remote diagnostics on a case, only with express consent to the current terms.

        Seed: "Before implementing such remote access we will require your
        express consent to the service terms." The current version of the Remote
        Access Standard Terms comes from the catalogue.

        Raises:
            PermissionDenied: no consent to the current version
                (``remote_access_consent_required``, details: ``terms_version``).
            NotFound: ``entitlements_case_not_found``.
            IllegalTransition: the case is closed (``case_closed``).
            Conflict: a session is already open (``remote_session_open``).
        """
        check_text(case_id, "case_id")
        check_text(by, "by")
        terms = self._catalogue.remote_access
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case = repo.get(case_id)
            if terms is None:
                raise PermissionDenied(
                    "the catalogue offers no remote access terms",
                    field="case_id",
                    code="remote_access_not_offered",
                )
            consented = self._consent is not None and self._consent.has_consented(
                case.customer_id, terms.version, now
            )
            if not consented:
                raise PermissionDenied(
                    f"customer {case.customer_id!r} has not expressly consented to the Remote "
                    f"Access Standard Terms version {terms.version}",
                    field="customer_id",
                    code="remote_access_consent_required",
                    details={"terms_version": terms.version, "document": terms.document},
                )
            case, session = rules.start_remote_session(
                case, terms_version=terms.version, at=now, by=by
            )
            repo.save(case)
            self._record(
                tx,
                RemoteSessionStarted(
                    case.customer_id, now, case_id, session.session_id, terms.version, by
                ),
            )
        return session

    def end_remote_session(self, case_id: str, session_id: str, *, by: str) -> RemoteSession:
        """End a remote session.

        Raises:
            NotFound: ``entitlements_case_not_found`` / ``remote_session_not_found``.
            IllegalTransition: it already ended (``remote_session_ended``).
        """
        check_text(case_id, "case_id")
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case, session = rules.end_remote_session(repo.get(case_id), session_id, at=now, by=by)
            repo.save(case)
            self._record(tx, RemoteSessionEnded(case.customer_id, now, case_id, session_id, by))
        return session

    # -------------------------------------------------------------------- audit
    def audit(self, customer_id: str) -> list[LedgerEntry]:
        """The customer's audit trail (every change above), oldest first."""
        customer = self._customer(customer_id)
        with self._store.transaction(readonly=True) as tx:
            return self._ledger.entries(tx, customer)

    def verify_audit(self, customer_id: str) -> Verification:
        """Check the customer's audit trail for edited, reordered or removed entries."""
        customer = self._customer(customer_id)
        with self._store.transaction(readonly=True) as tx:
            return self._ledger.verify(tx, customer)
