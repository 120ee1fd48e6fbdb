"""``symprogram demo``: the whole program, from its documents, on an embedded SQLite file.

A :class:`~symprogram.clock.FixedClock` starts on Monday 2011-01-10, so the run
is the same every time and shows the support handbooks going from public to
login-required on 2011-01-15 (the Enterprise Support page). Messages the program would e-mail
land in an :class:`~symprogram.notify.Outbox`; the demo reads the activation
token and the verification code from there, as a person would from their
inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from symprogram._cli.output import decision_data, explain_decision, when
from symprogram.accounts import AcceptancePath
from symprogram.clock import FixedClock, start_of_day
from symprogram.entitlements import Reader
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Outbox
from symprogram.program import Program

__all__ = ["DEMO_LANGUAGES", "DEMO_START", "run_demo"]

DEMO_START = datetime(2011, 1, 10, 9, 0, tzinfo=UTC)
"""When the demo's clock starts: five days before the handbooks need a login."""

DEMO_LANGUAGES = (
    ("he", "Hebrew, served as is (right to left)"),
    ("iw-IL,en;q=0.5", "the legacy code iw is Hebrew"),
    ("id-ID", "Indonesian"),
    ("zh-CN", "Simplified Chinese: the local-language site"),
    ("zh-TW", "Traditional Chinese: never served Simplified; English instead"),
    ("fr-CA,fr;q=0.8", "French: the local-language site"),
    ("pt-AO", "Portuguese (Angola): the Portuguese local site"),
    ("da", "Danish: not available, English"),
)
"""``Accept-Language`` examples in the Enterprise Support page's languages, and what they show."""

_EMAIL = "ada.lovelace@example.com"
_CUSTOMER = "CUST-0042"
_HANDBOOKS = ("essential_support_basic_maintenance_handbook", "business_critical_services_handbook")

Emit = Callable[[str], None]


