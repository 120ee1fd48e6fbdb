"""Entitlements: who may read which support document, from when, in which language.

Run with ``python examples/entitlements.py``.
"""

from datetime import UTC, date, datetime

from symprogram import FixedClock, Program
from symprogram.entitlements import Reader

clock = FixedClock(datetime(2011, 3, 1, tzinfo=UTC))

with Program.in_memory(clock=clock) as program:
    service = program.entitlements

    # A customer with an Essential Support agreement for 2011.
    service.add_agreement(
        "CUST-7",
        agreement_id="AGR-7",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=date(2011, 1, 1),
        ends_on=date(2011, 12, 31),
        by="sales",
    )
    customer = Reader("CUST-7", logged_in=True)
    handbook = "essential_support_basic_maintenance_handbook"

    # From 2011-01-15 the handbooks need a login; before, anyone could read them.
    for day in (date(2011, 1, 14), date(2011, 1, 15)):
        decision = service.decide(None, handbook, at=day)
        print(f"anonymous on {day}: {decision.explain()}")
    print("customer:", service.decide(customer, handbook).explain())

    # A higher level's handbook is refused, with a hint of what would change that.
    bcs = service.decide(customer, "business_critical_services_handbook")
    print("Business Critical handbook:", bcs.allowed, "-", bcs.hint)

    # The reader's language: translations, local-language sites, English otherwise.
    for header in ("iw-IL,en;q=0.5", "zh-TW", "de-AT"):
        d = service.decide(None, "technical_support_policy", languages=header)
        site = d.detail("local_site_url") or ""
        print(f"{header:>15} -> {d.detail('language')} ({d.detail('direction')}) {site}")
