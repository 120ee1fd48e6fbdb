"""The erasure forgets the request logs of the person's own e-mail change requests,
whatever the address, the one it only asked for included.

A probe had the person ask to change to an address (never confirmed) and erased it:
the address's own request log (``email_change:<SHA-256 of the address>``, the
latest request for the address, written by every request to change to it) survived,
its only instant the person's request, so trying candidate addresses against the
digest recovered the address. That log limits nothing (the limit is counted per
requesting account and address, ``email_change_by``), so the erasure deletes it for
every address the person asked for; another account's count for that address stays.
"""

from __future__ import annotations

import pytest
from erasure_helpers import email_key, register, store_texts

from _programs import ALL
from symprogram import Program
from symprogram.notify import Outbox

pytestmark = pytest.mark.backends(*ALL)

ASKED = "pia.asked-for.private@example.net"


def _links_to(program: Program, address: str) -> int:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return sum(m.kind == "email_verification" and m.to == address for m in outbox.messages)


def test_the_log_of_an_address_the_person_only_asked_for_is_forgotten(program: Program) -> None:
    cid = register(program, email="pia.old@example.com", given_name="Pia", family_name="Pendingova")
    program.accounts.request_email_change(cid, ASKED)
    assert any(email_key(ASKED) in text for text in store_texts(program))

    program.erase_person(cid, reason="ticket 7")

    assert not any(email_key(ASKED) in text for text in store_texts(program))


def test_another_accounts_count_for_that_address_is_kept(program: Program) -> None:
    """The erasure weakens nobody's limit: a bystander that used up its requests for
    the address the person asked for gets no further link after the erasure."""
    cid = register(program, email="pia.old@example.com", given_name="Pia", family_name="Pendingova")
    other = register(
        program, email="bob.other@example.com", given_name="Bob", family_name="Bystander"
    )
    limit = program.accounts.settings.email_change_limit
    for _ in range(limit):
        program.accounts.request_email_change(other, ASKED)
    program.accounts.request_email_change(cid, ASKED)
    sent = _links_to(program, ASKED)

    program.erase_person(cid, reason="ticket 8")
    program.accounts.request_email_change(other, ASKED)

    assert _links_to(program, ASKED) == sent
