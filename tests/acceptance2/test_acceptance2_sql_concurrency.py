"""Pass 2: concurrent writers through Programs on the SQLAlchemy adapter.

Issue 7: "threads ... lose nothing"; DESIGN.md principle 4: a caller only ever
sees SymprogramErrors. Here 8 threads race for ONE e-mail address and append to
ONE consent ledger at once, each thread with its own Program on the same tables.
"""

from __future__ import annotations

import threading
from typing import Any

from acceptance_helpers import PASSWORD, START, fast_options

from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.errors import SymprogramError

THREADS = 8


def test_racing_writers_get_symprogram_errors_only_and_lose_nothing(sql_backend_url: str) -> None:
    """Every call either succeeds or raises a SymprogramError with a code (never a
    driver error); exactly one account holds the contended address; every
    successful consent choice is in the shared ledger, which verifies."""
    with Program.open(sql_backend_url, clock=FixedClock(START), options=fast_options()) as first:
        first.consent.grant("shared", "research", channel="web_form", evidence="seed")
    barrier = threading.Barrier(THREADS)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with Program.open(
            sql_backend_url, clock=FixedClock(START), options=fast_options()
        ) as program:
            receipt = program.accounts.accept_terms(path="create_account")
            barrier.wait(timeout=30)
            for action in ("register", "grant"):
                try:
                    if action == "register":
                        program.accounts.register(
                            terms_receipt=receipt.token or "",
                            email="contended@example.com",
                            password=PASSWORD,
                            given_name=f"T{n}",
                            family_name="Racer",
                            company_name="C",
                            partner_company="P",
                            preferred_language="en",
                        )
                    else:
                        program.consent.grant(
                            "shared", "research", channel="web_form", evidence=f"thread {n}"
                        )
                    result: Any = (action, "ok", n)
                except SymprogramError as exc:
                    result = (action, exc.code, n)
                except BaseException as exc:
                    result = (action, "RAW " + repr(exc), n)
                with lock:
                    outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [] == [o for o in outcomes if o[1].startswith("RAW")]
    assert 2 * THREADS == len(outcomes)
    with Program.open(sql_backend_url, clock=FixedClock(START), options=fast_options()) as program:
        found = program.accounts.find_by_email("contended@example.com")
        assert found is not None
        subjects = list(program.history.subjects())
        holders = [
            s for s in subjects if program.accounts.get(s).contact.email == found.contact.email
        ]
        assert [found.candidate_id] == holders
        evidence = [
            e.data.get("evidence")
            for e in program.consent.receipt("shared").history
            if e.data and e.data.get("evidence")
        ]
        granted = sorted(f"thread {n}" for a, code, n in outcomes if a == "grant" and code == "ok")
        assert granted == sorted(str(e) for e in evidence if e != "seed")
        assert program.consent.verify("shared").ok
