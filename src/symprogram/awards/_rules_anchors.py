"""Rules of the awards anchored to the account history: the stored record against the ledger (pure).

The account history is keyed and chained; the stored :class:`CandidateAwards` is
not. A grant added to that row by hand (a certification never earned), a revoked
grant put back as it was before the revocation, or a failed result deleted would
change what :meth:`~symprogram.awards.AwardsService.awards_of` answers while every
chain verifies. So the history's verification also replays, from the entries, what
the ledger says of the candidate's exam results and grants and compares it with
the stored record (``aggregate_mismatch``; the kernel's :mod:`symprogram._anchors`
runs it):

- **results**: each ``exam_result_recorded`` adds its ``result_id`` with its exam,
  version, score, pass and instant taken; the stored record holds exactly those
  results (a version edited would earn an award pinned to another version; a
  field an entry of an earlier build lacks is not compared);
- **grants**: each ``award_granted`` adds its ``grant_id`` with its award and
  expiry; each ``award_renewed`` adds a renewal to its ``new_expiry`` (the
  grant's expiry from then on); each ``award_revoked`` revokes it; each
  ``expiry_reminder_sent`` marks it reminded of its ``expires_at``; the stored
  record holds exactly those grants, with that current expiry, those renewals'
  expiries, revocation and expiry reminded of (a mark changed by hand would
  suppress a reminder, or send one again). Where the caller gives each entry's
  instant (``instants``; the account history's verification does), the instant
  of the ``award_granted``, each ``award_renewed`` and the ``award_revoked``
  entry is compared too, as the grant's ``granted_at``, its renewals' ``at`` and
  its ``revoked_at``: a revocation moved to a later instant would answer the
  grant active until then;
- **disclosures**: each ``awards_published`` adds its ``disclosure_id`` with the
  awards shown, the expiry, the holder's name and the digest of its verification
  code; each ``disclosure_revoked`` revokes it; the stored record lists exactly
  those disclosures, and each stored disclosure shows those awards until that
  expiry, under that name, for that code, revoked or not as the history says (a
  revoked disclosure put back would show the awards to the third party again;
  another name would show them as somebody else's; two disclosures' codes swapped,
  with their code index entries, would answer a revoked disclosure's code again,
  or one holder's code with another holder's awards). The code digest is compared
  only where the entry records it (entries written by earlier builds lack
  ``code_digest``). The
  name is personal data: its difference is reported without the values, and it
  is not compared where the entry predates it (no ``holder_name``) or where the
  disclosure was erased (the erased marker and no recipient, in a record of awards
  the erasure marked erased). Once the recipient was erased (their erasure), the
  ``awards_published`` entry's data is dropped and a ``disclosure_recipient_erased``
  entry says it again with no recipient (the revocations named before it apply);
  an erased ``awards_published`` entry hides one disclosure and revokes none;
- **verification codes**: the code index gives each stored disclosure's code
  (its ``code_digest``, itself anchored above) to that disclosure (an entry
  deleted would make a valid disclosure unverifiable);
- **erasure**: after ``awards_erased`` (its kind says it, even once the entry's
  data is dropped) the stored record is erased, and every stored disclosure and
  kit has the form the erasure gives it (no holder name or recipient; the erased
  kit address);
- **kits**: each ``kit_queued`` or ``kit_held`` adds its ``kit_id`` with its award;
  ``kit_released`` queues it, ``kit_shipped`` and ``kit_delivered`` move it on;
  the stored record lists exactly those kits, and each stored kit is the
  candidate's, for that award, with that status (a shipped kit put back as
  queued would be shipped again).

An entry whose data was erased says nothing: the results (or grants) are then
compared only where the ledger still names them, and a stored one the ledger does
not name is not reported. A history that says nothing of awards is compared with
an empty record: a stored result or grant it never recorded is reported.

Each stored disclosure and kit must be listed by the awards record of the
candidate it names (:func:`disclosure_named`, :func:`kit_named`): that list is
anchored to the history above, so a record written in by hand under an ID of its
own, which no history names, is reported by ``verify_all`` and not answered by
the reads by its ID.

Re-exported by :mod:`symprogram.awards.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from symprogram._anchors import (
    UNKNOWN,
    AggregateDifference,
    SaidEntries,
    listing_differences,
    record_differences,
    require_said,
    said_fields,
    said_names,
    said_pairs,
    said_text,
)
from symprogram.awards._rules_kits import is_erased_kit
from symprogram.awards.events import (
    AwardGranted,
    AwardRenewed,
    AwardRevoked,
    AwardsErased,
    AwardsPublished,
    DisclosureRecipientErased,
    DisclosureRevoked,
    ExamResultRecorded,
    ExpiryReminderSent,
    KitDelivered,
    KitHeld,
    KitQueued,
    KitReleased,
    KitShipped,
)
from symprogram.awards.models import (
    ERASED_TEXT,
    AwardGrant,
    CandidateAwards,
    Disclosure,
    ExamResult,
    KitFulfilment,
    KitStatus,
)
from symprogram.awards.ports import CANDIDATE_KIND, DISCLOSURE_KIND, KIT_KIND

T = TypeVar("T")

__all__ = [
    "awards_anchored",
    "awards_differences",
    "require_awards_anchored",
    "disclosure_anchored",
    "disclosure_named",
    "kit_anchored",
    "kit_named",
    "made_kits",
    "require_kit_anchored",
    "published_disclosures",
]

_RESULT = ExamResultRecorded.event_name()
_GRANTED = AwardGranted.event_name()
_RENEWED = AwardRenewed.event_name()
_REVOKED = AwardRevoked.event_name()
_REMINDED = ExpiryReminderSent.event_name()
_PUBLISHED = AwardsPublished.event_name()
_WITHDRAWN = DisclosureRevoked.event_name()
_RESTATED = DisclosureRecipientErased.event_name()
_DISCLOSURE_KINDS = (_PUBLISHED, _WITHDRAWN, _RESTATED)
_ERASED = AwardsErased.event_name()
_KIT_STATUS = {
    KitQueued.event_name(): KitStatus.QUEUED,
    KitHeld.event_name(): KitStatus.HELD,
    KitReleased.event_name(): KitStatus.QUEUED,
    KitShipped.event_name(): KitStatus.SHIPPED,
    KitDelivered.event_name(): KitStatus.DELIVERED,
}
"""Each kit entry kind and the status the kit has after it."""
_KIT_MADE = (KitQueued.event_name(), KitHeld.event_name())


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _expiry(grant: AwardGrant) -> str | None:
    """The stored grant's current expiry, as the ledger writes it."""
    return _instant(grant.renewals[-1].new_expiry if grant.renewals else grant.expires_at)


