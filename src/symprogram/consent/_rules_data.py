"""Pure rules about personal information: gathering it, correcting it, erasing it.

Each function takes the state read by a flow (the subject's projection, their
file, the policy in effect) and returns the event to record and the new file, or
raises the refusal. Re-exported by :mod:`symprogram.consent.rules`; import them
from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

import attrs

from symprogram._anchors import AggregateDifference
from symprogram._checks import TextCodes, check_text, shown
from symprogram.consent._kinds import (
    CORRECTION_COMPLETED,
    CORRECTION_REQUESTED,
    DATA_COLLECTED,
    SUBJECT_ERASED,
)
from symprogram.consent._rules_policy import check_site_covered, check_site_in_scope
from symprogram.consent._rules_traffic import (
    TRAFFIC_SYNONYMS,
    check_not_traffic,
    check_traffic_noticed,
    item_spelling,
    traffic_names,
)
from symprogram.consent._rules_traffic import logged_forms as logged_forms
from symprogram.consent._rules_traffic import logged_forms_plain as logged_forms_plain
from symprogram.consent.events import (
    CorrectionCompleted,
    CorrectionRequested,
    DataCollected,
    SubjectErased,
)
from symprogram.consent.models import (
    MAX_VALUE_LENGTH,
    Channel,
    Collection,
    ConsentState,
    CorrectionRequest,
    CorrectionStatus,
    DataItem,
    Policy,
    SubjectFile,
)
from symprogram.consent.ports import FILE_KIND
from symprogram.errors import (
    IllegalTransition,
    IntegrityError,
    LimitExceeded,
    NotFound,
    ValidationError,
)

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = [
    "MAX_ITEMS",
    "check_erasable",
    "check_file_as_said",
    "check_item_names",
    "check_items",
    "check_known_subject",
    "check_not_traffic",
    "check_traffic_noticed",
    "item_spelling",
    "TRAFFIC_SYNONYMS",
    "traffic_names",
    "collect_data",
    "collect_items",
    "complete_correction",
    "correctable_items",
    "file_differences",
    "request_correction",
]

MAX_ITEMS = 50
"""The most items of personal information recorded or corrected at once."""

_CORRECTED = "correction"
"""The activity a value applied by :func:`complete_correction` is kept under."""

MAX_ITEM_NAME_LENGTH = 200
"""The longest name of an item of personal information (``card_number``)."""

_NAME_CODES = TextCodes.same("invalid_data", too_long="item_name_too_long")


def _item_name(name: object, field: str) -> str:
    """An item's name: one line of text, no control character or lone surrogate."""
    return check_text(name, field, limit=MAX_ITEM_NAME_LENGTH, codes=_NAME_CODES)


def check_items(data: object) -> dict[str, str]:
    r"""Items of personal information given at once: ``{name: value}``.

    A value is multi-line text: ``\n`` and ``\t`` are kept (a postal address
    is written on several lines), ``\r\n`` and a lone ``\r`` become ``\n``.

    Raises:
        ValidationError: not a non-empty mapping of text (``invalid_data``: a
            name that is not one line of text, or holds a control character or
            a lone surrogate); ``invalid_value`` (a value that is not text, or
            holds a control character other than ``\n`` and ``\t``, a line
            break such as U+0085 or U+2028, or a lone surrogate);
            ``value_too_long``, ``item_name_too_long``.
        LimitExceeded: more than :data:`MAX_ITEMS` (``too_many_items``).
    """
    if not isinstance(data, Mapping) or not data:
        raise ValidationError(
            "give at least one item of personal information", field="data", code="invalid_data"
        )
    if len(data) > MAX_ITEMS:
        raise LimitExceeded(
            f"at most {MAX_ITEMS} items at once", field="data", code="too_many_items"
        )
    items: dict[str, str] = {}
    for name, value in data.items():
        # A value may span lines (a postal address: \n and \t; \r\n and \r become
        # \n), never any other control character or line break (ESC, BEL, DEL,
        # U+0085, U+2028, ...).
        items[_item_name(name, "data")] = check_text(
            value, "value", limit=MAX_VALUE_LENGTH, blank=True, multiline=True
        )
    return items


def _check_declared(
    items: Iterable[str], declared: Iterable[str], field: str, message: str
) -> None:
    """Refuse items that are not ``declared`` (``data_not_declared``; ``{}`` in ``message``
    is replaced by their names)."""
    undeclared = sorted(set(items) - set(declared))
    if undeclared:
        raise ValidationError(
            message.format(", ".join(undeclared)),
            field=field,
            code="data_not_declared",
            details={"items": undeclared},
        )


