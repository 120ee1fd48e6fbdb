"""Policies and notices: publish a version, look one up, notify subjects, show notices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from symprogram._checks import check_enum, reported_as
from symprogram._deprecation import deprecated_alias
from symprogram.clock import read_clock
from symprogram.consent import _rules_policy_anchors as anchors
from symprogram.consent import messages, rules
from symprogram.consent._base import ConsentBase
from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.consent.models import (
    Channel,
    ConsentRecord,
    ConsentState,
    Notice,
    Policy,
    PolicyChange,
    PublishedPolicy,
    check_site,
    check_subject,
)
from symprogram.consent.storage import ConsentStorage
from symprogram.errors import ConcurrencyError, Conflict
from symprogram.persistence import Store, Transaction

__all__ = ["Policies"]


def _once_committed(store: Store, action: Callable[[], object]) -> None:
    """Run ``action`` once what the unit of work just left wrote is committed: now, or,
    when it joined one still open in this thread (a store's ``on_commit``), once that
    one commits; when the store's units of work join a host's transaction (a store's
    ``on_host_commit``, e.g. an SQLAlchemy store in ``using``), once the host commits
    it. Never, if the outer unit of work or the host rolls back (as
    :meth:`symprogram.outbox.MessageOutbox.after_commit`)."""

    def run(*_: object) -> None:
        action()

    joined = getattr(store, "on_commit", None)
    if joined is not None and joined(run):
        return
    defer = getattr(store, "on_host_commit", None)
    if defer is None or not defer(run):
        run()


class Policies(ConsentBase):
    """The policy catalogue in use, publishing versions, and the notices people are shown."""

    @property
    def policies(self) -> PolicyCatalogue:
        """The policy catalogue in use (including versions published through the store)."""
        return self._policies()

    @property
    def catalogue(self) -> PolicyCatalogue:
        """The policy catalogue in use, as :attr:`policies`: the name the other
        services give theirs (``accounts.catalogue``, ``awards.catalogue``,
        ``entitlements.catalogue``) and the service's ``catalogue=`` option."""
        return self._policies()

    def refresh_policies(self) -> PolicyCatalogue:
        """Read the published policy versions from the store again, check them, and use them.

        Not needed to see a version published by another process (or another
        :class:`~symprogram.Program` on the same store): every decision uses the
        catalogue the store holds, re-read whenever the policies' stream head moved.
        This reads and checks every stored version now, whatever is held (e.g. at
        start-up or in a health check, to surface an ``IntegrityError`` at once),
        and uses what the store holds, even fewer versions than held.

        Raises:
            IntegrityError: ``record_corrupt``, ``ledger_tampered``, ``policy_mismatch``
                (as :meth:`publish_policy`).
        """
        token = self._memo.token()
        with self._store.transaction(readonly=True) as tx:
            head = self.ledger.head(tx, anchors.POLICIES_SUBJECT)
            catalogue, _ = self._read_catalogue(tx)
        return self._adopt(catalogue, head, token)

    def publish_policy(self, policy: Policy) -> PolicyChange:
        """Publish a new policy version and return what changed from the previous one.

        The version must take effect after the current latest one and after now
        (a policy is never applied retroactively). A material change (a change
        in how personal information is used) comes with a prominent
        :class:`Notice`; until a subject is notified (:meth:`record_notice`), the
        affected purposes are not allowed for them.

        The version is stored as a ``consent_policy`` record and anchored, in the same
        unit of work, by a ``policy_published`` entry of the consent ledger's subject
        ``~policies`` (its version, sequence and the digest of the stored record):
        every reading of the catalogue checks the stored versions against those
        entries, and :meth:`verify_all` reports a difference. In a store written by
        an earlier build (versions stored without entries), the versions stored
        before are anchored too, as :meth:`anchor_policies` does.

        Raises:
            ValidationError: ``invalid_policy``, ``policy_backdated``, ``not_after_latest``.
            Conflict: ``policy_version_exists``.
            ConcurrencyError: ``stale_version``: another version was published at
                the same time (retry: the next attempt reads it, and is refused
                ``not_after_latest`` or takes the following sequence).
            IntegrityError: ``record_corrupt``, ``ledger_tampered`` (the stored
                catalogue is not the one the ledger published: nothing is written).
        """
        now = read_clock(self._clock)
        policy = rules.check_new_policy(policy, now)
        with self._store.transaction() as tx:
            current, count = self._read_catalogue(tx)
            catalogue = rules.add_policy(current, policy)
            published = PublishedPolicy(count + 1, policy, now)
            try:
                ConsentStorage(tx).published.add(published)
            except Conflict as exc:
                # another publication took this sequence number since the catalogue
                # was read (a server's READ COMMITTED): retry, as any stale write
                raise ConcurrencyError(
                    "another policy version was published concurrently; retry",
                    details={"sequence": published.sequence},
                ) from exc
            self._anchor_policies(tx, now, anchors.policy_key(published.sequence))
            head = self.ledger.head(tx, anchors.POLICIES_SUBJECT)
        # Used once committed: inside a host's unit of work (or transaction), only
        # once the host commits it, never if it rolls back.
        _once_committed(self._store, lambda: self._adopt(catalogue, head, None))
        return catalogue.change(policy.version)

    def anchor_policies(self) -> int:
        """Anchor the policy versions an earlier build published; return how many.

        A one-time step after upgrading from a build that stored published versions
        with no ``policy_published`` entry: while the store holds none at all, the
        stored versions are read unchecked (as before) and :meth:`verify_all`
        reports ``policies_not_anchored``. This appends, in one unit of work, an
        entry (``method`` ``migration``) for every stored version, as it is stored
        **when it runs**: it trusts them, so run it right after upgrading, before
        the database is exposed again. The next :meth:`publish_policy` does the same.

        Idempotent: in a store already anchored (a ``policy_published`` entry exists)
        it writes nothing and returns 0, so a version written in by hand later is
        never anchored by running it again (the reads refuse it).

        Raises:
            IntegrityError: ``record_corrupt`` (a stored version that cannot be read),
                ``policy_mismatch`` (one differs from the catalogue's version of it),
                ``ledger_tampered`` (the policies' stream does not verify): nothing
                is written.
        """
        now = read_clock(self._clock)
        with self._store.transaction() as tx:
            if self._policy_entries(tx):
                return 0
            self._read_catalogue(tx)  # every stored version reads (nothing anchors garbage)
            return self._anchor_policies(tx, now, None)

    def get_policy(self, at: datetime | None = None) -> Policy:
        """The policy in effect at ``at`` (default now).

        Raises:
            NotFound: none was in effect (``no_policy_in_effect``).
        """
        return rules.policy_at(self._policies(), self._instant(at))

    policy = deprecated_alias("get_policy", old="policy", since="0.2")

    def get_policy_change(self, version: str) -> PolicyChange:
        """What changed in ``version`` (NotFound ``policy_not_found``, field ``version``)."""
        catalogue = self._policies()
        with reported_as(policy_version="version"):
            rules.known_policy_version(catalogue, version)
            return catalogue.change(version)

    policy_change = deprecated_alias("get_policy_change", old="policy_change", since="0.2")

    def record_notice(
        self,
        subject: str,
        policy_version: str,
        *,
        channel: Channel | str = Channel.EMAIL,
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Record that ``subject`` was notified of ``policy_version`` (it may be a future version).

        Raises:
            ValidationError: ``invalid_subject``, ``invalid_channel``, ``future_instant``,
                ``out_of_order``, ``no_policy_in_effect``.
            NotFound: ``policy_not_found``.
            IllegalTransition: ``subject_erased``.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        version = rules.check_policy_version(catalogue, policy_version).version
        via = check_enum(Channel, channel, "channel")
        with self._locked(subject, at) as (tx, _, state, now, instant):
            event = rules.record_notice(state, catalogue, subject, version, via, instant, now)
            _, entry = self._append(tx, state, event)
        return self._recorded(entry, event)

    def iter_subjects_to_notify(self, policy_version: str, *, batch: int = 500) -> Iterator[str]:
        """Stream the non-erased subjects who still need the notice of ``policy_version``.

        The known subjects not yet notified of it, and those not known who hold
        their own standing grant of a purpose its material change affects, other
        than a cookie category: express consent to service terms (``remote_access``)
        waits for that notice (``not_yet_notified_of_material_change``) and
        :meth:`record_notice` lets it go on (:func:`symprogram.consent.rules.awaits_notice`).
        Any other subject of whom nothing that makes them known was recorded (only
        an opt-out, a refusal, a withdrawal, a cookie choice or a notice:
        :func:`symprogram.consent.rules.makes_known`) is not listed: :meth:`may_use`
        allows them nothing that waits for a notice (cookies do not:
        :func:`symprogram.consent.rules.decide`).

        Raises:
            NotFound: ``policy_not_found``.
            ValidationError: ``invalid_batch``.
        """
        catalogue = self._policies()
        rules.known_policy_version(catalogue, policy_version)
        rank = catalogue.rank(policy_version)
        size = rules.check_batch(batch)

        def pending(tx: Transaction, state: ConsentState) -> bool:
            return rules.awaits_notice(state, catalogue, rank)

        return self._projections.pages(size, pending, self._clock.now(), catalogue)

    subjects_to_notify = deprecated_alias(
        "iter_subjects_to_notify", old="subjects_to_notify", since="0.2"
    )

    def forum_notice(self, at: datetime | None = None) -> Notice:
        """The notice to show before posting in a discussion group or forum (public information)."""
        return messages.forum_notice(self.get_policy(at))

    def cobranded_notice(self, site: str, at: datetime | None = None) -> Notice:
        """The notice for a co-branded site: what is submitted also goes to its partners.

        Raises:
            NotFound: ``site_not_cobranded``.
        """
        where = check_site(site)
        policy = self.get_policy(at)
        return messages.cobranded_notice(policy, rules.cobranded_site(policy, where))
