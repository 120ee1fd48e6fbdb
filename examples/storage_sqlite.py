"""Storage: the same program on an embedded SQLite file, surviving a restart.

Run with ``python examples/storage_sqlite.py``. Storage is a port: pass any
storage URL to ``Program.open`` (``memory://``, ``sqlite:///file.db``, or a
SQLAlchemy URL with the ``sql`` extra); the ``SYMPROGRAM_STORAGE`` environment
variable is used when no URL is given.
"""

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from symprogram import FixedClock, Program, SymprogramError

clock = FixedClock(datetime(2011, 1, 20, tzinfo=UTC))

with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'program.db'}"

    # First "process": write an agreement.
    with Program.open(url, clock=clock) as program:
        program.entitlements.add_agreement(
            "CUST-1",
            agreement_id="AGR-1",
            level="business_critical_services",
            products=["NetBackup"],
            starts_on=date(2011, 1, 1),
            ends_on=date(2011, 12, 31),
            by="sales",
        )
        print("written to", url)

    # Second "process": the data is still there.
    with Program.open(url, clock=clock) as program:
        agreement = program.entitlements.get_agreement("AGR-1")
        print("read back:", agreement.agreement_id, agreement.level)

        # A unit of work is all or nothing: this block fails half-way, nothing stays.
        try:
            with program.store.transaction():
                program.consent.grant("cust-1", "research", channel="web_form")
                program.entitlements.add_agreement(
                    "CUST-1",
                    agreement_id="AGR-1",  # taken: raises Conflict
                    level="basic_maintenance",
                    products=["NetBackup"],
                    starts_on=date(2011, 1, 1),
                    ends_on=date(2011, 12, 31),
                    by="sales",
                )
        except SymprogramError as exc:
            print("rolled back:", exc.code)
        decision = program.consent.may_use("cust-1", "research")
        print("the consent of the failed unit of work was not kept:", decision.codes)
