"""The one aggregate-by-key port, ``persistence.Aggregates``, that repository ports extend."""

from __future__ import annotations

import pytest

from symprogram.accounts import ports as accounts_ports
from symprogram.consent import ports as consent_ports
from symprogram.entitlements import ports as entitlements_ports
from symprogram.entitlements.models import SupportCase
from symprogram.entitlements.storage import StoredCases
from symprogram.persistence import Aggregates, Repository
from symprogram.storage.memory import MemoryStore

KERNEL_OPERATIONS = {"find", "get", "add", "save"}


def test_the_generic_repository_and_a_context_repository_satisfy_the_port() -> None:
    """``Repository`` and a context's repository (entitlements' cases) are ``Aggregates``."""
    with MemoryStore().transaction() as tx:
        generic = Repository(tx, "example", SupportCase, lambda case: case.case_id)
        cases = StoredCases(tx)
        assert (True, True) == (isinstance(generic, Aggregates), isinstance(cases, Aggregates))


class _FindOnly:
    def find(self, key: str) -> object:
        return None


def test_an_object_missing_an_operation_is_not_the_port() -> None:
    """The runtime check is not vacuous: find alone is not ``Aggregates``."""
    assert not isinstance(_FindOnly(), Aggregates)


@pytest.mark.parametrize(
    "port",
    [
        accounts_ports.CandidateRepository,
        accounts_ports.AcceptanceRepository,
        accounts_ports.ScoreReportRepository,
        accounts_ports.IncidentRepository,
        entitlements_ports.CaseRepository,
        consent_ports.Aggregates,
    ],
)
def test_each_repository_port_extends_the_kernel_port(port: type) -> None:
    """Each context's aggregate repository port is the kernel's, plus only its own extras."""
    assert issubclass(port, Aggregates)
    assert KERNEL_OPERATIONS <= {name for name in dir(port) if not name.startswith("_")}
