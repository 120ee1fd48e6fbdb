"""Awards: progress towards a certification, earning it, publishing it, verifying it.

Run with ``python examples/awards.py``.
"""

from datetime import UTC, datetime, timedelta

from symprogram import FixedClock, Outbox, Program
from symprogram.accounts import AcceptancePath

clock = FixedClock(datetime(2012, 3, 1, 9, 0, tzinfo=UTC))
outbox = Outbox()

with Program.in_memory(clock=clock, notifier=outbox) as program:
    # A registered, active candidate (see examples/accounts.py for the details).
    receipt = program.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    program.accounts.register(
        terms_receipt=receipt.token or "",
        email="alan@example.com",
        password="a long and private passphrase",
        given_name="Alan",
        family_name="Turing",
        company_name="Bletchley Systems",
        partner_company="Park Partners",
        preferred_language="en-GB",
    )
    cid = program.accounts.activate(outbox.last("activation").data["token"]).candidate_id
    awards = program.awards

    # Progress is computed from the requirement tree of the catalogue (data, not code).
    print("SCP Data Protection:", awards.progress(cid, "scp-data-protection").percentage, "%")

    # Exam results come in (e.g. from claimed score reports)...
    awards.record_exam_result(cid, "250-316", 82, taken_at=clock.now() - timedelta(days=20))
    awards.record_exam_result(cid, "250-371", 75, taken_at=clock.now() - timedelta(days=10))
    progress = awards.progress(cid, "scp-data-protection")
    print("after two exams:", progress.percentage, "%; missing:")
    for missing in progress.missing:
        print("  -", missing.description)

    # A third one brings the credits from data protection exams to 50.
    awards.record_exam_result(cid, "ST0-192", 80, taken_at=clock.now() - timedelta(days=5))

    # ... and evaluate() grants every award whose requirements are met, repeatedly,
    # so the professional certification built on the two specialist ones comes too.
    for grant in awards.evaluate(cid):
        until = grant.expires_at.date() if grant.expires_at else "-"
        print("earned", grant.award_id, "until", until)

    # Publish a certification to a third party by e-mail; they verify it with the code.
    awards.publish(cid, ["scs-netbackup"], "hiring@example.com")
    code = outbox.last("award_disclosure").data["code"]
    view = awards.verify_disclosure(code, recipient_email="hiring@example.com")
    for shown in view.awards:
        print(f"the recipient sees: {view.holder_name} - {shown.name} ({shown.status})")