def _with_data(
    file: SubjectFile, items: Mapping[str, str], activity: str, at: datetime
) -> tuple[DataItem, ...]:
    kept = {d.name: d for d in file.data}
    for name, value in items.items():
        kept[name] = DataItem(name, value, activity, at)
    return tuple(sorted(kept.values(), key=lambda d: d.name))


_CHECKED_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}
"""Tuples of item names already checked, with their answer (the same names come with
every registration): at most :data:`_CHECKED_NAMES_MAX`, forgotten all at once."""
_CHECKED_NAMES_MAX = 256


def check_item_names(names: object) -> tuple[str, ...]:
    """The names of items of personal information gathered at once, sorted and distinct.

    A tuple of ``str`` accepted before is answered from a memo (the answer of
    :func:`check_item_names_plain` for it, which depends on nothing else); every
    other input, and every refusal, is checked afresh.

    Raises:
        ValidationError: not a non-empty collection of item names (``invalid_data``:
            each is one line of non-blank text without a control character or a
            lone surrogate); ``item_name_too_long``.
        LimitExceeded: more than :data:`MAX_ITEMS` (``too_many_items``).
    """
    # only a tuple of exact str: hashable, and equal means the same text
    if names.__class__ is not tuple or not all(n.__class__ is str for n in names):
        return check_item_names_plain(names)
    known = _CHECKED_NAMES.get(names)
    if known is not None:
        return known
    checked = check_item_names_plain(names)
    if len(_CHECKED_NAMES) >= _CHECKED_NAMES_MAX:
        _CHECKED_NAMES.clear()
    _CHECKED_NAMES[names] = checked
    return checked


def check_item_names_plain(names: object) -> tuple[str, ...]:
    """:func:`check_item_names` without its memo: every name checked each time.

    Raises:
        ValidationError, LimitExceeded: as :func:`check_item_names`.
    """
    if isinstance(names, (str, bytes, Mapping)) or not isinstance(names, Iterable):
        raise ValidationError(
            "give the names of the items gathered", field="items", code="invalid_data"
        )
    given = list(islice(names, MAX_ITEMS + 1))  # an endless iterable is not read to its end
    if not given:
        raise ValidationError(
            "give at least one item name, each non-blank text", field="items", code="invalid_data"
        )
    if len(given) > MAX_ITEMS:
        raise LimitExceeded(
            f"at most {MAX_ITEMS} items at once", field="items", code="too_many_items"
        )
    return tuple(sorted({_item_name(name, "items") for name in given}))


def collect_data(
    policy: Policy,
    file: SubjectFile,
    activity: object,
    items: Mapping[str, str],
    via: Channel,
    site: str | None,
    at: datetime,
    *,
    state: ConsentState | None = None,
    catalogue: PolicyCatalogue | Callable[[], PolicyCatalogue] | None = None,
) -> tuple[DataCollected, SubjectFile]:
    """Gather ``items`` during ``activity`` under ``policy`` (the policy in effect at ``at``).

    Returns the event (the item names, never their values) and the subject's new file.
    An open-ended activity ("or engage in certain other activities on our
    website") accepts any item: the policy does not list what it gathers.

    Raises:
        ValidationError: ``unknown_activity`` (the policy declares no such activity),
            ``site_has_own_policy`` (the site is referred to its own policy, e.g.
            veritas.com: details ``policy_url``), ``data_not_declared`` (an item the
            activity does not gather), ``traffic_not_personal_data`` (an item of the
            traffic logs; with the subject's ``state`` and the ``catalogue``, also one a
            change correlated with personal information that the subject was not yet
            notified of: :func:`check_traffic_noticed`).
    """
    event, updated = collect_items(
        policy,
        file,
        activity,
        tuple(sorted(items)),
        via,
        site,
        at,
        state=state,
        catalogue=catalogue,
    )
    return event, attrs.evolve(updated, data=_with_data(file, items, event.activity, at))


