"""Consent: grant, check, withdraw and prove a person's choices.

Run with ``python examples/consent.py``.
"""

from datetime import UTC, datetime, timedelta

from symprogram import FixedClock, Program
from symprogram.serialization import dumps

clock = FixedClock(datetime(2011, 1, 14, tzinfo=UTC))

# The privacy policy makes special offers opt-out; this host's law requires opt-in,
# so it chooses the stricter opt-in reading of the policy (see docs/consent.md).
OPT_IN = {"consent": {"settings": {"policy": "opt_in"}}}

with Program.in_memory(clock=clock, options=OPT_IN) as program:
    consent = program.consent
    subject = "cust-42"  # a pseudonymous ID: never an e-mail address

    # On the opt-in reading, special offers need consent: nothing until the person agrees.
    print("before:", consent.may_use(subject, "special_offers", channel="email").explain())
    consent.grant(subject, "special_offers", channel="web_form", evidence="form 7, box 2")
    print("granted:", consent.may_use(subject, "special_offers", channel="email").explain())

    # Withdrawing is one call, through any channel, as easy as granting.
    clock.advance(timedelta(days=2))
    consent.withdraw(subject, "special_offers", channel="email_reply")
    print("withdrawn:", consent.may_use(subject, "special_offers", channel="email").explain())

    # The past stays answerable: what was allowed on the day of the grant?
    then = consent.may_use(subject, "special_offers", at=datetime(2011, 1, 15, tzinfo=UTC))
    print("as of 2011-01-15:", then.explain())

    # A receipt proves every choice; the ledger is hash-chained and verifiable.
    receipt = consent.receipt(subject)
    print("receipt:", len(receipt.history), "entries, head", receipt.ledger_head[:16], "...")
    print("ledger verified:", consent.verify(subject).ok)
    print("JSON receipt:", len(dumps(receipt)), "characters")
