"""Personal information: keep what an activity gathers, correct it, show and export it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from symprogram._anchors import anchored_entries
from symprogram._checks import check_enum, check_instance, reported_as
from symprogram.clock import read_clock
from symprogram.consent import rules
from symprogram.consent._base import ConsentBase
from symprogram.consent.events import DataCollected
from symprogram.consent.models import (
    Channel,
    ConsentRecord,
    CorrectionRequest,
    SubjectExport,
    SubjectFile,
    check_site,
    check_subject,
)
from symprogram.consent.ports import FILE_KIND, STATE_KIND
from symprogram.consent.storage import ConsentStorage
from symprogram.errors import ValidationError
from symprogram.events import Ledger
from symprogram.persistence import (
    Transaction,
    WriteBuffer,
    batch_items,
    load_for_update,
    load_many,
)

__all__ = ["PersonalData"]


class PersonalData(ConsentBase):
    """The personal information held about a subject, and their requests."""

    def record_personal_data(
        self,
        subject: str,
        activity: str,
        data: Mapping[str, str],
        *,
        channel: Channel | str = Channel.WEB_FORM,
        site: str | None = None,
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Keep personal information the subject gave during ``activity`` (e.g. an order).

        Only the items the policy in effect declares for that activity are accepted.
        The ledger records which items were gathered, never their values.

        Raises:
            ValidationError: ``unknown_activity``, ``data_not_declared``, ``invalid_data``,
                ``value_too_long``, ``traffic_not_personal_data``, ``site_has_own_policy``,
                and the instant codes of :meth:`grant`.
            LimitExceeded: ``too_many_items``.
        """
        return self._gather(
            rules.collect_data, rules.check_items, subject, activity, data, channel, site, at
        )

    def record_gathered(
        self,
        subject: str,
        activity: str,
        items: Iterable[str],
        *,
        channel: Channel | str = Channel.WEB_FORM,
        site: str | None = None,
        at: datetime | None = None,
        makes_known: bool = True,
    ) -> ConsentRecord:
        """Record that ``activity`` gathered the items named ``items``, not their values.

        For data another context keeps (an account's contact details): the ledger
        and the subject's file say what was gathered and under which policy
        version, and from then on the subject is known: the policy's ``necessary``
        purposes are allowed, its opt-out purposes allowed until the person opts
        out, its opt-in purposes refused as never asked. With ``makes_known``
        false the gathering is recorded but does not make the subject known (a
        registration whose address is not yet confirmed: anyone can register
        someone else's address); a later record that does (the activation's)
        makes them known from its instant. Called inside a unit of work that is
        already open (e.g. a registration), it joins it.

        Raises:
            ValidationError: ``invalid_data`` (no item names), ``unknown_activity``,
                ``invalid_type`` (``makes_known`` not a bool), ``data_not_declared``,
                ``traffic_not_personal_data``, ``site_has_own_policy``,
                and the instant codes of :meth:`grant`.
            LimitExceeded: ``too_many_items``.
        """
        known = check_instance(makes_known, bool, "makes_known", code="invalid_type")
        collect = functools.partial(rules.collect_items, makes_known=known)
        return self._gather(
            collect, rules.check_item_names, subject, activity, items, channel, site, at
        )

    def record_gathered_many(
        self,
        gathered: Iterable[tuple[str, str, Iterable[str]]],
        *,
        channel: Channel | str = Channel.WEB_FORM,
        site: str | None = None,
        at: datetime | None = None,
        makes_known: bool = True,
    ) -> tuple[ConsentRecord, ...]:
        """:meth:`record_gathered` of each ``(subject, activity, items)``, in one unit of work
        (``makes_known`` as there, for every one).

        The same entries, projections and files as calling :meth:`record_gathered`
        for each item in order (a subject may appear more than once), written in a
        few batched store calls: the subjects' projections, files and ledger heads
        are read once for the whole batch and the writes are sent together
        (:class:`~symprogram.persistence.WriteBuffer`). Meant for bulk work such as
        an operator's import of many new candidates. Called inside a unit of work
        that is already open, it joins it; all or nothing.

        Raises:
            ValidationError: ``invalid_batch`` (not an iterable of
                ``(subject, activity, items)``), and every code of
                :meth:`record_gathered` (nothing is written).
            LimitExceeded: ``too_many_items``.
        """
        checked = [
            (check_subject(subject), activity, rules.check_item_names(items))
            for subject, activity, items in _triples(gathered)
        ]
        via = check_enum(Channel, channel, "channel")
        where = None if site is None else check_site(site)
        known = check_instance(makes_known, bool, "makes_known", code="invalid_type")
        catalogue = self._policies()
        given = self._given(at)
        records: list[ConsentRecord] = []
        with self._store.transaction() as tx:
            buffer = self._locked_and_preloaded(tx, [subject for subject, _, _ in checked])
            storage = ConsentStorage(buffer)
            for subject, activity, names in checked:
                state = self._projections.check(buffer, storage.states.find(subject), subject)
                now, instant = self._now_and(state, given)
                policy = rules.check_record_instant(state, instant, now, catalogue)
                file = storage.files.find(subject) or SubjectFile(subject)
                event, updated = rules.collect_items(
                    policy,
                    file,
                    activity,
                    names,
                    via,
                    where,
                    instant,
                    makes_known=known,
                    state=state,
                    catalogue=catalogue,
                )
                _, entry = self._append(buffer, state, event)
                storage.save_file(updated)
                records.append(self._recorded(entry, event))
            buffer.flush()
        return tuple(records)

    def _locked_and_preloaded(self, tx: Transaction, subjects: Sequence[str]) -> WriteBuffer:
        """A write buffer over ``tx`` that knows the subjects' projections, files and
        ledger heads, read in one batch each; the projections that exist locked
        first (writers of one subject queue, as in :meth:`_recording`)."""
        for subject in sorted(load_many(tx, STATE_KIND, subjects)):
            load_for_update(tx, STATE_KIND, subject)
        buffer = WriteBuffer(tx)
        buffer.preload(STATE_KIND, subjects)
        buffer.preload(FILE_KIND, subjects)
        buffer.preload(Ledger.HEAD_KIND, [self.ledger.stream(subject) for subject in subjects])
        return buffer

    def _gather(
        self,
        collect: Callable[..., tuple[DataCollected, SubjectFile]],
        check: Callable[[object], object],
        subject: str,
        activity: str,
        gathered: object,
        channel: Channel | str,
        site: str | None,
        at: datetime | None,
    ) -> ConsentRecord:
        """The recipe of both: check the subject, ``check`` what was gathered, check
        channel and site, ``collect`` (a rule) under the policy in effect, append its
        event, save the subject's file."""
        subject = check_subject(subject)
        gathered = check(gathered)
        via = check_enum(Channel, channel, "channel")
        where = None if site is None else check_site(site)
        with self._recording(subject, at) as unit:
            file = unit.storage.files.find(subject) or SubjectFile(subject)
            event, updated = collect(
                unit.policy,
                file,
                activity,
                gathered,
                via,
                where,
                unit.instant,
                state=unit.state,
                # read only for a traffic item under logs correlated with personal data
                catalogue=lambda: self._policies_in(unit.tx, None),
            )
            _, entry = self._append(unit.tx, unit.state, event)
            unit.storage.save_file(updated)
        return self._recorded(entry, event)

    def request_correction(
        self,
        subject: str,
        changes: Mapping[str, str],
        *,
        channel: Channel | str = Channel.PROFILE_FORM,
        at: datetime | None = None,
    ) -> CorrectionRequest:
        """Record a request to correct personal information (not yet applied).

        The privacy policy: "If you believe that Symantec does not have your
        current personal information, you can update it". Any item the policy
        declares for an activity, or the subject's file records as gathered (a value
        it holds, or an item named by :meth:`record_gathered`, e.g. a registration's
        ``company``), can be corrected (:func:`~symprogram.consent.rules.correctable_items`).
        Completing it changes the consent file only, not where another context keeps
        the value (an account's contact details).

        Raises:
            ValidationError: ``data_not_declared`` (an item no activity declares and
                the file does not record as gathered), ``invalid_data`` (field
                ``changes``), and the instant codes of :meth:`grant`.
        """
        subject = check_subject(subject)
        with reported_as(data="changes"):
            items = rules.check_items(changes)
        via = check_enum(Channel, channel, "channel")
        with self._recording(subject, at) as unit:
            file = unit.storage.files.find(subject) or SubjectFile(subject)
            request, event, updated = rules.request_correction(
                unit.policy, file, items, via, unit.instant
            )
            self._append(unit.tx, unit.state, event)
            unit.storage.save_file(updated)
        return request

    def complete_correction(
        self, subject: str, request_id: str, *, at: datetime | None = None
    ) -> CorrectionRequest:
        """Apply a correction request to the consent file and record when it was done.

        The corrected values are written to the subject's file (activity
        ``correction``); an account's contact details are not changed: the host
        applies the correction there (``accounts.update_contact_details``).

        Raises:
            NotFound: ``correction_not_found``.
            IllegalTransition: ``correction_already_completed``, ``subject_erased``.
            ValidationError: the instant codes of :meth:`grant`.
        """
        subject = check_subject(subject)
        with self._recording(subject, at) as unit:
            file = unit.storage.files.find(subject)
            done, event, updated = rules.complete_correction(file, request_id, unit.instant)
            self._append(unit.tx, unit.state, event)
            unit.storage.save_file(updated)
        return done

    def personal_data(self, subject: str) -> SubjectFile:
        """The personal information held about ``subject`` and their requests.

        The file is served only as the subject's consent ledger says it
        (:func:`~symprogram.consent.rules.file_differences`): never after the
        subject's erasure (a file put back from a backup), nor with item names,
        collections or requests the ledger does not record.

        Raises:
            NotFound: ``consent_file_not_found``.
            IntegrityError: ``record_corrupt`` (details: kind ``consent_file``, key
                the subject): the stored file is not as the ledger says;
                ``ledger_tampered``: the ledger does not end where its head says.
        """
        with self._reading(subject) as (subject, tx):
            return self._checked_file(tx, subject, ConsentStorage(tx).files.get(subject))

    def export(self, subject: str) -> SubjectExport:
        """Everything held about ``subject``: receipt (state and ledger), personal data, requests.

        The personal data is checked as :meth:`personal_data` checks it.

        Raises:
            NotFound: ``consent_subject_not_found``.
            IntegrityError: ``record_corrupt``: the stored file is not as the ledger
                says (nothing is exported); ``ledger_tampered``: the ledger does not end
                where its head says.
        """
        now = read_clock(self._clock)
        with self._reading(subject) as (subject, tx):
            receipt = self._receipt(tx, subject, now)
            file = ConsentStorage(tx).files.find(subject)
            if file is not None:
                self._checked_file(tx, subject, file)
        file = file or SubjectFile(subject)
        return SubjectExport(subject, now, receipt, file.data, file.collections, file.corrections)

    def _checked_file(self, tx: Transaction, subject: str, file: SubjectFile) -> SubjectFile:
        """``file`` when it is as ``subject``'s ledger says (read in ``tx``, only if it
        ends where its head says: :func:`~symprogram._anchors.anchored_entries`; a
        ledger whose ``subject_erased`` entry was deleted vouches for no file).

        Raises:
            IntegrityError: ``record_corrupt`` (the file), ``ledger_tampered`` (the
                ledger does not end at its head).
        """
        said = anchored_entries(self.ledger, tx, subject)
        entries = ((e.kind, e.data, e.at, e.position) for e in said)
        return rules.check_file_as_said(subject, file, entries)


def _triples(gathered: object) -> list[tuple[str, str, Iterable[str]]]:
    """``gathered`` as a list of ``(subject, activity, items)`` (ValidationError
    ``invalid_batch`` otherwise: :func:`~symprogram.persistence.batch_items` of field
    ``gathered``)."""
    try:
        return batch_items(gathered, 3)
    except ValidationError as exc:
        number = exc.details.get("item")
        message = (
            "gathered must be a sequence of (subject, activity, items)"
            if number is None
            else f"item {number} must be a (subject, activity, items) tuple"
        )
        raise ValidationError(
            message, field="gathered", code="invalid_batch", details=exc.details
        ) from None
