"""Flow: progress towards awards, the awards held, the grants (read only).

On a store with a change token (:func:`symprogram.persistence.change_tracker`,
e.g. the memory store) a repeated :meth:`Progress.progress` question is answered
from :class:`symprogram._memo.TokenMemo`: an answer is remembered under the
store's change token, read before the aggregate, together with the window of
instants over which it stands still (:func:`symprogram.awards.rules.progress_window`).
It is reused only while the token is unchanged and the instant lies in the
window, restamped with the instant asked. Keys are only exact strings that passed
the candidate ID check and the catalogue lookup, both pure functions of the
string (the catalogue is fixed per service), so a key found needs neither again.
The candidate directory is an outside port that may change without a commit: it
is asked on every call, remembered or not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from symprogram._memo import TokenMemo
from symprogram.awards import rules
from symprogram.awards._base import FlowBase
from symprogram.awards.models import AwardDefinition, AwardGrant, AwardHolding, Progress
from symprogram.clock import ensure_utc

__all__ = ["PROGRESS_MEMO_MAX", "ProgressReports"]

PROGRESS_MEMO_MAX = 4096
"""Most ``(candidate, award)`` progress answers one service remembers (oldest dropped first)."""

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
_new = object.__new__


class _Remembered(NamedTuple):
    """A remembered progress answer and the instants ``[start, end)`` it holds for."""

    start: datetime
    end: datetime
    award: AwardDefinition
    answer: Progress
    asked: datetime | None  # the exact clock/argument object it was asked with, if immutable


# The slot setters of the frozen Progress: a restamp copies the fields without
# running the initializer (attrs.evolve) or the frozen __setattr__ check.
(
    _set_candidate_id,
    _set_award_id,
    _set_at,
    _set_met,
    _set_percentage,
    _set_satisfied,
    _set_missing,
    _set_tree,
) = (
    vars(Progress)[name].__set__
    for name in (
        "candidate_id",
        "award_id",
        "at",
        "met",
        "percentage",
        "satisfied",
        "missing",
        "tree",
    )
)


def _restamped(p: Progress, at: datetime) -> Progress:
    """``p`` asked about instant ``at``: the frozen, validated fields copied as they are.

    The fast equivalent of ``attrs.evolve(p, at=at)`` (a property test holds them equal).
    """
    out: Progress = _new(Progress)
    _set_candidate_id(out, p.candidate_id)
    _set_award_id(out, p.award_id)
    _set_at(out, at)
    _set_met(out, p.met)
    _set_percentage(out, p.percentage)
    _set_satisfied(out, p.satisfied)
    _set_missing(out, p.missing)
    _set_tree(out, p.tree)
    return out


def _exact_utc(value: object) -> datetime | None:
    """``value`` if it is a plain UTC datetime (immutable: ``ensure_utc`` returns it as is)."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    return None


class ProgressReports(FlowBase):
    """Progress towards awards and the awards held, as of any instant."""

    _progress_memo: TokenMemo[tuple[str, str], _Remembered]

    def progress(self, candidate_id: str, award_id: str, at: datetime | None = None) -> Progress:
        """Which requirements of ``award_id`` the candidate meets as of ``at`` (default now).

        On a store with a change token (:func:`symprogram.persistence.change_tracker`,
        e.g. the memory store) a repeated question is answered from memory while no
        unit of work has committed since and the instant lies where the answer
        stands still (:func:`symprogram.awards.rules.progress_window`); the answer
        is the one a fresh evaluation gives. Other stores are read on every call.

        Raises:
            NotFound: ``candidate_not_found``, ``award_not_found``.
            ValidationError: ``invalid_candidate_id``, ``naive_datetime``.
        """
        memo = self._progress_memo
        token = memo.token()
        exact = type(candidate_id) is str and type(award_id) is str
        key = (candidate_id, award_id)
        entry = memo.get(key, token) if exact else None
        if entry is None:
            cid, award = self._candidate_award(candidate_id, award_id)
        else:  # still known, and read under the directory's spelling of the ID
            cid, award = self._candidate(candidate_id), entry.award
        raw = self._clock.now() if at is None else at
        if entry is not None and raw is entry.asked:
            return entry.answer  # asked with the very instant it was remembered with
        when = ensure_utc(raw, field="now" if at is None else "at")
        if entry is not None and entry.start <= when < entry.end:
            answer = _restamped(entry.answer, when)
            memo.put(key, token, entry._replace(answer=answer, asked=_exact_utc(raw)))
            return answer
        state = self._state(cid)
        answer = rules.progress(state, award, when, self._catalogue)
        if exact and token is not None:
            start, end = rules.progress_window(state, when)
            remembered = _Remembered(
                _EARLIEST if start is None else start,
                _LATEST if end is None else end,
                award,
                answer,
                _exact_utc(raw),
            )
            memo.put(key, token, remembered)
        return answer

    def progress_all(self, candidate_id: str, at: datetime | None = None) -> tuple[Progress, ...]:
        """Progress towards every award of the catalogue, in catalogue order."""
        cid = self._candidate(candidate_id)
        when = self._at(at)
        state = self._state(cid)
        return tuple(
            rules.progress(state, award, when, self._catalogue)
            for award in self._catalogue.awards.values()
        )

    def awards_of(self, candidate_id: str, at: datetime | None = None) -> tuple[AwardHolding, ...]:
        """Every award the candidate held by ``at``, with its status then (sorted by ID)."""
        cid = self._candidate(candidate_id)
        when = self._at(at)
        return rules.holdings(self._state(cid), when, self._catalogue)

    def grants_of(self, candidate_id: str) -> tuple[AwardGrant, ...]:
        """Every grant of the candidate (including ended ones), oldest first."""
        return self._state(self._candidate(candidate_id)).grants
