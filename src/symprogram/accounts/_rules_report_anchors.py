"""Rules of score report anchors: what the history says of a report (pure).

Re-exported by :mod:`symprogram.accounts.rules`.

Recording a score report appends a ``score_report_recorded`` entry under the
report's own subject of the account history, ``~score-report:<registration
number>``: its exam fields, and for its name and address only a keyed digest
(:func:`personal_digest`). A stored report is compared with the latest such
entry (:func:`report_differences`); one whose subject has no entry is a report
written into the database by hand, once the store is marked as anchoring (a
subject ``~score-reports:<random>``, :data:`REPORTS_MARKER`).

Claiming an anchored report appends a ``score_report_claim_recorded`` entry under
the same subject (:func:`claimed_report_event`): from then on the stored report
must be claimed by the account it names (field ``claimed_by``), so that a row put
back from before the claim (unclaimed) is refused rather than claimed again. A
report claimed before claims were recorded there has no such entry: its subject
says nothing of its claim (:data:`~symprogram._anchors.UNKNOWN`), and its row's
claim is taken as it is until ``anchor_score_reports`` writes the entry
(:func:`legacy_claim_event`: only for a claim the claimant's own history confirms).

Example:
    >>> report_subject("AB-1"), report_number("~score-report:AB-1"), report_number("SP-1")
    ('~score-report:AB-1', 'AB-1', None)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from symprogram._anchors import (
    UNKNOWN,
    AggregateDifference,
    SaidEntries,
    record_differences,
    said_names,
)
from symprogram.accounts._rules_lifecycle import report_erased
from symprogram.accounts.events import (
    ScoreReportClaimed,
    ScoreReportClaimRecorded,
    ScoreReportErased,
    ScoreReportRecorded,
    ScoreReportsAnchored,
)
from symprogram.accounts.models import ScoreReport
from symprogram.accounts.ports import SCORE_REPORT_KIND
from symprogram.errors import IntegrityError
from symprogram.ledger_keys import LedgerKeys

__all__ = [
    "REPORTS_MARKER",
    "REPORT_SUBJECT_PREFIX",
    "anchored_report_event",
    "claim_unrecorded",
    "claimed_report_event",
    "erased_report_event",
    "legacy_claim_event",
    "marker_event",
    "marks_store",
    "personal_digest",
    "report_anchor",
    "report_differences",
    "report_number",
    "report_subject",
    "require_anchored",
    "said_report",
    "unanchored_difference",
]

REPORT_SUBJECT_PREFIX = "~score-report:"
"""The account history subject of a score report is this and its registration
number (``~`` is in no candidate ID, so it is nobody's account)."""

REPORTS_MARKER = "~score-reports:"
"""The account history subjects whose ``score_reports_anchored`` entry marks a store
in which every score report is anchored start so (then a random part: two units of
work marking a store at once never write the same stream)."""

_RECORDED = ScoreReportRecorded.event_name()
_ERASED = ScoreReportErased.event_name()
_CLAIMED = ScoreReportClaimRecorded.event_name()
_MARKED = ScoreReportsAnchored.event_name()
_CLAIMANT_CLAIMED = ScoreReportClaimed.event_name()
_EXAM_FIELDS = ("exam_code", "score", "passing_score", "exam_date", "test_centre", "recorded_at")
_PERSONAL = "personal"
_CLAIMED_BY = "claimed_by"
_DERIVATION = b"symprogram score report personal fields"


def report_subject(registration_number: str) -> str:
    """The account history subject of the report ``registration_number`` (normalized)."""
    return REPORT_SUBJECT_PREFIX + registration_number


def report_number(subject: str) -> str | None:
    """The registration number whose subject ``subject`` is, or ``None`` (another subject)."""
    if subject.startswith(REPORT_SUBJECT_PREFIX):
        return subject[len(REPORT_SUBJECT_PREFIX) :]
    return None


def _personal_key(key: bytes) -> bytes:
    """The key of the personal digests, derived from a ledger key (its own domain)."""
    return hmac.new(key, _DERIVATION, hashlib.sha256).digest()


def personal_digest(key: bytes | None, salt: str, name: str, email: str) -> str:
    """The digest of a report's name and address: HMAC-SHA-256 of ``salt`` and both
    values under a key derived from the ledger key ``key``; salted SHA-256 without one.

    Example:
        >>> d = personal_digest(None, "00", "Ada", "ada@example.com")
        >>> d == personal_digest(None, "00", "Ada", "ada@example.com"), len(d)
        (True, 64)
    """
    body = salt.encode() + json.dumps([name, email], ensure_ascii=False).encode()
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(_personal_key(key), body, hashlib.sha256).hexdigest()


def _exam_fields(report: ScoreReport) -> dict[str, Any]:
    return {
        "exam_code": report.exam_code,
        "score": report.score,
        "passing_score": report.passing_score,
        "exam_date": report.exam_date.isoformat(),
        "test_centre": report.test_centre,
        "recorded_at": report.recorded_at.isoformat(),
    }


def anchored_report_event(
    report: ScoreReport, keys: LedgerKeys | None, *, salt: str, at: datetime, method: str
) -> ScoreReportRecorded:
    """The ``score_report_recorded`` entry of ``report`` (``method`` ``recorded`` or
    ``migration``), its name and address digested with the ring's current key."""
    kid = None if keys is None else keys.current_id
    key = None if keys is None else keys.current
    digest = personal_digest(key, salt, report.candidate_name, report.email)
    return ScoreReportRecorded(
        report_subject(report.registration_number),
        at,
        **_exam_fields(report),
        personal_digest=digest,
        personal_salt=salt,
        personal_key=kid,
        method=method,
    )


def claimed_report_event(report: ScoreReport, at: datetime) -> ScoreReportClaimRecorded:
    """The ``score_report_claim_recorded`` entry of the claimed ``report`` (its
    ``claimed_by`` set), under the report's own subject.

    Raises:
        ValueError: ``report`` is not claimed (a programming error).
    """
    if report.claimed_by is None:
        raise ValueError("an unclaimed report has no claim to record")
    return ScoreReportClaimRecorded(
        report_subject(report.registration_number), at, claimed_by=report.claimed_by
    )


def legacy_claim_event(
    report: ScoreReport,
    pairs: SaidEntries,
    claimant: SaidEntries,
    *,
    keys: LedgerKeys | None,
    at: datetime,
) -> ScoreReportClaimRecorded | None:
    """The ``score_report_claim_recorded`` entry ``anchor_score_reports`` appends for
    a claim made before claims were recorded in the report's own subject, or ``None``.

    Only for a claimed ``report`` whose subject (its ``pairs``) records it
    (a ``score_report_recorded`` entry, or ``score_report_erased``), agrees with it
    (:func:`report_differences`: an edited row is never vouched for) and says
    nothing of a claim (no ``score_report_claim_recorded`` entry, nor an erased
    entry restating one), and whose claimant's own history (``claimant``, its
    ``(kind, data)`` pairs) has a ``score_report_claimed`` entry naming the report:
    a row edited to name another account is not anchored (``verify_all()`` reports
    it). The claim as stored is otherwise trusted.

    Example:
        >>> from datetime import UTC, date, datetime
        >>> at = datetime(2012, 3, 1, tzinfo=UTC)
        >>> report = ScoreReport(registration_number="R-1", exam_code="250-315",
        ...     candidate_name="Ada", email="ada@example.com", score=85, passing_score=70,
        ...     exam_date=date(2012, 2, 1), test_centre="London", recorded_at=at,
        ...     claimed_by="SP-1111-2222-3333-4", claimed_at=at)
        >>> recorded = anchored_report_event(report, None, salt="00", at=at, method="recorded")
        >>> pairs = [(recorded.event_name(), recorded.payload())]
        >>> said = [("score_report_claimed", {"registration_number": "R-1"})]
        >>> legacy_claim_event(report, pairs, said, keys=None, at=at).claimed_by
        'SP-1111-2222-3333-4'
        >>> legacy_claim_event(report, pairs, [], keys=None, at=at) is None
        True
    """
    if not claim_unrecorded(report, pairs, keys):
        return None
    number = report.registration_number
    if number not in said_names(claimant, (_CLAIMANT_CLAIMED,), "registration_number"):
        return None
    return claimed_report_event(report, at)


def claim_unrecorded(report: ScoreReport, pairs: SaidEntries, keys: LedgerKeys | None) -> bool:
    """Whether ``report`` is claimed, agrees with its subject's ``pairs`` and that
    subject records it but says nothing of a claim (the first half of
    :func:`legacy_claim_event`, which needs no claimant's history)."""
    if report.claimed_by is None:
        return False
    given = list(pairs)
    said = said_report(given)
    if not said or said[_CLAIMED_BY] is not UNKNOWN or any(k == _CLAIMED for k, _ in given):
        return False
    return not report_differences(report.registration_number, report, given, keys)


def erased_report_event(
    number: str, said: Mapping[str, Any], at: datetime
) -> ScoreReportErased | None:
    """The ``score_report_erased`` entry of the report ``number`` whose history said
    ``said`` (:func:`said_report`): its exam fields as the history had them (never as
    stored: erasing does not vouch for an edited score), and the claim it recorded
    (``None``: it recorded none). ``None`` when the history said nothing of it, or
    already says it is erased."""
    if not said or said.get(_PERSONAL) is None:
        return None
    claimed = said.get(_CLAIMED_BY)
    try:
        fields = {name: said[name] for name in _EXAM_FIELDS}
        claimer = claimed if isinstance(claimed, str) else None
        return ScoreReportErased(report_subject(number), at, **fields, claimed_by=claimer)
    except (KeyError, TypeError):
        return None  # a malformed entry: left for verify_all to report


def marker_event(at: datetime, method: str, token: str) -> ScoreReportsAnchored:
    """The store marker entry (``method`` ``new_store`` or ``migration``) under the
    subject of its own ``~score-reports:<token>``."""
    return ScoreReportsAnchored(REPORTS_MARKER + token, at, method=method)


def said_report(pairs: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dict[str, Any]:
    """What a report's history ``(kind, data)`` pairs say of it, from the latest entry
    that says it: the exam fields, ``personal`` (the digest, salt and key id of
    the name and address, or ``None`` once erased) and ``claimed_by`` (the account a
    ``score_report_claim_recorded`` entry, or the ``score_report_erased`` entry
    restating it, names; :data:`~symprogram._anchors.UNKNOWN` when none does: an
    unclaimed report, or one claimed before claims were recorded here). Empty:
    nothing (no entry, or only erased ones)."""
    said: dict[str, Any] = {}
    claimed: object = UNKNOWN
    for kind, data in pairs:
        if data is None:
            continue
        if kind == _CLAIMED or (kind == _ERASED and data.get(_CLAIMED_BY) is not None):
            claimed = data.get(_CLAIMED_BY)
        if kind not in (_RECORDED, _ERASED):
            continue
        said = {name: data.get(name) for name in _EXAM_FIELDS}
        if kind == _RECORDED:
            said[_PERSONAL] = (
                data.get("personal_digest"),
                data.get("personal_salt"),
                data.get("personal_key"),
            )
        else:
            said[_PERSONAL] = None
    if said:
        said[_CLAIMED_BY] = claimed
    return said


def _personal_matches(report: ScoreReport, said: object, keys: LedgerKeys | None) -> bool | None:
    """Whether the name and address of ``report`` are those the history digested
    (``None``: the ring does not hold the key the digest was made with)."""
    if said is None:
        return report_erased(report)
    if not isinstance(said, tuple) or not all(isinstance(v, str | None) for v in said):
        return False
    digest, salt, kid = said
    if not isinstance(digest, str) or not isinstance(salt, str):
        return False
    key = None
    if kid is not None:
        key = None if keys is None else keys.key_for(kid)
        if key is None:
            return None
    found = personal_digest(key, salt, report.candidate_name, report.email)
    return hmac.compare_digest(found, digest)


def report_differences(
    number: str,
    report: ScoreReport | None,
    pairs: Iterable[tuple[str, Mapping[str, Any] | None]],
    keys: LedgerKeys | None,
) -> list[AggregateDifference]:
    """Where the stored report ``number`` differs from its history ``pairs``.

    Nothing when the history says nothing of it (a legacy report, see
    :func:`require_anchored`). The exam fields are compared one by one, and the
    claim where the history recorded one (``claimed_by``: a row put back from
    before the claim is unclaimed); the name and address through their digest
    (field ``personal``, values left out of the message); a report the history
    records and the store lacks is field ``score_report``.
    """
    said = said_report(pairs)
    if not said:
        return []
    if report is None:
        return [AggregateDifference(SCORE_REPORT_KIND, number, SCORE_REPORT_KIND, None, "recorded")]
    wanted = {name: said[name] for name in (*_EXAM_FIELDS, _CLAIMED_BY)}
    stored = {**_exam_fields(report), _CLAIMED_BY: report.claimed_by}
    found = record_differences(SCORE_REPORT_KIND, number, wanted, stored)
    matches = _personal_matches(report, said[_PERSONAL], keys)
    if matches is False:
        found.append(
            AggregateDifference(
                SCORE_REPORT_KIND, number, _PERSONAL, "edited", "digested", personal=True
            )
        )
    return found


def unanchored_difference(number: str) -> AggregateDifference:
    """The difference of a stored report ``number`` with no entry in a marked store."""
    return AggregateDifference(SCORE_REPORT_KIND, number, SCORE_REPORT_KIND, "recorded", None)


def marks_store(pairs: Iterable[tuple[str, Mapping[str, Any] | None]]) -> bool:
    """Whether the marker subject's ``pairs`` mark the store as anchoring."""
    return any(kind == _MARKED for kind, _ in pairs)


def require_anchored(
    number: str,
    report: ScoreReport,
    pairs: Iterable[tuple[str, Mapping[str, Any] | None]],
    *,
    marked: bool,
    keys: LedgerKeys | None,
) -> ScoreReport:
    """``report`` if it agrees with its history ``pairs``.

    A report whose history says nothing of it is a legacy report (recorded before
    reports were anchored) in a store never marked (``marked`` false), and is
    accepted; in a marked store it was written in by hand.

    Raises:
        IntegrityError: ``record_corrupt`` (details ``kind``, ``key`` and the first
            ``field`` that differs).
    """
    found, _ = report_anchor(number, report, pairs, marked=marked, keys=keys)
    if found:
        raise IntegrityError.record_corrupt(
            SCORE_REPORT_KIND, number, "is not the one its history recorded", field=found[0].field
        )
    return report


def report_anchor(
    number: str,
    report: ScoreReport,
    pairs: Iterable[tuple[str, Mapping[str, Any] | None]],
    *,
    marked: bool,
    keys: LedgerKeys | None,
) -> tuple[list[AggregateDifference], bool]:
    """Where ``report`` differs from its history ``pairs`` (as :func:`require_anchored`
    judges it, without raising), and whether the history records it (so that a
    claim of it is recorded there too, see :func:`claimed_report_event`)."""
    given = list(pairs)
    if said_report(given):
        return report_differences(number, report, given, keys), True
    return ([unanchored_difference(number)] if marked else []), False
