"""Helpers of the erasure tests: a person with one of everything, and leak scanners.

Everything is written through the public API. The scanners read back through the
Store's own transaction API (``scan``, ``streams``, ``read``, ``index_get``) and,
for SQLite, every table with plain :mod:`sqlite3` plus the raw bytes of the file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _kinds import known_records, sqlite_kinds
from symprogram import Program
from symprogram.accounts import PostalAddress
from symprogram.clock import FixedClock

PASSWORD = "Zq8#vN2!pL5@xR7&"


def email_key(email: str) -> str:
    """The e-mail index value of an address (SHA-256 of its casefolded form)."""
    return hashlib.sha256(email.casefold().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Person:
    """The personal data of one candidate: every value must vanish on erasure."""

    email: str = "grace.hopperina@navy-example.com"
    new_email: str = "amazing.gracie@cobol-example.org"
    given_name: str = "Gracielle"
    family_name: str = "Hopperina"
    company_name: str = "Flowmatic Compilers"
    partner_company: str = "Univac Partnering"
    phone: str = "+1 555 0100 777"
    new_phone: str = "+44 20 7946 0999"
    address_line: str = "42 Cobol Lane"
    new_address_line: str = "7 Mark Street"
    city: str = "Arlingtonshire"
    postal_code: str = "ZX99 1QQ"
    incident_text: str = "My parcel never came, please phone me"
    support_text: str = "We will call your mobile tomorrow"
    evidence: str = "ticked the box on the Gracielle form"
    order_note: str = "deliver to the Hopperina residence"
    case_summary: str = "Payroll backup of Gracielle fails nightly"
    escalation_reason: str = "Hopperina needs the restore before payday"
    recipient: str = "hiring.manager@thirdparty-example.net"

    @property
    def full_name(self) -> str:
        """Given and family name."""
        return f"{self.given_name} {self.family_name}"

    def stored(self) -> tuple[str, ...]:
        """The personal values that are in storage before erasure (the scan can fail)."""
        return tuple(n for n in self.needles() if n not in (self.recipient, email_key(self.email)))

    def needles(self) -> tuple[str, ...]:
        """Every personal value, as text (the old address's index key, which the
        e-mail change already released, and the third party's address, only ever
        stored as a salted hash, included)."""
        return (
            self.email,
            self.new_email,
            self.given_name,
            self.family_name,
            self.company_name,
            self.partner_company,
            self.phone,
            self.new_phone,
            self.address_line,
            self.new_address_line,
            self.city,
            self.postal_code,
            self.incident_text,
            self.support_text,
            self.evidence,
            self.order_note,
            self.case_summary,
            self.escalation_reason,
            self.recipient,
            email_key(self.email),
            email_key(self.new_email),
        )


@dataclass
class Seeded:
    """A program with one fully used account (and a bystander who must be untouched)."""

    program: Program
    person: Person
    cid: str
    code: str
    disclosure_id: str
    kit_id: str
    incident_id: str
    registration_number: str
    bystander: str
    case_id: str = "CASE-7001"


def _activation_token(program: Program, email: str) -> str:
    sent = [
        m
        for m in program.notifier.messages  # type: ignore[attr-defined]
        if m.kind == "activation" and m.to == email
    ]
    assert sent, f"no activation message for {email}"
    token = sent[-1].data["token"]
    assert isinstance(token, str)
    return token


def register(
    program: Program,
    *,
    email: str,
    given_name: str,
    family_name: str,
    company_name: str = "Analytical Engines",
    partner_company: str = "Babbage & Co",
    phone: str | None = None,
    postal_address: PostalAddress | None = None,
) -> str:
    """Accept the terms, register, activate; return the candidate ID."""
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    program.accounts.register(
        terms_receipt=receipt.token,
        email=email,
        password=PASSWORD,
        given_name=given_name,
        family_name=family_name,
        company_name=company_name,
        partner_company=partner_company,
        preferred_language="en-GB",
        phone=phone,
        postal_address=postal_address,
    )
    return program.accounts.activate(_activation_token(program, email)).candidate_id


def seed(program: Program, person: Person | None = None) -> Seeded:
    """Register + activate, contact update, e-mail change, score report claim, award and
    kit, publishing, consent grant and personal data, incident with messages, reset
    request; a stranger asking to change to the person's address."""
    p = person or Person()
    clock = program.clock
    assert isinstance(clock, FixedClock)
    accounts, awards, consent = program.accounts, program.awards, program.consent
    bystander = register(program, email="ada@example.com", given_name="Ada", family_name="Lovelace")
    cid = register(
        program,
        email=p.email,
        given_name=p.given_name,
        family_name=p.family_name,
        company_name=p.company_name,
        partner_company=p.partner_company,
        phone=p.phone,
        postal_address=PostalAddress(
            lines=(p.address_line,), city=p.city, country="GB", postal_code=p.postal_code
        ),
    )
    accounts.update_contact_details(
        cid,
        phone=p.new_phone,
        postal_address=PostalAddress(
            lines=(p.new_address_line,), city=p.city, country="GB", postal_code=p.postal_code
        ),
    )
    accounts.request_email_change(cid, p.new_email)
    verification = program.notifier.last("email_verification")  # type: ignore[attr-defined]
    accounts.confirm_email_change(verification.data["token"])
    accounts.request_password_reset(p.new_email)
    number = "REG-7001"
    accounts.record_score_report(
        registration_number=number,
        exam_code="250-315",
        candidate_name=p.full_name,
        email=p.new_email,
        score=85,
        passing_score=70,
        exam_date=date(2012, 2, 1),
        test_centre="London",
    )
    accounts.claim_score_report(cid, number, email=p.new_email)
    incident = accounts.open_incident(cid, title=f"Kit for {p.full_name}", body=p.incident_text)
    accounts.post_incident_message(incident.incident_id, author="support", body=p.support_text)
    awards.record_exam_result(cid, "250-315", 85, taken_at=clock.now() - timedelta(days=20))
    awards.evaluate(cid)
    published = awards.publish(cid, ["scs-endpoint"], p.recipient)
    kit = awards.kits_of(cid)[0]
    consent.grant(cid, "special_offers", channel="web_form", evidence=p.evidence)
    consent.record_personal_data(cid, "order", {"name": p.full_name, "address": p.order_note})
    consent.record_personal_data(bystander, "order", {"name": "Ada Lovelace"})
    seed_entitlements(program, cid, p)
    # a stranger asks to change to the person's address (taken): the stranger's pending
    # change and history entry name it (kind email_change_address indexes them)
    stranger = register(program, email="eve@example.com", given_name="Eve", family_name="Sly")
    accounts.request_email_change(stranger, p.new_email)
    return Seeded(
        program,
        p,
        cid,
        published.code,
        published.disclosure.disclosure_id,
        kit.kit_id,
        incident.incident_id,
        number,
        bystander,
    )