def collect_items(
    policy: Policy,
    file: SubjectFile,
    activity: object,
    names: tuple[str, ...],
    via: Channel,
    site: str | None,
    at: datetime,
    *,
    makes_known: bool = True,
    state: ConsentState | None = None,
    catalogue: PolicyCatalogue | Callable[[], PolicyCatalogue] | None = None,
) -> tuple[DataCollected, SubjectFile]:
    """Record that the items ``names`` were gathered during ``activity``, without their values.

    For a context that keeps the values itself (accounts keeps a candidate's contact
    details): the ledger and the file say what was gathered and under which policy
    version, the file holds no value. The same checks as :func:`collect_data`.
    With ``makes_known`` false the entry does not make its subject known
    (:func:`~symprogram.consent.rules.makes_known`: a registration awaiting activation).
    With the subject's ``state`` and the ``catalogue`` (or a function returning it)
    the traffic logs' items are also refused while the subject was not notified of
    the change that correlated them with personal information
    (:func:`check_traffic_noticed`).

    Raises:
        ValidationError: as :func:`collect_data`.
    """
    declared = policy.activity(activity) if isinstance(activity, str) else None
    if declared is None:
        raise ValidationError(
            f"policy {policy.version} declares no activity {shown(activity)}",
            field="activity",
            code="unknown_activity",
        )
    check_site_in_scope(policy, site)
    check_site_covered(policy, site)
    # an item of the traffic logs is never personal data, under any activity: said
    # as that, not as an item the activity does not gather
    check_not_traffic(policy, names)
    if catalogue is not None:
        check_traffic_noticed(policy, names, at, state, catalogue)
    undeclared = [] if declared.open_ended else sorted(set(names) - set(declared.data))
    if undeclared:
        raise ValidationError(
            f"policy {policy.version} does not gather {', '.join(undeclared)} during {declared.id}",
            field="data",
            code="data_not_declared",
            details={"items": undeclared},
        )
    event = DataCollected(
        file.subject,
        at,
        declared.id,
        names,
        via.value,
        policy.version,
        site,
        shown=False,
        makes_known=makes_known,
    )
    collection = Collection(declared.id, names, at, via, policy.version, site)
    return event, attrs.evolve(file, collections=(*file.collections, collection))


def request_correction(
    policy: Policy,
    file: SubjectFile,
    items: Mapping[str, str],
    via: Channel,
    at: datetime,
) -> tuple[CorrectionRequest, CorrectionRequested, SubjectFile]:
    """A new correction request of ``items`` (not yet applied), its event and the new file.

    An item can be corrected when the policy declares an activity that gathers it,
    or when the subject's file records it as gathered: a value it holds, or an item
    named in one of its ``collections`` (:func:`collect_items`, e.g. a registration's
    ``company`` under the open-ended activity, whose value another context keeps).

    Raises:
        ValidationError: ``data_not_declared`` (an item no activity declares and the
            file neither holds nor records as gathered; details ``items``).
    """
    _check_declared(
        items,
        correctable_items(policy, file),
        "changes",
        "no personal information called {} is gathered",
    )
    request = CorrectionRequest(
        id=f"CR-{len(file.corrections) + 1}",
        subject=file.subject,
        changes=tuple(sorted(items.items())),
        requested_at=at,
        channel=via,
    )
    event = CorrectionRequested(file.subject, at, request.id, tuple(sorted(items)), via.value)
    return request, event, attrs.evolve(file, corrections=(*file.corrections, request))


def correctable_items(policy: Policy, file: SubjectFile) -> frozenset[str]:
    """The item names a correction request of ``file``'s subject may name.

    Those an activity of ``policy`` declares, those ``file`` holds a value of, and
    those its ``collections`` record as gathered by name.

    Example:
        >>> from datetime import UTC, datetime
        >>> from symprogram.consent.catalogue import PolicyCatalogue
        >>> policy = PolicyCatalogue.default().latest  # its closed activities name no company
        >>> at = datetime(2012, 3, 1, tzinfo=UTC)
        >>> registered = Collection("other_activities", ("company",), at, Channel.WEB_FORM, "1")
        >>> "company" in correctable_items(policy, SubjectFile("s1", collections=(registered,)))
        True
        >>> "company" in correctable_items(policy, SubjectFile("s1"))
        False
    """
    return frozenset(
        {d for activity in policy.activities for d in activity.data}
        | {d.name for d in file.data}
        | {name for collection in file.collections for name in collection.items}
    )


