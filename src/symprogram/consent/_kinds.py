"""The kinds of the consent ledger's entries: the names of the consent events.

Each is its event's :meth:`~symprogram.events.DomainEvent.event_name`, the class
name in ``snake_case`` (``ConsentRecorded``: ``consent_recorded``).

Re-exported by :mod:`symprogram.consent.events` and :mod:`symprogram.consent.rules`
as this module declares them; import them from either.
"""

__all__ = [
    "CONSENT_RECORDED",
    "CORRECTION_COMPLETED",
    "CORRECTION_REQUESTED",
    "DATA_COLLECTED",
    "NOTICE_RECORDED",
    "SUBJECT_ERASED",
]

CONSENT_RECORDED = "consent_recorded"
NOTICE_RECORDED = "notice_recorded"
DATA_COLLECTED = "data_collected"
CORRECTION_REQUESTED = "correction_requested"
CORRECTION_COMPLETED = "correction_completed"
SUBJECT_ERASED = "subject_erased"