def _result_fields(result: ExamResult) -> dict[str, object]:
    return {
        "exam_code": result.exam_code,
        "version": result.version,
        "score": result.score,
        "passed": result.passed,
        "taken_at": _instant(result.taken_at),
    }


def _disclosure_fields(disclosure: Disclosure) -> dict[str, object]:
    return {
        "award_ids": list(disclosure.award_ids),
        "expires_at": _instant(disclosure.expires_at),
        "revoked": disclosure.revoked_at is not None,
        "code_digest": disclosure.code_digest,
    }


def published_disclosures(entries: SaidEntries) -> set[str]:
    """The disclosure IDs the history's ``awards_published`` entries (and the
    ``disclosure_recipient_erased`` entries that say one again) still name."""
    return said_names(entries, (_PUBLISHED, _RESTATED), "disclosure_id")


def made_kits(entries: SaidEntries) -> set[str]:
    """The kit IDs the history's ``kit_queued`` and ``kit_held`` entries still name."""
    return said_names(entries, _KIT_MADE, "kit_id")


def _kit_fields(kit: KitFulfilment) -> dict[str, object]:
    return {"candidate_id": kit.candidate_id, "award_id": kit.award_id, "status": str(kit.status)}


def _grant_fields(grant: AwardGrant) -> dict[str, object]:
    return {
        "award_id": grant.award_id,
        "granted_at": _instant(grant.granted_at),
        "expires_at": _expiry(grant),
        "renewals": [_instant(renewal.new_expiry) for renewal in grant.renewals],
        "renewed_at": [_instant(renewal.at) for renewal in grant.renewals],
        "revoked": grant.revoked_at is not None,
        "revoked_at": _instant(grant.revoked_at),
        "reminded": _instant(grant.reminded_expiry),
    }


Instants = Sequence[datetime] | None
"""The instant of each history entry, in the order of the entries (``None``: the
instants are not known, and not compared)."""

