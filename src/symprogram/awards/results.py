"""Flow: recording exam results (e.g. from a claimed score report) and reading them."""

from __future__ import annotations

from datetime import datetime

from symprogram._deprecation import deprecated_alias
from symprogram.awards import rules
from symprogram.awards._base import SINCE, FlowBase, new_id
from symprogram.awards.events import ExamResultRecorded
from symprogram.awards.models import ExamResult
from symprogram.clock import ensure_utc

__all__ = ["Results"]


class Results(FlowBase):
    """Exam results: the evidence awards are earned with."""

    def record_exam_result(
        self,
        candidate_id: str,
        exam_code: str,
        score: int,
        *,
        taken_at: datetime,
        version: str | None = None,
    ) -> ExamResult:
        """Record an exam result (e.g. from a claimed score report).

        The result passes when ``score`` reaches the exam's pass score. ``version``
        defaults to the exam's newest version.

        Raises:
            ValidationError: ``invalid_candidate_id``, ``invalid_exam_code``,
                ``invalid_score``, ``score_out_of_range``, ``unknown_exam_version``,
                ``naive_datetime``, ``instant_in_future``, ``exam_retired`` (taken on
                or after the exam's retirement).
            NotFound: ``candidate_not_found``, ``exam_not_found``.
            Conflict: ``duplicate_exam_result`` (same exam, version and instant).
            IllegalTransition: ``account_erased``.
        """
        cid = self._candidate(candidate_id)
        exam = self._catalogue.get_exam(exam_code)
        taken = ensure_utc(taken_at, field="taken_at")
        now = self._now()
        result = rules.exam_result(
            exam, result_id=new_id(), score=score, version=version, taken_at=taken, now=now
        )
        with self._store.transaction() as tx:
            state = rules.record_result(self._locked(tx, cid), result)
            self._repo.save_candidate(tx, state)
            self._record(
                tx,
                ExamResultRecorded(
                    cid,
                    now,
                    result.result_id,
                    exam.code,
                    result.version,
                    result.score,
                    result.passed,
                    taken,
                ),
            )
        return result

    def exam_results_of(self, candidate_id: str) -> tuple[ExamResult, ...]:
        """The candidate's recorded exam results, oldest record first."""
        return self._state(self._candidate(candidate_id)).results

    exam_results = deprecated_alias("exam_results_of", old="exam_results", since=SINCE)