def seed_entitlements(program: Program, cid: str, p: Person, case_id: str = "CASE-7001") -> None:
    """The candidate as an entitlements customer: an agreement, a grant, a support case
    opened and escalated by the person (``by`` fields and texts naming them)."""
    entitlements = program.entitlements
    today = program.clock.now().date()
    entitlements.add_agreement(
        cid,
        agreement_id=f"AGR-{case_id}",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=300),
        by=p.full_name,
    )
    entitlements.grant_entitlement(
        cid,
        kind="courtesy",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=today,
        ends_on=today + timedelta(days=10),
        reason=p.escalation_reason,
        approver="support manager",
        by=p.email,
    )
    entitlements.open_case(
        cid,
        case_id=case_id,
        product="Backup Exec",
        severity="high",
        summary=p.case_summary,
        by=p.full_name,
    )
    entitlements.escalate_case(case_id, by=p.new_email, reason=p.escalation_reason)


def stored_kinds(program: Program) -> set[str]:
    """The record kinds present in the program's store, read beside its API (memory:
    its state; SQLite: plain sqlite3; SQLAlchemy: a SELECT DISTINCT on its table)."""
    from symprogram.storage.memory import MemoryStore
    from symprogram.storage.sqlite import SQLiteStore

    store: Any = program.store
    if isinstance(store, MemoryStore):
        return {kind for kind, records in store._state.records.items() if records}
    if isinstance(store, SQLiteStore):
        return sqlite_kinds(Path(store.path))
    import sqlalchemy as sa

    records = store._tables.records
    with store.engine.connect() as conn:
        return {row[0] for row in conn.execute(sa.select(records.c.kind).distinct())}


def records_of(program: Program, kinds: Iterable[str]) -> list[str]:
    """Every record of ``kinds``, as text, read through the Store's scan API."""
    out: list[str] = []
    with program.store.transaction(readonly=True) as tx:
        for kind in kinds:
            out.extend(f"{kind}\t{r.key}\t{r.data}" for r in tx.scan(kind, limit=10_000))
    return out


def store_texts(program: Program) -> list[str]:
    """Every record (kind, key, data) and every stream entry, read through the Store API."""
    out: list[str] = []
    with program.store.transaction(readonly=True) as tx:
        out.extend(f"{kind}\t{r.key}\t{r.data}" for kind, r in known_records(tx))
        after: str | None = None
        while True:
            names = tx.streams(after=after, limit=500)
            for name in names:
                out.append(name)
                out.extend(f"{name}\t{pos}\t{text}" for pos, text in tx.read(name))
            if len(names) < 500:
                break
            after = names[-1]
    return out


def forms(value: str) -> tuple[str, ...]:
    """``value`` as typed and as it looks inside a JSON string."""
    return tuple({value, json.dumps(value, ensure_ascii=False)[1:-1]})


def leaks_in_texts(texts: Iterable[str], needles: Iterable[str]) -> list[str]:
    """The needles (in any of their :func:`forms`) found in ``texts``."""
    blob = "\n".join(texts)
    return [n for n in needles if any(f in blob for f in forms(n))]


def index_leaks(program: Program, emails: Iterable[str]) -> list[str]:
    """The addresses that still own an entry of the e-mail index."""
    with program.store.transaction(readonly=True) as tx:
        return [e for e in emails if tx.index_get("candidate_email", email_key(e)) is not None]


def sqlite_rows(path: Path) -> list[str]:
    """Every row of every table of the SQLite file, as text (plain sqlite3)."""
    out: list[str] = []
    with closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                out.append("\t".join(str(v) for v in row))
    return out


def raw_forms(value: str) -> tuple[bytes, ...]:
    """The bytes ``value`` can take in a file: UTF-8 and UTF-16 (both byte orders) of
    each of its :func:`forms`, and of its JSON ``\\uXXXX`` escaped form."""
    texts = {*forms(value), json.dumps(value)[1:-1]}
    return tuple({t.encode(codec) for t in texts for codec in ("utf-8", "utf-16-le", "utf-16-be")})


def file_leaks(path: Path, needles: Iterable[str]) -> list[str]:
    """The needles found in the raw bytes of the database file, its -wal, -shm or
    -journal (see :func:`raw_forms`)."""
    blobs = [
        p.read_bytes()
        for p in (path, *(Path(f"{path}{end}") for end in ("-wal", "-shm", "-journal")))
        if p.exists()
    ]
    found = []
    for needle in needles:
        if any(e in blob for e in raw_forms(needle) for blob in blobs):
            found.append(needle)
    return found
