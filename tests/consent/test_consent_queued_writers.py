"""Writers queued on one subject stamp their records in the order they are written.

The consent ledger keeps each subject's records in time order and refuses one
dated before the newest (``out_of_order``). A record made now used to read the
clock before the unit of work locked the subject, so of two writers about one
person the one stamped later could commit first and the other was refused,
though neither gave an instant. Now a record made now is stamped once the
subject is locked, never before the newest record; an ``at`` a caller gives is
still checked as it is.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import fast_options, register_active
from symprogram import Outbox, Program
from symprogram.consent import ConsentService, rules
from symprogram.consent.models import ConsentState
from symprogram.errors import SymprogramError, ValidationError
from symprogram.persistence import Store

T0 = datetime(2011, 1, 14, tzinfo=UTC)
instants = st.datetimes(
    min_value=datetime(2006, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@given(now=instants, last=st.none() | instants)
def test_a_record_made_now_is_never_before_the_newest(now: datetime, last: datetime | None) -> None:
    """``stamped_now`` is now, or the subject's newest record when that is later."""
    state = None if last is None else ConsentState("s-1", last_at=last)
    stamped = rules.stamped_now(state, now)
    assert stamped >= now
    assert last is None or stamped >= last
    assert stamped in (now, last)


class _SteppedBack:
    """A clock that can be set back, as a second process's clock may lag the first's."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def test_a_clock_a_step_behind_still_records_now_but_never_an_older_given_instant(
    store: Store,
) -> None:
    """The clock behind the subject's newest record (another process's clock ran
    ahead): a choice made now is recorded at that record's instant; one given an
    earlier ``at`` is refused (``out_of_order``), as before."""
    clock = _SteppedBack(T0)
    consent = ConsentService(store, clock)
    consent.grant("cust-1", "research", channel="web_form")
    clock.instant = T0 - timedelta(minutes=5)
    record = consent.withdraw("cust-1", "research", channel="web_form")
    assert T0 == record.at
    assert ("withdrawn",) == consent.may_use("cust-1", "research", at=T0).codes
    with pytest.raises(ValidationError) as info:
        consent.grant("cust-1", "research", channel="web_form", at=T0 - timedelta(minutes=6))
    assert "out_of_order" == info.value.code


def test_an_account_switch_behind_a_newer_choice_is_recorded(store: Store) -> None:
    """The account's newsletter switch turned on by a process whose clock is behind the
    subject's newest record (a withdrawal another process stamped later) records a
    grant after it, never mistaking the grant before it for what stands: the switch,
    ``may_use`` and the audience agree, on."""
    clock = _SteppedBack(T0)
    program = Program(store, clock=clock, notifier=Outbox(), options=fast_options())
    cid = register_active(program)
    program.accounts.set_notification_preference(cid, "newsletters", True)
    clock.instant = T0 + timedelta(minutes=10)  # the other process, ahead
    program.consent.withdraw(cid, "newsletters", channel="email_reply")
    clock.instant = T0 + timedelta(minutes=5)  # this process, behind it

    program.accounts.set_notification_preference(cid, "newsletters", True)

    clock.instant = T0 + timedelta(minutes=11)
    assert program.accounts.get_notification_setting(cid, "newsletters").effective
    assert ("granted",) == program.consent.may_use(cid, "newsletters", "email").codes
    assert cid in set(program.consent.iter_audience("newsletters", "email"))


class _LateReader:
    """The system clock, whose reading reaches the incident thread a moment late (as a
    thread descheduled right after reading the time would see it)."""

    def now(self) -> datetime:
        value = datetime.now(UTC)
        if threading.current_thread().name == "incident":
            time.sleep(0.002)
        return value


def test_writers_about_one_person_in_two_threads_all_succeed(tmp_path: Path) -> None:
    """An accounts flow (an incident, recorded in the consent ledger too) and consent
    grants about one person, in two threads on one SQLite file: every call succeeds,
    the ledgers verify and the person's consent records are in time order."""
    url = f"sqlite:///{tmp_path}/queued.db"
    program = Program.open(url, notifier=Outbox(), clock=_LateReader())
    cid = register_active(program)
    outcomes: Counter[str] = Counter()

    def work(kind: str) -> None:
        for number in range(40):
            try:
                if kind == "incident":
                    program.accounts.open_incident(cid, title="Kit", body=f"where? {number}")
                else:
                    program.consent.grant(cid, "research", channel="web_form", evidence=str(number))
                outcomes["ok"] += 1
            except SymprogramError as error:
                outcomes[error.code] += 1

    threads = [
        threading.Thread(target=work, args=(kind,), name=kind) for kind in ("incident", "grant")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert {"ok": 80} == dict(outcomes)
    assert program.verify_all().ok
    entries = program.consent.history(cid)
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    program.close()