_GRANT_CHANGES = ("expires_at", "renewals", "renewed_at", "revoked", "revoked_at")
"""What the entries that change a grant say of it: unknown for every grant once one
of them is erased (which grant it changed is unknown)."""


def _at(instants: Instants, index: int) -> object:
    """The instant of the ``index``-th entry, as the stored record writes it (or
    :data:`UNKNOWN`)."""
    if instants is None or index >= len(instants):
        return UNKNOWN
    value = instants[index]
    return _instant(value) if isinstance(value, datetime) else UNKNOWN


def _appended(said: dict[str, object], name: str, value: object) -> None:
    """``value`` appended to the list ``said[name]`` (unknown once either is)."""
    known = said[name]
    said[name] = [*known, value] if isinstance(known, list) and value is not UNKNOWN else UNKNOWN


class _Said:
    """What the entries say of the results, grants and disclosures (replayed in order)."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, object]] = {}
        self.grants: dict[str, dict[str, object]] = {}
        self.disclosures: dict[str, dict[str, object]] = {}
        # the name each disclosure shows and the recipient it is for
        self.disclosed: dict[str, dict[str, str]] = {}
        self.kits: dict[str, dict[str, object]] = {}
        self.all_results = True  # no result entry was erased
        self.all_grants = True  # no grant entry was erased
        self.all_disclosures = True  # no revocation (or restatement) was erased
        # publications erased and not said again (a recipient's erasure says them again)
        self.hidden = 0
        self.withdrawn: set[str] = set()  # the disclosures revocations named
        self.all_kits = True  # no kit entry was erased
        self.erased = False  # the history records the awards erasure

    def result(self, data: Mapping[str, Any] | None) -> None:
        rid = None if data is None else data.get("result_id")
        if data is None or not isinstance(rid, str):
            self.all_results = False
            return
        self.results[rid] = said_fields(data, _RESULT_FIELDS)

    def grant(self, kind: str, data: Mapping[str, Any] | None, at: object = UNKNOWN) -> None:
        """Replay a grant entry of ``kind`` made at ``at`` (its instant, or unknown)."""
        gid = None if data is None else data.get("grant_id")
        if data is None or not isinstance(gid, str):
            if kind == _REMINDED:
                # which grant was reminded is unknown: no grant's reminder mark is known
                for said in self.grants.values():
                    said["reminded"] = UNKNOWN
                return
            self.all_grants = False
            # which grant changed is unknown: no grant's expiry or revocation is known
            for said in self.grants.values():
                said.update(dict.fromkeys(_GRANT_CHANGES, UNKNOWN))
            return
        if kind == _GRANTED:
            self.grants[gid] = said_fields(
                data,
                ("award_id", "expires_at"),
                granted_at=at,
                renewals=[],
                renewed_at=[],
                revoked=False,
                revoked_at=None,
                reminded=None,
            )
        elif gid in self.grants:
            said = self.grants[gid]
            if kind == _RENEWED:
                said["expires_at"] = expiry = data.get("new_expiry", UNKNOWN)
                _appended(said, "renewals", expiry)
                _appended(said, "renewed_at", at)
            elif kind == _REMINDED:
                said["reminded"] = data.get("expires_at", UNKNOWN)
            else:
                said["revoked"], said["revoked_at"] = True, at

    @property
    def complete_disclosures(self) -> bool:
        """Whether the entries name every disclosure and every revocation."""
        return self.all_disclosures and self.hidden <= 0

    def disclosure(self, kind: str, data: Mapping[str, Any] | None) -> None:
        did = None if data is None else data.get("disclosure_id")
        if data is None or not isinstance(did, str):
            if kind == _PUBLISHED:  # it hides which disclosure it made, revoking none
                self.hidden += 1
                return
            self.all_disclosures = False
            if kind == _WITHDRAWN:
                for said in self.disclosures.values():  # which one was revoked is unknown
                    said["revoked"] = UNKNOWN
            return
        if kind == _RESTATED and did not in self.disclosures:
            # the publication its erased entry hid, said again without the recipient
            self.hidden -= 1
            self._published(did, data, revoked=did in self.withdrawn)
            self.disclosed[did]["recipient_hash"] = ""
        elif kind == _PUBLISHED:
            self._published(did, data, revoked=False)
        elif kind == _WITHDRAWN:
            self.withdrawn.add(did)
            if did in self.disclosures:
                self.disclosures[did]["revoked"] = True

    def _published(self, did: str, data: Mapping[str, Any], *, revoked: bool) -> None:
        """The disclosure ``did`` as the entry ``data`` publishing it says."""
        fields = ("award_ids", "expires_at")
        # an entry written before the digest was recorded says nothing of the code
        digest = said_text(data, "code_digest")
        code = UNKNOWN if digest is None else digest
        self.disclosures[did] = said_fields(data, fields, revoked=revoked, code_digest=code)
        self.disclosed[did] = {
            field: value for field in _DISCLOSED_TO if (value := said_text(data, field)) is not None
        }

    def kit(self, candidate_id: str, kind: str, data: Mapping[str, Any] | None) -> None:
        kid = said_text(data, "kit_id")
        if data is None or kid is None:
            self.all_kits = False
            for said in self.kits.values():  # which kit moved on is unknown
                said["status"] = UNKNOWN
            return
        status = str(_KIT_STATUS[kind])
        if kind in _KIT_MADE:
            self.kits[kid] = said_fields(
                data, ("award_id",), candidate_id=candidate_id, status=status
            )
        elif kid in self.kits:
            self.kits[kid]["status"] = status


_RESULT_FIELDS = ("exam_code", "version", "score", "passed", "taken_at")
"""What an ``exam_result_recorded`` entry says of its result, each compared with the
stored result (a field an entry lacks, written by an earlier build, is not)."""


def _compare(
    candidate_id: str,
    what: str,
    said: Mapping[str, Mapping[str, object]],
    stored: Mapping[str, Mapping[str, object]],
    complete: bool,
) -> list[AggregateDifference]:
    """The results or grants the record holds, as the history says them (a field
    :data:`_SUBSUMED` by another that differs too is not reported)."""
    found = listing_differences(CANDIDATE_KIND, candidate_id, what, said, stored, complete=complete)
    for key in sorted(said.keys() & stored.keys()):
        prefix, pair = f"{what}[{key}].", (said[key], stored[key])
        differ = record_differences(CANDIDATE_KIND, candidate_id, *pair, prefix=prefix)
        names = {d.field.removeprefix(prefix) for d in differ}
        found += [d for d in differ if _SUBSUMED.get(d.field.removeprefix(prefix)) not in names]
    return found


_SUBSUMED = {"renewals": "expires_at", "renewed_at": "expires_at", "revoked_at": "revoked"}
"""A grant's field whose difference another field's already reports, and that field:
a renewal rolled back or written in moves the expiry, a revocation put back or
written in the revocation; the renewals and the instant of the revocation are
reported when the expiry, or the revocation, agrees."""


def awards_differences(
    candidate_id: str,
    awards: CandidateAwards | None,
    entries: SaidEntries,
    disclosures: Mapping[str, Disclosure] | None = None,
    kits: Mapping[str, KitFulfilment] | None = None,
    code_owners: Mapping[str, str | None] | None = None,
    instants: Instants = None,
) -> tuple[AggregateDifference, ...]:
    """Where the stored ``awards`` differ from what the candidate's history ``entries`` say.

    Args:
        candidate_id: the candidate ID (the record's key).
        awards: the stored record (``None``: none, i.e. no results and no grants).
        entries: the history's ``(kind, data)`` pairs, oldest first (``data``
            ``None`` once erased).
        disclosures: the stored disclosures the record lists or the history names,
            by ID (one missing: not stored); ``None``: disclosures are not compared.
        kits: the stored achievement kits the record lists or the history names,
            by ID (one missing: not stored); ``None``: kits are not compared.
        code_owners: for each stored disclosure's ID, the disclosure ID the code
            index gives its code digest (``None``: no entry); ``None``: the index
            is not compared.
        instants: each entry's instant, in the order of ``entries``; ``None``: the
            instants a grant was made, renewed and revoked at are not compared.

    Returns:
        one difference per result, grant or disclosure the record and the history
        do not share (``results[ID]``, ``grants[ID]``, ``disclosures[ID]``) and per
        field they disagree on (``results[ID].score``, ``results[ID].version``,
        ``grants[ID].expires_at``, ``grants[ID].renewals``, ``grants[ID].revoked``,
        ``grants[ID].reminded``; with ``instants``, ``grants[ID].granted_at``,
        ``grants[ID].renewed_at``, ``grants[ID].revoked_at``); a disclosure's own record
        is reported under its kind and ID (``disclosure``: not stored; ``revoked``, ``expires_at``,
        ``award_ids``; ``code_digest``: not the code its entry published it with;
        ``holder_name``, a personal difference; ``code_index``:
        its code does not lead to it), and so is a kit's (``kit``: not stored;
        ``status``, ``award_id``, ``candidate_id``); after ``awards_erased``,
        a record, disclosure or kit not in its erased form (field ``erased``).
        None when they agree.
    """
    entries = said_pairs(entries)
    said = _Said()
    for index, (kind, data) in enumerate(entries):
        if kind == _ERASED:
            said.erased = True
        elif kind == _RESULT:
            said.result(data)
        elif kind in (_GRANTED, _RENEWED, _REVOKED, _REMINDED):
            said.grant(kind, data, _at(instants, index))
        elif kind in _DISCLOSURE_KINDS:
            said.disclosure(kind, data)
        elif kind in _KIT_STATUS:
            said.kit(candidate_id, kind, data)
    results = {} if awards is None else {r.result_id: _result_fields(r) for r in awards.results}
    grants = {} if awards is None else {g.grant_id: _grant_fields(g) for g in awards.grants}
    found = [
        *_compare(candidate_id, "results", said.results, results, said.all_results),
        *_compare(candidate_id, "grants", said.grants, grants, said.all_grants),
    ]
    if disclosures is not None:
        listed = () if awards is None else awards.disclosure_ids
        found += listing_differences(
            CANDIDATE_KIND,
            candidate_id,
            "disclosures",
            said.disclosures,
            listed,
            complete=said.complete_disclosures,
        )
        found += _compare_own(
            DISCLOSURE_KIND,
            "published",
            said.disclosures,
            {did: _disclosure_fields(d) for did, d in disclosures.items()},
        )
        erased = awards is not None and awards.erased_at is not None
        found += _disclosed_to(said.disclosed, disclosures, erased=erased)
        found += _code_index(disclosures, code_owners)
    if kits is not None:
        listed = () if awards is None else awards.kit_ids
        found += listing_differences(
            CANDIDATE_KIND, candidate_id, "kits", said.kits, listed, complete=said.all_kits
        )
        stored = {kid: _kit_fields(kit) for kid, kit in kits.items()}
        found += _compare_own(KIT_KIND, "made", said.kits, stored)
    if said.erased:
        found += _erasure_differences(candidate_id, awards, disclosures, kits)
    return tuple(found)


def _erasure_differences(
    candidate_id: str,
    awards: CandidateAwards | None,
    disclosures: Mapping[str, Disclosure] | None,
    kits: Mapping[str, KitFulfilment] | None,
) -> list[AggregateDifference]:
    """After ``awards_erased``: the stored record is erased, and every disclosure and
    kit it lists is stored in the form the erasure gives it (field ``erased``). A
    record, disclosure or kit put back from before the erasure would show the awards,
    the name or the address again while the erased entries say nothing of them; one
    deleted would change what its code or ``kits_of`` answers."""
    found: list[AggregateDifference] = []
    if awards is None or awards.erased_at is None:
        found.append(AggregateDifference(CANDIDATE_KIND, candidate_id, "erased", None, "erased"))
    if disclosures is not None:
        listed = () if awards is None else awards.disclosure_ids
        found += _not_erased(DISCLOSURE_KIND, listed, disclosures, _erased_disclosure)
    if kits is not None:
        made = () if awards is None else awards.kit_ids
        found += _not_erased(KIT_KIND, made, kits, is_erased_kit)
    return found


def _not_erased(
    kind: str, listed: Iterable[str], stored: Mapping[str, T], erased: Callable[[T], bool]
) -> list[AggregateDifference]:
    """Each record of ``kind`` listed or ``stored`` that is missing or not ``erased``."""
    return [
        AggregateDifference(kind, key, "erased", None, "erased")
        for key in sorted({*listed, *stored})
        if (record := stored.get(key)) is None or not erased(record)
    ]


def _code_index(
    disclosures: Mapping[str, Disclosure], owners: Mapping[str, str | None] | None
) -> list[AggregateDifference]:
    """Each stored disclosure whose verification code the code index does not give
    to it: deleted, a valid disclosure could not be verified; moved, its code would
    show another disclosure."""
    if owners is None:
        return []
    return [
        AggregateDifference(DISCLOSURE_KIND, did, "code_index", owners.get(did), did)
        for did in sorted(disclosures)
        if owners.get(did) != did
    ]


def _erased_disclosure(disclosure: Disclosure) -> bool:
    """Whether ``disclosure`` has the form the erasure gives it (no name, no recipient)."""
    return (
        disclosure.holder_name == ERASED_TEXT
        and disclosure.recipient_hash == ""
        and disclosure.recipient_salt is None
    )


_DISCLOSED_TO = ("holder_name", "recipient_hash")
"""The fields of a disclosure that say whom it shows and to whom: the name the third
party sees, and the salted hash of the only address that may verify it."""


def _disclosed_to(
    said: Mapping[str, Mapping[str, str]], disclosures: Mapping[str, Disclosure], *, erased: bool
) -> list[AggregateDifference]:
    """Each stored disclosure the history names, showing the holder name and bound to
    the recipient its ``awards_published`` entry says (personal differences: the
    message leaves the values out). A name rewritten would show another person to the
    third party; a recipient hash rewritten would let another address verify it. An
    erased disclosure of an erased record of awards is not compared (an awards
    erasure of an earlier build kept the entry's data); one not stored is reported by
    :func:`_compare_own`; an entry written before the name was recorded compares
    the recipient only."""
    found: list[AggregateDifference] = []
    for did in sorted(said):
        disclosure = disclosures.get(did)
        if disclosure is None or (erased and _erased_disclosure(disclosure)):
            continue
        for field, want in sorted(said[did].items()):
            have = getattr(disclosure, field)
            if have != want:
                found.append(
                    AggregateDifference(DISCLOSURE_KIND, did, field, have, want, personal=True)
                )
    return found


def _compare_own(
    kind: str,
    missing: str,
    said: Mapping[str, Mapping[str, object]],
    stored: Mapping[str, Mapping[str, object]],
) -> list[AggregateDifference]:
    """Each record of ``kind`` the history names, stored as it says (its own record;
    one not stored is reported as field ``kind``, ledger ``missing``)."""
    found: list[AggregateDifference] = []
    for key in sorted(said):
        fields = stored.get(key)
        if fields is None:
            found.append(AggregateDifference(kind, key, kind.removeprefix("award_"), None, missing))
        else:
            found += record_differences(kind, key, said[key], fields)
    return found


def disclosure_named(disclosure: Disclosure, awards: CandidateAwards) -> bool:
    """Whether the awards record of the candidate ``disclosure`` names lists it
    (publishing lists every disclosure; an empty record lists none)."""
    return awards.candidate_id == disclosure.candidate_id and (
        disclosure.disclosure_id in awards.disclosure_ids
    )


def kit_named(kit: KitFulfilment, awards: CandidateAwards) -> bool:
    """Whether the awards record of the candidate ``kit`` names lists it (making a kit
    lists it; an empty record lists none)."""
    return awards.candidate_id == kit.candidate_id and kit.kit_id in awards.kit_ids


def disclosure_anchored(disclosure: Disclosure, entries: SaidEntries) -> bool:
    """Whether the stored ``disclosure`` shows what its candidate's history ``entries``
    (oldest first) say of it: published there, with the awards, expiry, code digest
    and revocation its entries give it (as :func:`awards_differences` compares
    them). A disclosure row put back from before its revocation is not, nor one
    holding another disclosure's code digest (two codes swapped), nor, after
    ``awards_erased``, one not in the erased form (put back from before the
    erasure, it would show the holder's name again). When an erased entry
    hides which disclosure it published, or which one it revoked, what it hides is
    taken as anchored. The holder name and recipient are not compared here (only
    by :func:`awards_differences`).

    Example:
        >>> from datetime import datetime, timezone
        >>> at, end = (datetime(year, 3, 1, tzinfo=timezone.utc) for year in (2012, 2013))
        >>> shown = Disclosure("D-1", "SP-1", ("scs",), "Ada", "r", None, "c", at, end)
        >>> published = ("awards_published", {"disclosure_id": "D-1", "award_ids": ["scs"],
        ...              "expires_at": _instant(end)})
        >>> disclosure_anchored(shown, [published])
        True
        >>> revoked = ("disclosure_revoked", {"disclosure_id": "D-1"})
        >>> disclosure_anchored(shown, [published, revoked])
        False
        >>> swapped = ("awards_published", {**published[1], "code_digest": "another"})
        >>> disclosure_anchored(shown, [swapped])  # the row holds code digest "c"
        False
    """
    entries = said_pairs(entries)
    said = _Said()
    for kind, data in entries:
        if kind in _DISCLOSURE_KINDS:
            said.disclosure(kind, data)
        elif kind == _ERASED and not _erased_disclosure(disclosure):
            return False  # put back from before the erasure: it names the person again
    did = disclosure.disclosure_id
    want = said.disclosures.get(did)
    if want is None:
        return not said.complete_disclosures
    return not record_differences(DISCLOSURE_KIND, did, want, _disclosure_fields(disclosure))


def kit_anchored(kit: KitFulfilment, entries: SaidEntries) -> bool:
    """Whether the stored ``kit`` is the one its candidate's history ``entries``
    (oldest first) say: made there (a ``kit_queued`` or ``kit_held`` entry naming it,
    for its award), with the status its later entries give it (as
    :func:`awards_differences` compares them). A kit row put back from before it was
    released, shipped or delivered (a shipped kit put back as queued, which would
    ship again) is not, nor, after ``awards_erased``, one not in the erased form
    (:func:`is_erased_kit`: put back from before the erasure). When an erased
    entry hides which kit it was about, what it hides is taken as anchored.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> kit = KitFulfilment("KIT-1", "SP-1", "scs", "G-1", None, KitStatus.HELD, at,
        ...                     hold_reason="no_postal_address")
        >>> held = ("kit_held", {"kit_id": "KIT-1", "award_id": "scs"})
        >>> kit_anchored(kit, [held])
        True
        >>> kit_anchored(kit, [held, ("kit_shipped", {"kit_id": "KIT-1"})])
        False
    """
    entries = said_pairs(entries)
    said = _Said()
    for kind, data in entries:
        if kind in _KIT_STATUS:
            said.kit(kit.candidate_id, kind, data)
        elif kind == _ERASED and not is_erased_kit(kit):
            return False  # put back from before the erasure: it holds the address again
    want = said.kits.get(kit.kit_id)
    if want is None:
        return not said.all_kits
    return not record_differences(KIT_KIND, kit.kit_id, want, _kit_fields(kit))


def require_kit_anchored(kit: KitFulfilment, entries: SaidEntries) -> KitFulfilment:
    """``kit`` if it is as its candidate's history ``entries`` say
    (:func:`kit_anchored`): a kit row put back from before a later entry is refused,
    and nothing is changed.

    Raises:
        IntegrityError: ``record_corrupt`` (details: the kit's kind and ID).
    """
    return require_said(kit, kit_anchored(kit, entries), KIT_KIND, kit.kit_id)


def awards_anchored(
    awards: CandidateAwards, entries: SaidEntries, instants: Instants = None
) -> bool:
    """Whether the stored ``awards`` hold the exam results and grants the candidate's
    history ``entries`` (oldest first) say: :func:`awards_differences` finds nothing
    of them (disclosures and kits aside; the instants of the grants' entries only
    where ``instants`` gives them). A revoked grant put back as active, a grant or
    a passing result written in by hand, or a result deleted is not.

    Example:
        >>> empty = CandidateAwards("SP-1")
        >>> awards_anchored(empty, [])
        True
        >>> granted = {"grant_id": "G-1", "award_id": "scs", "expires_at": None}
        >>> awards_anchored(empty, [("award_granted", granted)])  # a grant rolled back
        False
    """
    return not awards_differences(awards.candidate_id, awards, entries, instants=instants)


def require_awards_anchored(
    awards: CandidateAwards, entries: SaidEntries, instants: Instants = None
) -> CandidateAwards:
    """``awards`` if they are as the candidate's history ``entries`` say
    (:func:`awards_anchored`): a record put back or edited by hand is refused, and
    nothing is changed or shown.

    Raises:
        IntegrityError: ``record_corrupt`` (details: kind ``award_candidate`` and
            the candidate ID).
    """
    said = awards_anchored(awards, entries, instants)
    return require_said(awards, said, CANDIDATE_KIND, awards.candidate_id)