def complete_correction(
    file: SubjectFile | None, request_id: object, at: datetime
) -> tuple[CorrectionRequest, CorrectionCompleted, SubjectFile]:
    """Apply correction request ``request_id`` of ``file`` at ``at``.

    Returns the completed request, its event and the new file.

    Raises:
        NotFound: ``correction_not_found``.
        IllegalTransition: ``correction_already_completed``.
    """
    found = None
    if file is not None:
        found = next((r for r in file.corrections if r.id == request_id), None)
    if file is None or found is None:
        raise NotFound(
            f"no correction request {shown(request_id)}",
            field="request_id",
            code="correction_not_found",
        )
    if found.status is CorrectionStatus.COMPLETED:
        raise IllegalTransition(
            f"correction request {request_id} was already completed",
            field="request_id",
            code="correction_already_completed",
        )
    done = attrs.evolve(found, status=CorrectionStatus.COMPLETED, completed_at=at)
    event = CorrectionCompleted(
        file.subject, at, found.id, tuple(name for name, _ in found.changes)
    )
    updated = attrs.evolve(
        file,
        data=_with_data(file, dict(found.changes), _CORRECTED, at),
        corrections=tuple(done if r.id == found.id else r for r in file.corrections),
    )
    return done, event, updated


def check_known_subject(subject: str, state: ConsentState | None, entries: int) -> None:
    """Something is recorded about ``subject`` (a projection or ledger entries).

    Raises:
        NotFound: ``consent_subject_not_found``.
    """
    if state is None and not entries:
        raise NotFound(
            f"nothing is recorded about {subject!r}",
            field="subject",
            code="consent_subject_not_found",
        )


def check_erasable(subject: str, state: ConsentState | None, at: datetime) -> SubjectErased:
    """The erasure of ``subject`` at ``at`` (check the instant with ``check_record_instant``).

    Raises:
        NotFound: nothing is recorded (``consent_subject_not_found``).
    """
    check_known_subject(subject, state, 0)
    return SubjectErased(subject, at)


# -- the file against the ledger ---------------------------------------------------

_FileEntries = Iterable[tuple[str, Mapping[str, Any] | None, datetime, int]]
"""A subject's ledger as ``(kind, data, at, position)``, oldest first."""

_Gathering = tuple[str, tuple[str, ...], datetime, str, str, str | None]
"""A collection as the ledger says it: activity, items, instant, channel, policy, site."""

_Request = tuple[tuple[str, ...], datetime, str, datetime | None]
"""A correction request as the ledger says it: items, asked, channel, completed."""


@attrs.define
class _SaidFile:
    """What a subject's consent ledger says their file holds (item names, never values)."""

    erased: bool = False
    complete: bool = True
    gathered: list[_Gathering] = attrs.Factory(list)
    requests: dict[str, _Request] = attrs.Factory(dict)
    corrected: dict[str, list[datetime]] = attrs.Factory(dict)

    @classmethod
    def read(cls, entries: _FileEntries) -> _SaidFile:
        said = cls()
        for kind, data, at, _ in entries:
            if kind == SUBJECT_ERASED:
                said.erased = True
            elif kind in (DATA_COLLECTED, CORRECTION_REQUESTED, CORRECTION_COMPLETED):
                if data is None:
                    said.complete = False  # erased without an erasure entry: the chain says so
                else:
                    said.add(kind, data, at)
        return said

    def add(self, kind: str, data: Mapping[str, Any], at: datetime) -> None:
        items = tuple(str(item) for item in data.get("items", ()))
        if kind == DATA_COLLECTED:
            site = data.get("site")
            self.gathered.append(
                (
                    str(data.get("activity")),
                    items,
                    at,
                    str(data.get("channel")),
                    str(data.get("policy_version")),
                    None if site is None else str(site),
                )
            )
        elif kind == CORRECTION_REQUESTED:
            self.requests[str(data.get("request"))] = (items, at, str(data.get("channel")), None)
        else:
            request = str(data.get("request"))
            asked = self.requests.get(request)
            if asked is not None:
                self.requests[request] = (*asked[:3], at)
            for item in items:
                self.corrected.setdefault(item, []).append(at)

    def wrote(self, item: DataItem) -> bool:
        """Whether an entry could have written ``item``: gathered under its activity at
        its instant, or corrected then; and no later correction replaced it."""
        corrected = self.corrected.get(item.name, [])
        if any(at > item.collected_at for at in corrected):
            return False
        if item.activity == _CORRECTED and item.collected_at in corrected:
            return True
        return any(
            activity == item.activity and at == item.collected_at and item.name in items
            for activity, items, at, *_ in self.gathered
        )


def _gathering(collection: Collection) -> _Gathering:
    return (
        collection.activity,
        collection.items,
        collection.at,
        collection.channel.value,
        collection.policy_version,
        collection.site,
    )


