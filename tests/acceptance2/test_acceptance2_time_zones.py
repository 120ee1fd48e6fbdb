"""Pass 2: instants in non-UTC zones mean the UTC instant; naive ones are refused.

DESIGN.md: "every instant timezone-aware UTC (use clock.ensure_utc to validate
inputs; naive datetimes are refused)".
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from acceptance_helpers import make_program, seed

from symprogram import Program
from symprogram.consent import ContactChannel
from symprogram.entitlements import Reader
from symprogram.errors import SymprogramError

ZONES = ("America/New_York", "Asia/Kolkata", "Pacific/Chatham")
LOGIN_RULE = datetime(2011, 1, 15, tzinfo=UTC)

Call = Callable[[Program, dict[str, str], Any], object]

#: Every public method taking ``at=`` (or another instant), called with that instant.
AT_CALLS: dict[str, Call] = {
    "awards.awards_of": lambda p, s, at: p.awards.awards_of(s["cid"], at=at),
    "awards.can_renew": lambda p, s, at: p.awards.can_renew(s["cid"], "scs-endpoint", at=at),
    "awards.evaluate": lambda p, s, at: p.awards.evaluate(s["cid"], at=at),
    "awards.progress": lambda p, s, at: p.awards.progress(s["cid"], "scs-endpoint", at=at),
    "awards.progress_all": lambda p, s, at: p.awards.progress_all(s["cid"], at=at),
    "awards.record_exam_result.taken_at": lambda p, s, at: p.awards.record_exam_result(
        s["cid"], "250-316", 80, taken_at=at
    ),
    "awards.publish.expires_at": lambda p, s, at: p.awards.publish(
        s["cid"], ["scs-endpoint"], "hr@example.com", expires_at=at
    ),
    "entitlements.accessible_documents": lambda p, s, at: p.entitlements.accessible_documents(
        Reader("C-1", logged_in=True), at=at
    ),
    "entitlements.decide": lambda p, s, at: p.entitlements.decide(
        Reader("C-1", logged_in=True), "technical_support_policy", at=at
    ),
    "entitlements.support_decision": lambda p, s, at: p.entitlements.support_decision(
        "C-1", "NetBackup", at=at
    ),
    "consent.audience": lambda p, s, at: list(p.consent.audience("special_offers", at=at)),
    "consent.cobranded_notice": lambda p, s, at: p.consent.cobranded_notice(
        "shopsymantec.com", at=at
    ),
    "consent.complete_correction": lambda p, s, at: p.consent.complete_correction(
        "s1", s["request_id"], at=at
    ),
    "consent.erase": lambda p, s, at: p.consent.erase("s1", at=at),
    "consent.forum_notice": lambda p, s, at: p.consent.forum_notice(at=at),
    "consent.global_privacy_control": lambda p, s, at: p.consent.global_privacy_control(
        "s1", at=at
    ),
    "consent.grant": lambda p, s, at: p.consent.grant("s1", "research", channel="web_form", at=at),
    "consent.granted_evidence": lambda p, s, at: p.consent.granted_evidence(
        "s1", "special_offers", at=at
    ),
    "consent.has_consented": lambda p, s, at: p.consent.has_consented(
        "s1", "special_offers", at=at
    ),
    "consent.may_contact": lambda p, s, at: p.consent.may_contact("s1", "newsletters", at=at),
    "consent.may_use": lambda p, s, at: p.consent.may_use("s1", "special_offers", at=at),
    "consent.opt_out": lambda p, s, at: p.consent.opt_out("s1", ContactChannel.EMAIL, at=at),
    "consent.policy": lambda p, s, at: p.consent.policy(at=at),
    "consent.record_notice": lambda p, s, at: p.consent.record_notice(
        "s1", p.consent.policy().version, at=at
    ),
    "consent.record_personal_data": lambda p, s, at: p.consent.record_personal_data(
        "s1", "order", {"name": "Ada"}, at=at
    ),
    "consent.refuse": lambda p, s, at: p.consent.refuse(
        "s1", "research", channel="web_form", at=at
    ),
    "consent.request_correction": lambda p, s, at: p.consent.request_correction(
        "s1", {"name": "Ada King"}, at=at
    ),
    "consent.withdraw": lambda p, s, at: p.consent.withdraw(
        "s1", "special_offers", channel="web_form", at=at
    ),
    "program.consent_to_remote_access": lambda p, s, at: p.consent_to_remote_access("C-1", at=at),
}


def seeded(program: Program) -> dict[str, str]:
    """Seed the program; also open a correction request."""
    s = seed(program)
    request = program.consent.request_correction("s1", {"name": "Ada Byron"})
    return {"cid": s.cid, "request_id": request.id}


def test_the_table_names_every_public_method_taking_an_instant() -> None:
    """Every public method of the services (and Program) with an ``at`` parameter is in
    the table above, so a new one cannot slip past the naive check."""
    program = Program.in_memory()
    found = set()
    for name in ("accounts", "awards", "entitlements", "consent", "history"):
        for method, fn in inspect.getmembers(getattr(program, name), inspect.ismethod):
            if not method.startswith("_") and "at" in inspect.signature(fn).parameters:
                found.add(f"{name}.{method}")
    for method, fn in inspect.getmembers(program, inspect.ismethod):
        if not method.startswith("_") and "at" in inspect.signature(fn).parameters:
            found.add(f"program.{method}")
    assert set() == found - {k.split(".taken_at")[0].split(".expires_at")[0] for k in AT_CALLS}


@pytest.mark.parametrize("target", sorted(AT_CALLS))
def test_naive_instants_are_refused(program: Program, target: str) -> None:
    """A naive datetime as the instant raises ``naive_datetime`` and writes nothing."""
    from acceptance_helpers import snapshot

    s = seeded(program)
    before = snapshot(program)
    with pytest.raises(SymprogramError) as caught:
        AT_CALLS[target](program, s, datetime(2012, 2, 29, 9, 0))
    assert "naive_datetime" == caught.value.code
    assert before == snapshot(program)


READS = sorted(
    k
    for k in AT_CALLS
    if k.split(".")[1]
    in {
        "awards_of",
        "can_renew",
        "progress",
        "progress_all",
        "accessible_documents",
        "decide",
        "support_decision",
        "audience",
        "cobranded_notice",
        "forum_notice",
        "granted_evidence",
        "has_consented",
        "may_contact",
        "may_use",
        "policy",
    }
)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("target", READS)
def test_answers_in_any_zone_are_the_utc_answer(program: Program, target: str, zone: str) -> None:
    """Asked at the same instant written in New York, Kolkata or Chatham (+12:45/+13:45),
    every read answers exactly as for the UTC instant — also around the grant and
    the instants of the seed (one second before and after)."""
    s = seeded(program)
    now = program.now()
    for instant in (now, now - timedelta(seconds=1), now - timedelta(days=20, seconds=-1)):
        local = instant.astimezone(ZoneInfo(zone))
        assert AT_CALLS[target](program, s, instant) == AT_CALLS[target](program, s, local)


@pytest.mark.parametrize("zone", ZONES)
def test_the_2011_01_15_login_rule_at_the_instant_in_every_zone(
    tmp_path: Path, backend: str, zone: str
) -> None:
    """The login rule starts at 2011-01-15 00:00 UTC: one second before it (written in
    the local zone) the handbook is public, at it a login is required."""
    with make_program(backend, tmp_path, start=datetime(2011, 1, 10, tzinfo=UTC)) as program:
        tz = ZoneInfo(zone)
        before = (LOGIN_RULE - timedelta(seconds=1)).astimezone(tz)
        at = LOGIN_RULE.astimezone(tz)
        anonymous = Reader(None, logged_in=False)
        handbook = "essential_support_basic_maintenance_handbook"
        results = [
            program.entitlements.decide(anonymous, handbook, at=t).allowed for t in (before, at)
        ]
        assert [True, False] == results


@pytest.mark.parametrize("zone", ZONES)
def test_ledger_entries_written_in_a_zone_are_stored_as_the_utc_instant(
    program: Program, zone: str
) -> None:
    """A consent choice recorded at a local instant is stored, read back and decided
    on as the UTC instant: ``may_use`` one second before it (in another zone) is the
    default, at it the choice; the ledger entry's time is UTC and equal."""
    local = datetime(2012, 2, 29, 23, 30, tzinfo=ZoneInfo(zone))
    record = program.consent.grant("s9", "research", channel="web_form", at=local)
    utc = local.astimezone(UTC)
    assert utc == record.at
    assert UTC == record.at.tzinfo
    entry = program.consent.history("s9")[-1]
    assert utc == entry.at
    assert UTC == entry.at.tzinfo
    other = ZoneInfo("Asia/Kolkata" if zone != "Asia/Kolkata" else "Pacific/Chatham")
    assert [False, True] == [
        program.consent.may_use("s9", "research", at=(utc + d).astimezone(other)).allowed
        for d in (timedelta(seconds=-1), timedelta(0))
    ]
    assert program.consent.verify("s9").ok


def test_exam_taken_at_a_local_instant_is_stored_in_utc(program: Program) -> None:
    """An exam result ``taken_at`` a Chatham instant is stored as that UTC instant."""
    s = seeded(program)
    local = datetime(2012, 2, 20, 8, 0, tzinfo=ZoneInfo("Pacific/Chatham"))
    result = program.awards.record_exam_result(s["cid"], "250-316", 80, taken_at=local)
    assert local == result.taken_at
    assert UTC == result.taken_at.tzinfo
    assert date(2012, 2, 19) == result.taken_at.date()