def run_demo(
    db_path: str | Path, emit: Emit | None = None, ledger_key: LedgerKeys | None = None
) -> dict[str, Any]:
    """Run the demo on the SQLite file ``db_path`` and return a JSON-friendly summary.

    Args:
        db_path: the SQLite file (created if missing; use a fresh one).
        emit: called with each line of the readable account (``None``: silent).
        ledger_key: the key ring of the ledgers (the CLI's: the environment's), so
            that the other commands read the file with the key that wrote it.
    """
    say: Emit = emit if emit is not None else (lambda _line: None)
    clock = FixedClock(DEMO_START)
    outbox = Outbox()
    summary: dict[str, Any] = {"database": str(db_path), "started_at": DEMO_START.isoformat()}

    def section(title: str) -> None:
        say("")
        say(f"== {title} ({when(clock.now())}) ==")

    with Program.open(
        f"sqlite:///{db_path}", clock=clock, notifier=outbox, ledger_key=ledger_key
    ) as program:
        accounts = program.accounts

        section("1. Terms of Use")
        receipt = accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
        terms = receipt.acceptance
        say(f"accepted Terms of Use v.{terms.terms_version} (sha256 {terms.terms_digest[:16]}...)")
        say('  path: "I agree to these terms and want to create a new account"')
        summary["terms"] = {"version": terms.terms_version, "digest": terms.terms_digest}

        section("2. Register and activate")
        registration = accounts.register(
            terms_receipt=receipt.token or "",
            email=_EMAIL,
            password="correct horse battery staple",  # noqa: S106 - a demo account
            given_name="Ada",
            family_name="Lovelace",
            company_name="Analytical Engines Ltd",
            partner_company="Babbage & Co",
            preferred_language="en-GB",
        )
        say(f"registered {registration.email}; next step: {registration.next_step}")
        message = outbox.last("activation", to=_EMAIL)
        say(f"outbox -> {message.to}: {message.subject!r} (token {message.data['token'][:8]}...)")
        candidate = accounts.activate(message.data["token"])
        cid = candidate.candidate_id
        say(f"activated candidate {cid}: {candidate.status}")
        summary["candidate"] = {"candidate_id": cid, "status": str(candidate.status)}

        section("3. Claim a score report")
        accounts.record_score_report(
            registration_number="REG-2011-0001",
            exam_code="250-315",
            candidate_name="Ada Lovelace",
            email=_EMAIL,
            score=85,
            passing_score=70,
            exam_date=date(2011, 1, 7),
            test_centre="Pearson VUE London",
        )
        say("the test centre recorded score report REG-2011-0001 (250-315, 85/70)")
        clock.advance(timedelta(hours=2))
        report = accounts.claim_score_report(cid, "REG-2011-0001", name="Ada Lovelace")
        say(f'claimed {report.registration_number} with "I have a Score Report"')
        summary["score_report"] = {
            "registration_number": report.registration_number,
            "exam_code": report.exam_code,
            "score": report.score,
        }

        section("4. Earn, publish and verify a certification")
        awards = program.awards
        before = awards.progress(cid, "scs-endpoint")
        say(f"progress towards scs-endpoint before: {before.percentage}%")
        awards.record_exam_result(
            cid, report.exam_code, report.score, taken_at=start_of_day(report.exam_date)
        )
        after = awards.progress(cid, "scs-endpoint")
        say(f"exam result recorded; progress now: {after.percentage}%")
        granted = awards.evaluate(cid)
        for grant in granted:
            name = awards.catalogue.awards[grant.award_id].name
            say(f"earned {grant.award_id}: {name}, until {when(grant.expires_at)}")
        kits = awards.kits_of(cid)
        held = [k for k in kits if k.hold_reason is not None]
        say(f"achievement kits: {len(kits)}, held until a postal address is on file: {len(held)}")
        clock.advance(timedelta(days=1))
        published = awards.publish(cid, [g.award_id for g in granted], "hiring@example.com")
        mail = outbox.last("award_disclosure")
        say(f"published to hiring@example.com; verification code {mail.data['code'][:8]}...")
        view = awards.verify_disclosure(mail.data["code"], recipient_email="hiring@example.com")
        for shown in view.awards:
            say(f"  the recipient sees: {view.holder_name} holds {shown.award_id} ({shown.status})")
        summary["awards"] = {
            "progress_before": before.percentage,
            "progress_after": after.percentage,
            "granted": [g.award_id for g in granted],
            "kits": len(kits),
            "disclosure_id": published.disclosure.disclosure_id,
            "verified": [{"award_id": a.award_id, "status": str(a.status)} for a in view.awards],
        }

        section("5. Handbook access by service level and date")
        entitlements = program.entitlements
        agreement = entitlements.add_agreement(
            _CUSTOMER,
            agreement_id="AGR-2011-17",
            level="essential_support",
            products=["NetBackup"],
            starts_on=date(2011, 1, 1),
            ends_on=date(2011, 12, 31),
            by="sales",
        )
        say(f"{_CUSTOMER} holds {agreement.agreement_id}: Essential Support for 2011")
        readers = (
            ("anonymous", None),
            (f"{_CUSTOMER}, logged in", Reader(_CUSTOMER, logged_in=True)),
        )
        access: list[dict[str, Any]] = []
        for day in (date(2011, 1, 14), date(2011, 1, 15)):
            for label, reader in readers:
                for document in _HANDBOOKS:
                    decision = entitlements.decide(reader, document, at=day)
                    say(f"{day} {label:<22} {document}: {explain_decision(decision)}")
                    access.append(
                        {"date": day.isoformat(), "reader": label, "document": document}
                        | decision_data(decision)
                    )
        summary["handbook_access"] = access

        section("6. Which language a reader is served")
        languages: list[dict[str, Any]] = []
        for header, note in DEMO_LANGUAGES:
            decision = entitlements.decide(None, "technical_support_policy", languages=header)
            served = decision.detail("language")
            site = decision.detail("local_site_url")
            text = f"{served} ({decision.detail('language_name')}, {decision.detail('direction')})"
            if site:
                text += f" at {site}"
            say(f"Accept-Language: {header:<16} -> {text}  # {note}")
            languages.append(
                {
                    "accept_language": header,
                    "language": served,
                    "direction": decision.detail("direction"),
                    "local_site_url": site,
                    "codes": list(decision.codes),
                }
            )
        summary["languages"] = languages

        section("7. Consent: grant, check, withdraw")
        consent = program.consent
        consent.grant(cid, "special_offers", channel="web_form", evidence="offers box ticked")
        granted_now = consent.may_use(cid, "special_offers", channel="email")
        say(f"special offers by e-mail: {granted_now.explain()}")
        clock.advance(timedelta(days=3))
        consent.withdraw(cid, "special_offers", channel="email_reply", evidence="unsubscribe")
        withdrawn = consent.may_use(cid, "special_offers", channel="email")
        say(f"after replying 'unsubscribe': {withdrawn.explain()}")
        ledger = consent.verify(cid)
        say(f"consent ledger: {ledger.length} entries, verified: {ledger.ok}")
        summary["consent"] = {
            "after_grant": decision_data(granted_now),
            "after_withdrawal": decision_data(withdrawn),
            "ledger_length": ledger.length,
            "verified": ledger.ok,
        }

        section("8. Account history")
        entries = program.history.history(cid)
        for entry in entries:
            say(f"{entry.position:>3}  {when(entry.at)}  {entry.kind}")
        verification = program.history.verify(cid)
        say(f"history verified: {verification.ok} ({verification.length} entries, hash-chained)")
        summary["history"] = {
            "entries": [e.kind for e in entries],
            "verified": verification.ok,
            "length": verification.length,
        }
        summary["messages"] = [{"to": m.to, "kind": m.kind} for m in outbox.messages]
        summary["finished_at"] = clock.now().isoformat()
    return summary
