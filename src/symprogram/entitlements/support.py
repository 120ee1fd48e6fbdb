"""Support: courtesy and temporary entitlements, release lifecycles and support
extensions, and support cases with their escalation through the Global
Escalation Process, each change in the customer's audit ledger."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from symprogram._checks import check_found, check_text
from symprogram._deprecation import deprecated_alias
from symprogram.entitlements import rules
from symprogram.entitlements._base import _Base
from symprogram.entitlements.events import (
    CaseClosed,
    CaseEscalated,
    CaseOpened,
    EntitlementGranted,
    EntitlementRevoked,
    ExtensionRecorded,
    ExtensionStatusChanged,
    ReleaseRegistered,
)
from symprogram.entitlements.models import (
    MAX_TEXT,
    AgreementStatus,
    CaseStatus,
    Grant,
    ProductLifecycle,
    SupportCase,
    SupportExtension,
)
from symprogram.entitlements.ports import CASE_INDEX, EXTENSION_INDEX
from symprogram.entitlements.storage import (
    RecordOwners,
    StoredCases,
    StoredHoldings,
    StoredLifecycles,
)

__all__ = ["Cases", "Extensions", "Grants"]


class Grants(_Base):
    """Courtesy and temporary entitlements.

    The Enterprise Support page: "Courtesy and Temporary Entitlement Support".
    """

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

        Raises:
            ValidationError: a bad field, an unknown level, or ``approver`` equal
                to ``by`` (``approver_must_differ``).
        """
        customer = self._customer(customer_id)
        now = self._now()
        with self._store.transaction() as tx:
            held = self._holdings_for(tx, customer, for_update=True)
            holdings, grant = rules.add_grant(
                self._catalogue, held, kind, level, products, starts_on, ends_on, reason, approver,
                now, by,
            )  # fmt: skip
            StoredHoldings(tx).save(holdings)
            covered = tuple(sorted(grant.products))
            event = EntitlementGranted(
                customer, now, grant.grant_id, grant.kind.value, level, covered,
                starts_on, ends_on, reason, approver, by,
            )  # fmt: skip
            self._record(tx, event)
        return grant

    def revoke_entitlement(self, customer_id: str, grant_id: str, *, by: str, reason: str) -> Grant:
        """Revoke a grant from now on; decisions as of earlier instants are unchanged.

        Only a grant the customer's audit granted, as it granted it, is revoked (one
        read of that audit, after the holdings are read locked): one written into the
        holdings by hand or put back from before a revocation is refused as absent
        (``grant_not_found``), one edited in place (its level, days, products) as
        corrupt, and nothing is written.

        Raises:
            NotFound: ``grant_not_found``.
            IllegalTransition: already revoked (``grant_revoked``).
            IntegrityError: the grant is not as the audit granted it (``record_corrupt``).
        """
        customer = self._customer(customer_id)
        check_text(grant_id, "grant_id", limit=MAX_TEXT)
        now = self._now()
        with self._store.transaction() as tx:
            holdings = self._holdings_for(tx, customer, for_update=True)
            grant = self._recorded_grant(tx, holdings, grant_id)
            revoked = rules.revoke_grant(grant, at=now, by=by, reason=reason)
            StoredHoldings(tx).save(rules.replace_in(holdings, revoked))
            self._record(tx, EntitlementRevoked(customer, now, grant_id, by, reason))
        return revoked


class Extensions(_Base):
    """Release lifecycles and support extensions for older releases.

    The page: "The Support Extensions Program is a suite of services designed to meet
    the changing support needs of customers on older versions of our software."
    """

    def register_release(
        self,
        product: str,
        release: str,
        *,
        end_of_standard_support: date,
        end_of_life: date | None = None,
    ) -> ProductLifecycle:
        """Record (or correct) the support dates of a product release.

        The dates go to the product's stored lifecycle and, as a ``release_registered``
        entry, to its audit (subject ``product:<name>``); a stored lifecycle that is
        not as that audit says (edited or deleted) is refused, and nothing is written.

        Raises:
            ValidationError: bad names or dates (``invalid_window`` when end of
                life precedes end of standard support).
            IntegrityError: the stored lifecycle is not as the product's audit says
                (``record_corrupt``).
        """
        check_text(product, "product", limit=MAX_TEXT)
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredLifecycles(tx)
            stored = self._lifecycles.read(tx, product, for_update=True)
            lifecycle = rules.register_release(
                stored or ProductLifecycle(product),
                release,
                end_of_standard_support=end_of_standard_support,
                end_of_life=end_of_life,
            )
            saved = repo.save(lifecycle)
            subject = rules.lifecycle_subject(product)
            self._record(
                tx, ReleaseRegistered(subject, now, release, end_of_standard_support, end_of_life)
            )
        return saved

    def get_lifecycle(self, product: str) -> ProductLifecycle:
        """The releases of ``product``, only as the ``release_registered`` entries of
        the product's audit say them (a lifecycle edited, or deleted while its audit
        registers releases, is refused).

        Raises:
            NotFound: nothing registered (``product_not_found``).
            IntegrityError: the stored lifecycle is not as the product's audit says
                (``record_corrupt``).
        """
        check_text(product, "product", limit=MAX_TEXT)
        with self._store.transaction(readonly=True) as tx:
            return check_found(
                self._lifecycles.read(tx, product),
                f"no releases of {product!r}",
                field="product",
                code="product_not_found",
            )

    lifecycle = deprecated_alias("get_lifecycle", old="lifecycle", since="0.2.0")

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
            held = self._holdings_for(tx, customer, for_update=True)
            holdings, extension = rules.add_extension(
                held, extension_id, product, releases, starts_on, ends_on, now, by
            )
            RecordOwners(tx, EXTENSION_INDEX, "extension").claim(extension_id, customer)
            StoredHoldings(tx).save(holdings)
            covered = tuple(sorted(extension.releases))
            event = ExtensionRecorded(
                customer, now, extension_id, product, covered, starts_on, ends_on, by
            )
            self._record(tx, event)
        return extension

    def cancel_extension(self, extension_id: str, *, by: str, reason: str) -> SupportExtension:
        """Cancel a support extension from now on.

        Only an extension the customer's audit recorded, as it recorded it and with
        the status changes it gives it, is cancelled (one read of that audit): one
        written into the holdings by hand (with an ``entitlements_extension_id`` index
        entry of its own or not) or put back from before a later entry is refused as
        absent, one edited in place (its releases, days) as corrupt, writing nothing.

        Raises:
            NotFound: ``extension_not_found``.
            IllegalTransition: already cancelled (``extension_cancelled``).
            IntegrityError: the extension is not as the audit recorded it
                (``record_corrupt``).
        """
        now = self._now()
        with self._store.transaction() as tx:
            owner = RecordOwners(tx, EXTENSION_INDEX, "extension").owner(extension_id)
            holdings = self._holdings_for(tx, owner, for_update=True)
            changed = rules.change_extension_status(
                self._recorded_extension(tx, holdings, extension_id),
                AgreementStatus.CANCELLED,
                at=now,
                by=by,
                reason=reason,
            )
            StoredHoldings(tx).save(rules.replace_in(holdings, changed))
            self._record(
                tx, ExtensionStatusChanged(owner, now, extension_id, "cancelled", by, reason)
            )
        return changed


