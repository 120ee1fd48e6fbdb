"""Reading: may a reader open a document, in which language; support and telephone answers.

The decision methods are a hot path: the catalogue is indexed once, language
choices are kept per (document, languages), and a customer's holdings are one
record read in one read-only unit of work (decoded once per version, and compared
with the customer's audit once per version and audit head: holdings that are not
as the audit says are refused with ``IntegrityError`` ``record_corrupt``, see
:class:`~symprogram.entitlements.storage.HoldingsReader`). On a store
with a change token, :meth:`Reading.decide` also remembers its answers in a
:class:`~symprogram._memo.TokenMemo` while the store is unchanged, each for the
window of instants it holds over
(:func:`~symprogram.entitlements.rules.decision_window`).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

import attrs

from symprogram._checks import check_text
from symprogram._memo import TokenMemo
from symprogram.clock import ensure_utc
from symprogram.decisions import Decision, Reason
from symprogram.entitlements import rules
from symprogram.entitlements._base import _Base
from symprogram.entitlements.models import (
    MAX_TEXT,
    Access,
    AccessibleDocument,
    AccessRule,
    Document,
    Reader,
    TelephoneLine,
)
from symprogram.ids import canonical_subject

__all__ = ["Reading"]

MemoKey: TypeAlias = tuple[str | None, bool, str, str | tuple[str, ...]]
"""A remembered decision's question: customer id, logged in, document id, languages."""

MemoEntry: TypeAlias = tuple[datetime, datetime, Decision]
"""A remembered decision with the window ``[start, end)`` of instants it holds over."""


def memo_key(reader: object, document: object, languages: object) -> MemoKey | None:
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
        return customer, logged_in, document, rules.header_key(languages)
    if languages is None:
        return customer, logged_in, document, ()
    if type(languages) is tuple or type(languages) is list:
        tags = tuple(languages)
        if all(type(tag) is str for tag in tags):
            return customer, logged_in, document, tags
    return None


@attrs.frozen
class LanguageEntry:
    """A document's language choice for some languages: its reason and the details per rule.

    ``details`` is filled on demand, one sorted tuple per access rule (access and name).
    """

    reason: Reason
    base: dict[str, Any]
    details: dict[tuple[Access, str], tuple[tuple[str, Any], ...]] = attrs.field(factory=dict)

    def for_rule(self, rule: AccessRule) -> tuple[tuple[str, Any], ...]:
        """The decision details under ``rule`` (the language's, with ``access`` and ``rule``)."""
        key = (rule.access, rule.rule_name)
        found = self.details.get(key)
        if found is None:
            merged = {**self.base, "access": rule.access.value, "rule": rule.rule_name}
            found = self.details[key] = tuple(sorted(merged.items()))
        return found


class LanguageCache:
    """The language choices of (document, languages), kept up to ``limit``. Thread-safe."""

    def __init__(self, *, limit: int) -> None:
        self._limit = limit
        self._entries: dict[tuple[str, Any], LanguageEntry] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, Any]) -> LanguageEntry | None:
        """The entry of ``key``, or ``None``."""
        return self._entries.get(key)

    def put(self, key: tuple[str, Any], entry: LanguageEntry) -> None:
        """Keep ``entry`` (when full, start afresh)."""
        with self._lock:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            self._entries[key] = entry