def _request(request: CorrectionRequest) -> _Request:
    done = request.completed_at if request.status is CorrectionStatus.COMPLETED else None
    return (
        tuple(name for name, _ in request.changes),
        request.requested_at,
        request.channel.value,
        done,
    )


def _shown_gathering(gathering: _Gathering | None) -> str | None:
    if gathering is None:
        return None
    activity, items, at, *_ = gathering
    return f"{activity} at {at.isoformat()}: {', '.join(items)}"


def _shown_request(request: _Request | None) -> str | None:
    if request is None:
        return None
    items, _, _, done = request
    status = "open" if done is None else f"completed at {done.isoformat()}"
    return f"{', '.join(items)} ({status})"


def file_differences(
    subject: str, file: SubjectFile | None, entries: _FileEntries
) -> list[AggregateDifference]:
    """Where ``subject``'s stored file (``None``: none stored) is not as their ledger says.

    The ledger keeps what was gathered and corrected, by item *name*, never the
    values, so this compares what it can: after ``subject_erased`` no file is held
    (field ``file``: one put back from a backup would serve the erased values
    again); otherwise a file is held once something was gathered or a correction
    asked, its ``collections`` are the ``data_collected`` entries (activity, item
    names, instant, channel, policy version, site), its ``corrections`` the
    ``correction_requested`` entries (item names, instant, channel) with the
    status and instant of their ``correction_completed`` entry, and each value it
    holds (``data[<name>]``) was written by an entry: gathered under its activity at
    its instant, or corrected then, and not replaced by a later correction. A
    value edited in place, under the same name, activity and instant, is not seen.
    When an entry's data is gone without an erasure entry (the chain reports it,
    ``erasure_forged``) nothing is compared.

    Example:
        >>> from datetime import UTC, datetime
        >>> at = datetime(2011, 1, 14, tzinfo=UTC)
        >>> put_back = SubjectFile("s1", data=(DataItem("name", "Ann", "order", at),))
        >>> erased = [("data_collected", None, at, 1), ("subject_erased", {}, at, 2)]
        >>> [(d.field, d.stored, d.ledger) for d in file_differences("s1", put_back, erased)]
        [('file', 'held', 'erased')]
    """
    said = _SaidFile.read(entries)
    if said.erased:
        return [] if file is None else [_difference(subject, "file", "held", "erased")]
    if not said.complete:
        return []
    if file is None:
        if said.gathered or said.requests:
            return [_difference(subject, "file", None, "recorded")]
        return []
    found: list[AggregateDifference] = []
    stored = [_gathering(c) for c in file.collections]
    for index in range(max(len(stored), len(said.gathered))):
        have = stored[index] if index < len(stored) else None
        want = said.gathered[index] if index < len(said.gathered) else None
        if have != want:
            found.append(
                _difference(
                    subject,
                    f"collections[{index}]",
                    _shown_gathering(have),
                    _shown_gathering(want),
                )
            )
    requests = {r.id: _request(r) for r in file.corrections}
    for request in sorted(requests.keys() | said.requests.keys()):
        have_request, want_request = requests.get(request), said.requests.get(request)
        if have_request != want_request:
            found.append(
                _difference(
                    subject,
                    f"corrections[{request}]",
                    _shown_request(have_request),
                    _shown_request(want_request),
                )
            )
    held = {item.name for item in file.data}
    for item in file.data:
        if not said.wrote(item):
            found.append(
                _difference(
                    subject, f"data[{item.name}]", f"{item.activity} at {item.collected_at}", None
                )
            )
    for name in sorted(said.corrected.keys() - held):
        found.append(_difference(subject, f"data[{name}]", None, "corrected"))
    return found


def _difference(
    subject: str, field: str, stored: str | None, ledger: str | None
) -> AggregateDifference:
    return AggregateDifference(FILE_KIND, subject, field, stored, ledger)


def check_file_as_said(subject: str, file: SubjectFile, entries: _FileEntries) -> SubjectFile:
    """``file``, when it is as ``subject``'s ledger says (:func:`file_differences`).

    Raises:
        IntegrityError: ``record_corrupt`` (details: kind ``consent_file``, key the
            subject): a file put back after the subject's erasure, or one whose item
            names, collections or requests differ from the ledger's; nothing of it is
            served.
    """
    if file_differences(subject, file, entries):
        raise IntegrityError.record_corrupt(
            FILE_KIND, subject, "is not as the subject's consent ledger says"
        )
    return file