class Cases(_Base):
    """Support cases and their escalation.

    The page: "In the event that you need to escalate a case, our senior technical
    staff is ready and available to help you quickly bring your issue to closure."
    """

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

        The coverage is decided with the customer's holdings read locked (an
        agreement change racing this waits for it, or is seen) and only once they are
        as the customer's audit says, field by field (one read of it).

        Raises:
            ValidationError: a bad field (``invalid_severity``, ...).
            PermissionDenied: not entitled; the code is the first reason
                (``no_active_agreement``, ``extension_required``, ...), the
                details list every reason.
            Conflict: the case id is taken (``entitlements_case_exists``).
            IntegrityError: the holdings are not as the audit says (``record_corrupt``).
        """
        customer = self._customer(customer_id)
        now = self._now()
        case = rules.new_case(
            case_id=case_id,
            customer_id=customer,
            product=product,
            severity=severity,
            summary=summary,
            release=release,
            at=now,
            by=by,
        )
        with self._store.transaction() as tx:
            holdings = self._anchored_holdings(tx, customer)
            rules.require_support(self._coverage(tx, holdings, product, release, now), case)
            saved = StoredCases(tx).add(case)
            tx.index_delete(CASE_INDEX, case_id)  # a stale entry: the case ID is new
            tx.index_put(CASE_INDEX, case_id, customer)
            opened = CaseOpened(
                customer, now, case_id, case.product, case.severity.value, by, case.release
            )
            self._record(tx, opened)
        return saved

    def get_case(self, case_id: str) -> SupportCase:
        """The support case ``case_id``.

        Answered only when it is the case its customer's audit opened, with the
        product, release, severity, status, escalation level and remote sessions the
        audit gives it
        (one read of that audit): a case record written in by hand (with an
        ``entitlements_case_id`` index entry of its own or not), moved to another
        customer, or put back from before a later entry is not answered. The
        escalation, closing and remote-session methods refuse it alike, writing
        nothing.

        Raises:
            NotFound: ``entitlements_case_not_found``.
        """
        check_text(case_id, "case_id", limit=MAX_TEXT)
        with self._store.transaction(readonly=True) as tx:
            return self._opened_case(tx, StoredCases(tx), case_id)

    case = deprecated_alias("get_case", old="case", since="0.2.0")

    def escalate_case(self, case_id: str, *, by: str, reason: str) -> SupportCase:
        """Escalate a case one level up the Global Escalation Process, recording who and why.

        Only while the customer is entitled to support for the case's product: once
        the agreement expired or was cancelled, the case can be closed but not
        escalated.

        Raises:
            PermissionDenied: not entitled any more; the code is the first reason
                (``agreement_expired``, ``no_active_agreement``, ...).
            NotFound: ``entitlements_case_not_found``.
            IllegalTransition: closed (``case_closed``) or already at the top
                level (``escalation_top_level``).
        """
        check_text(case_id, "case_id", limit=MAX_TEXT)
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            opened = self._opened_case(tx, repo, case_id, for_update=True)
            if opened.status is not CaseStatus.CLOSED:  # a closed case answers case_closed
                self._require_covered(tx, opened, now)
            case, step = rules.escalate(self._catalogue, opened, at=now, by=by, reason=reason)
            saved = repo.save(case)
            event = CaseEscalated(
                case.customer_id, now, case_id, step.from_level, step.to_level, by, reason
            )
            self._record(tx, event)
        return saved

    def close_case(self, case_id: str, *, by: str) -> SupportCase:
        """Close a case (any open remote session ends).

        Raises:
            NotFound: ``entitlements_case_not_found``.
            IllegalTransition: already closed (``case_closed``).
        """
        check_text(case_id, "case_id", limit=MAX_TEXT)
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case = rules.close_case(
                self._opened_case(tx, repo, case_id, for_update=True), at=now, by=by
            )
            saved = repo.save(case)
            self._record(tx, CaseClosed(case.customer_id, now, case_id, by))
        return saved