class Reading(_Base):
    """The reading flow: documents, support coverage and telephone support."""

    _memo: TokenMemo[MemoKey, MemoEntry]
    _languages: LanguageCache

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
            ``location`` (where that language is served, e.g.
            ``https://my.symantec.com`` for the handbooks), ``negotiation``
            (steps), ``document``, ``access``, ``rule`` (the name of the access
            rule applied: ``public``, ``service_level`` in the default catalogue,
            ``symaccount_login`` in the page's literal ``login`` reading, whose
            admitting reason code it also is) and ``required_level``.

        Raises:
            NotFound: unknown document (``document_not_found``).
            ValidationError: a bad reader, instant or language list.
            IntegrityError: the reader's stored holdings are not as the customer's
                audit says (``record_corrupt``): a record written in, put back or
                edited by hand (a higher level, a later end date, another product)
                is never decided with.

        On a store with a change token (the in-memory store) a repeated question
        is answered from memory while nothing has been committed since and the
        instant stays within the window over which the answer cannot change
        (:func:`~symprogram.entitlements.rules.decision_window`); inside a unit of
        work, and on other stores, every answer is worked out afresh.
        """
        memo = self._memo
        if not memo.enabled:
            return self._decide(self._instant(at), reader, document, languages, None, None)
        instant = self._fast_instant(at)
        # The token is read before anything the answer is worked out from.
        token = memo.token()
        if token is None:
            return self._decide(instant, reader, document, languages, None, None)
        key: MemoKey | None
        if type(reader) is Reader and type(document) is str and type(languages) is str:
            key = (reader.customer_id, reader.logged_in, document, rules.header_key(languages))
        else:
            key = memo_key(reader, document, languages)
            if key is None:
                return self._decide(instant, reader, document, languages, None, None)
        hit = memo.get(key, token)
        if hit is not None:
            start, end, decision = hit
            if instant == decision.at:
                return decision  # the very same question: the same (frozen) answer
            if start <= instant < end:
                return decision.restamped(instant)
        return self._decide(instant, reader, document, languages, key, token)

    def _fast_instant(self, at: object) -> datetime:
        if at is None:
            instant = self._clock.now()
            if type(instant) is not datetime or instant.tzinfo is not UTC:
                instant = ensure_utc(instant, field="clock")
            return instant
        if type(at) is datetime and at.tzinfo is UTC:
            return at
        return ensure_utc(at)

    def _decide(
        self,
        instant: datetime,
        reader: object,
        document: object,
        languages: object,
        key: MemoKey | None,
        token: object,
    ) -> Decision:
        doc = rules.require_document(self._catalogue, document)
        who = rules.reader_of(reader)
        entry = self._language(doc, languages)
        holdings = None
        rule = doc.rule_at(instant)[0]
        if who.customer_id is not None and rule.access is Access.ENTITLEMENT:
            # the token read before the holdings and the audit (the memo's, if any)
            read_at = self._memo.token() if token is None else token
            with self._store.transaction(readonly=True) as tx:
                customer = canonical_subject(who.customer_id)  # as ``_customer`` spells it
                holdings = self._read_holdings(tx, customer, token=read_at)
        allowed, reasons, hint, _ = rules.access_decision(
            self._catalogue, doc, who, holdings, instant
        )
        reasons.append(entry.reason)
        decision = Decision(allowed, reasons, hint, instant, entry.for_rule(rule))
        if key is not None:
            # Only arguments that just passed every check above are remembered.
            start, end = rules.decision_window(doc, holdings, instant)
            self._memo.put(key, token, (start, end, decision))
        return decision

    def _language(self, document: Document, languages: object) -> LanguageEntry:
        key = (document.id, rules.languages_key(languages))
        entry = self._languages.get(key)
        if entry is not None:
            return entry
        choice = rules.choose_language(self._catalogue, document, key[1])
        base = choice.details()
        base["document"] = document.id
        base["required_level"] = document.min_level
        entry = LanguageEntry(choice.reason, base)
        self._languages.put(key, entry)
        return entry

    def accessible_documents(
        self,
        reader: Reader | None,
        at: datetime | date | None = None,
        languages: rules.Languages = None,
    ) -> tuple[AccessibleDocument, ...]:
        """Every document ``reader`` may open at ``at``, sorted by document id.

        Raises:
            ValidationError: a bad reader, instant or language list.
            IntegrityError: the reader's stored holdings are not as the customer's
                audit says (``record_corrupt``), as :meth:`decide`.
        """
        instant = self._instant(at)
        who = rules.reader_of(reader)
        holdings = None
        if who.customer_id is not None:
            token = self._memo.token()  # read before the holdings and the audit
            with self._store.transaction(readonly=True) as tx:
                holdings = self._read_holdings(tx, canonical_subject(who.customer_id), token=token)
        result = []
        for doc in self._catalogue.documents:
            allowed, reasons, hint, _ = rules.access_decision(
                self._catalogue, doc, who, holdings, instant
            )
            if allowed:
                entry = self._language(doc, languages)
                reasons.append(entry.reason)
                details = entry.for_rule(doc.rule_at(instant)[0])
                decision = Decision(True, reasons, hint, instant, details)
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

        The Enterprise Support page: "Support Services ... for Software covered
        under active Support Agreements"; older releases past end of standard support need a support
        extension covering those dates.

        Raises:
            ValidationError: a bad customer id, product, release or instant.
            IntegrityError: the customer's stored holdings are not as its audit says
                (``record_corrupt``), as :meth:`decide`.
        """
        instant = self._instant(at)
        customer = self._customer(customer_id)
        check_text(product, "product", limit=MAX_TEXT)
        if release is not None:
            check_text(release, "release", limit=MAX_TEXT)
        token = self._memo.token()  # read before the holdings and the audit
        with self._store.transaction(readonly=True) as tx:
            holdings = self._read_holdings(tx, customer, token=token)
            return self._coverage(tx, holdings, product, release, instant, token=token)

    def telephone_support(
        self,
        region: str | None = None,
        *,
        reader: Reader | None = None,
        at: datetime | date | None = None,
    ) -> tuple[TelephoneLine, ...]:
        """The local language telephone support table (all rows, or one region's).

        The Enterprise Support page: "While English is the primary language used
        to provide technical telephone support, Symantec also offers local
        language support in certain non-English speaking regions. For more
        information, please reference our local language table." The table is
        the Local Language Support Table, gated from 2011-01-15: it is answered
        only to a reader who may read that document at ``at`` (default: now);
        see :meth:`may_read_telephone_support`.

        Args:
            region: one region's rows (case-insensitive); ``None``: every row.
            reader: who asks (``None``: anonymous).
            at: the instant asked about.

        Raises:
            PermissionDenied: the reader may not read the table then; the code is
                the document decision's first reason (``not_logged_in``,
                ``no_active_agreement``, ...), details ``reasons``, ``hint``,
                ``document``.
            ValidationError: a bad region, reader or instant.
        """
        if region is not None:
            check_text(region, "region", limit=MAX_TEXT)
        rules.require_telephone_table(self.may_read_telephone_support(reader, at))
        return self._catalogue.telephone_support(region)

    def may_read_telephone_support(
        self, reader: Reader | None = None, at: datetime | date | None = None
    ) -> Decision:
        """May ``reader`` see the telephone support table at ``at`` (default: now)?

        The decision of the Local Language Support Table (the catalogue's
        ``telephone_document``) for that reader, with the same reasons;
        ``telephone_table_public`` when the catalogue gates the table by no
        document.

        Raises:
            ValidationError: a bad reader or instant.
        """
        instant = self._instant(at)
        gate = self._catalogue.telephone_document
        document = None if gate is None else self.decide(reader, gate, at=instant)
        return rules.telephone_table_decision(document, instant)

    def telephone_language(
        self,
        country: str,
        languages: rules.Languages = None,
        *,
        reader: Reader | None = None,
        at: datetime | date | None = None,
    ) -> Decision:
        """Which language telephone support in ``country`` can be given in, for this reader.

        The answer is a row of the Local Language Support Table (its hours and
        time zone), so, as with :meth:`telephone_support`, it is given only to a
        reader who may read that document at ``at`` (default: now); see
        :meth:`may_read_telephone_support`.

        Args:
            country: an ISO 3166 country code (any case).
            languages: the reader's languages (an ``Accept-Language`` header, a
                list of tags, or ``None``).
            reader: who asks (``None``: anonymous).
            at: the instant asked about.

        Returns:
            An allowed decision with reason ``telephone_local_language`` (a
            local language of the country's line matches) or ``telephone_english``
            (English, the primary language, always available); details ``language``,
            ``language_name``, ``direction``, ``hours``, ``time_zone``, ``area``,
            ``region`` and ``negotiation``.

        Raises:
            PermissionDenied: the reader may not read the table then (the same
                codes and details as :meth:`telephone_support`).
            NotFound: no line serves ``country`` (``telephone_line_not_found``);
                English support then follows the region's global line.
            ValidationError: a bad country, languages, reader or instant.
        """
        instant = self._instant(at)
        rules.check_telephone_question(country, languages)
        table = self.may_read_telephone_support(reader, instant)
        return rules.telephone_answer(self._catalogue, country, languages, table, instant)
