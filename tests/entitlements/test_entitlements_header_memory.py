"""Hostile Accept-Language headers are not kept whole by the service's remembered answers."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime

from _programs import add_agreement
from symprogram.clock import FixedClock
from symprogram.entitlements import EntitlementsService, Reader
from symprogram.i18n import MAX_ACCEPT_LANGUAGE_LENGTH
from symprogram.storage.memory import MemoryStore

MEGABYTE = 1_000_000


def _service() -> EntitlementsService:
    service = EntitlementsService(MemoryStore(), FixedClock(datetime(2012, 3, 1, tzinfo=UTC)))
    add_agreement(service, level="business_critical_services")
    return service


def _header(number: int) -> str:
    return f"he-{number:03d}," + "x" * MEGABYTE


DOCUMENTS = ("technical_support_policy", "business_critical_services_handbook")


def test_megabyte_headers_are_remembered_by_the_part_that_is_read() -> None:
    """Negotiation reads only the first MAX_ACCEPT_LANGUAGE_LENGTH characters of a header,
    so twenty distinct one-megabyte headers, dropped by the caller, must not stay alive in
    the remembered answers (decisions and language choices); the answers are those of the
    header cut to what is read."""
    service = _service()
    reader = Reader("C-1", logged_in=True)
    for document in DOCUMENTS:
        service.decide(reader, document, languages="en")  # warm the code paths
    gc.collect()
    tracemalloc.start()
    try:
        decisions = [
            service.decide(reader, document, languages=_header(number))
            for number in range(20)
            for document in DOCUMENTS
        ]
        gc.collect()
        retained, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert retained < 2 * MEGABYTE
    fresh = _service()
    for number in range(20):
        cut = _header(number)[: MAX_ACCEPT_LANGUAGE_LENGTH + 1]
        for document in DOCUMENTS:
            decision = decisions[2 * number + DOCUMENTS.index(document)]
            assert fresh.decide(reader, document, languages=cut) == decision
            assert "he" == decision.detail("language")
