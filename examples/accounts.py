"""Accounts: accept the Terms of Use, register, activate, claim a score report.

Run with ``python examples/accounts.py``. Everything stays in memory; the
"e-mails" land in an Outbox, which is where a real app would hand them to its
mail service.
"""

from datetime import UTC, date, datetime

from symprogram import FixedClock, Outbox, Program
from symprogram.accounts import AcceptancePath

clock = FixedClock(datetime(2011, 1, 10, 9, 0, tzinfo=UTC))
outbox = Outbox()

with Program.in_memory(clock=clock, notifier=outbox) as program:
    accounts = program.accounts

    # 1. The person reads the terms and clicks "I agree ... create a new account".
    receipt = accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    print("accepted Terms of Use", receipt.acceptance.terms_version)

    # 2. They fill in the registration form; the receipt's token proves step 1.
    accounts.register(
        terms_receipt=receipt.token or "",
        email="grace@example.com",
        password="a long and private passphrase",
        given_name="Grace",
        family_name="Hopper",
        company_name="Compilers Inc",
        partner_company="Navy Labs",
        preferred_language="en-US",
    )

    # 3. The activation e-mail carries a single-use token and the candidate ID.
    mail = outbox.last("activation")
    print("e-mail to", mail.to, "-", mail.subject)
    candidate = accounts.activate(mail.data["token"])
    print("candidate", candidate.candidate_id, "is", candidate.status)

    # 4. A test centre recorded a score report; the candidate claims it with proof.
    accounts.record_score_report(
        registration_number="REG-0042",
        exam_code="250-315",
        candidate_name="Grace Hopper",
        email="grace@example.com",
        score=91,
        passing_score=70,
        exam_date=date(2011, 1, 7),
        test_centre="Arlington",
    )
    report = accounts.claim_score_report(candidate.candidate_id, "REG-0042", name="Grace Hopper")
    print("claimed score report", report.registration_number, "for exam", report.exam_code)

    # 5. A mistake gives a SymprogramError with a stable code, never a bare ValueError.
    from symprogram import SymprogramError

    try:
        accounts.activate(mail.data["token"])  # single use: a second time fails
    except SymprogramError as exc:
        print("activating twice:", exc.code)

    # 6. Every change is in the tamper-evident account history.
    for entry in program.history.history(candidate.candidate_id):
        print(f"  {entry.position}. {entry.kind}")
    print("history verified:", program.history.verify(candidate.candidate_id).ok)
