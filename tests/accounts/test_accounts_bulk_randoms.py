"""register_many's random values (drawn once per batch) have the formats register's have."""

from __future__ import annotations

import json
import re

from accounts_helpers import World

from _programs import contact


def test_bulk_random_values_are_distinct_and_in_register_formats(world: World) -> None:
    """Across batches and skipped rows: every acceptance ID is 32 lowercase hex digits,
    every unusable password its own, every message reference 16 uppercase hex digits,
    all distinct, and each activation token activates its own account."""
    emails = [f"person{n}@example.com" for n in range(7)]
    rows = [contact(e) for e in emails] + [contact("PERSON3@example.com")]
    report = world.accounts.register_many(rows, batch_size=3)
    assert 7 == report.created and 1 == report.skipped
    with world.store.transaction(readonly=True) as tx:
        acceptances = [json.loads(r.data) for r in tx.scan("terms_acceptance", limit=100)]
        hashes = [
            json.loads(r.data)["password_hash"] for r in tx.scan("account_credential", limit=100)
        ]
    ids = [a["acceptance_id"] for a in acceptances]
    assert 7 == len(set(ids)) and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert 7 == len(set(hashes))
    assert all(re.fullmatch(r"!unusable\$[0-9a-f]{32}", h) for h in hashes)
    messages = [m for m in world.outbox.messages if m.kind == "activation"]
    references = [str(m.data["reference"]) for m in messages]
    assert 7 == len(set(references))
    assert all(re.fullmatch(r"[0-9A-F]{16}", r) for r in references)
    for message in messages:
        activated = world.accounts.activate(str(message.data["token"]))
        assert message.data["candidate_id"] == activated.candidate_id
        assert message.to == activated.contact.email
