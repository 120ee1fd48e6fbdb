"""The consent repositories, built on the generic storage port (every adapter gets them).

Record kinds (see :mod:`symprogram.consent.ports`): ``consent_state`` (key:
subject), ``consent_file`` (key: subject), ``consent_policy`` (key: zero-padded
publication sequence), the audience index ``consent_granted`` (key:
:func:`audience_key`) and its marker in ``consent_meta``. The ledger itself is a
:class:`symprogram.events.Ledger` stream per subject.
"""

from __future__ import annotations

from symprogram.consent.models import ConsentState, PublishedPolicy, SubjectFile
from symprogram.consent.ports import FILE_KIND, POLICY_KIND, STATE_KIND
from symprogram.persistence import Repository, Transaction
from symprogram.serialization import make_converter

__all__ = ["CONVERTER", "ConsentStorage", "audience_key"]

CONVERTER = make_converter()
"""The converter every consent record is read and written with."""

_SEPARATOR = "\x1f"


def audience_key(purpose: str, subject: str) -> str:
    """The key of ``subject``'s audience entry for ``purpose``: sorted by purpose, then subject."""
    return purpose + _SEPARATOR + subject


def _state_key(state: ConsentState) -> str:
    return state.subject


def _file_key(file: SubjectFile) -> str:
    return file.subject


def _policy_key(published: PublishedPolicy) -> str:
    return f"{published.sequence:08d}"


class ConsentStorage:
    """The consent context's repositories inside one unit of work.

    Args:
        tx: the unit of work.
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    @property
    def states(self) -> Repository[ConsentState]:
        """Per-subject projections of the ledger (``consent_state``)."""
        return Repository(self.tx, STATE_KIND, ConsentState, key=_state_key, converter=CONVERTER)

    @property
    def files(self) -> Repository[SubjectFile]:
        """Personal information held and requests, per subject (``consent_file``)."""
        return Repository(self.tx, FILE_KIND, SubjectFile, key=_file_key, converter=CONVERTER)

    @property
    def published(self) -> Repository[PublishedPolicy]:
        """Policy versions published through the service (``consent_policy``)."""
        return Repository(
            self.tx, POLICY_KIND, PublishedPolicy, key=_policy_key, converter=CONVERTER
        )

    def save_file(self, file: SubjectFile) -> SubjectFile:
        """Store a subject's file: added when never saved, else saved at its version."""
        repo = self.files
        return repo.add(file) if file.version == 0 else repo.save(file)
