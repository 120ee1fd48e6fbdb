"""One spelling of a candidate ID: what was recorded under another spelling is erased.

The accounts context reads ``sp-…``, ``SP…`` without dashes and ``SP-…`` as one
candidate; every other context keys the person by the display form too (awards
through its directory's ``canonical_id``, consent subjects and entitlements
customers through :func:`symprogram.ids.canonical_subject`), so one
``erase_person`` finds everything, whichever spelling each call was made with.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from erasure_helpers import leaks_in_texts, register, store_texts

from symprogram import Program
from symprogram.accounts import PostalAddress
from symprogram.awards.models import ERASED_KIT_ADDRESS, DisclosureStatus
from symprogram.errors import NotFound

pytestmark = pytest.mark.backends("memory", "sqlite")

REASON = "erasure request 23"
NAME, FAMILY, EMAIL = "Spelvina", "Lingorska", "spelvina.lingorska@ex-example.com"
STREET, ORDER_NOTE = "9 Spelling Row", "leave it at the Lingorska gate"

#: Spellings of a candidate ID the accounts context reads as that candidate.
SPELLINGS: dict[str, Callable[[str], str]] = {
    "lower case": str.lower,
    "without dashes": lambda cid: cid.replace("-", ""),
    "lower case without dashes": lambda cid: cid.replace("-", "").lower(),
    "without the prefix": lambda cid: cid[3:].replace("-", ""),
}


def _person(program: Program) -> str:
    return register(
        program,
        email=EMAIL,
        given_name=NAME,
        family_name=FAMILY,
        postal_address=PostalAddress(
            lines=(STREET,), city="Spellford", country="GB", postal_code="SP1 1SP"
        ),
    )


@pytest.mark.parametrize("spell", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_awards_recorded_under_another_spelling_are_erased(
    program: Program, spell: Callable[[str], str]
) -> None:
    """Results, the kit and the disclosure filed through another spelling of the ID are
    the candidate's: erase_person scrubs the kit, revokes the disclosure and leaves no
    name, address or e-mail in the store."""
    cid = _person(program)
    other = spell(cid)
    awards = program.awards
    awards.record_exam_result(other, "250-315", 85, taken_at=program.clock.now() - timedelta(1))
    awards.evaluate(other)
    published = awards.publish(other, ["scs-endpoint"], "hr@employer-example.com")
    (kit,) = awards.kits_of(cid)
    assert (kit.candidate_id, awards.kits_of(other)) == (cid, (kit,))
    assert len(awards.exam_results_of(cid)) == 1

    receipt = program.erase_person(cid, reason=REASON)

    assert receipt.awards.kits == (kit.kit_id,)
    assert receipt.awards.disclosures == (published.disclosure.disclosure_id,)
    assert awards.get_kit(kit.kit_id).address == ERASED_KIT_ADDRESS
    assert awards.verify_disclosure(published.code).status is DisclosureStatus.REVOKED
    assert [] == leaks_in_texts(store_texts(program), (NAME, FAMILY, STREET, EMAIL))


@pytest.mark.parametrize("spell", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_consent_and_entitlements_under_another_spelling_are_erased(
    program: Program, spell: Callable[[str], str]
) -> None:
    """Personal data, a remote-access consent and an agreement recorded for another
    spelling of the ID are the consent subject and the customer the candidate ID
    names: erase_person erases them and no name or address stays in the store."""
    cid = _person(program)
    other = spell(cid)
    today = program.clock.now().date()
    program.consent.record_personal_data(other, "order", {"name": NAME, "address": ORDER_NOTE})
    program.consent_to_remote_access(other)
    program.entitlements.add_agreement(
        other,
        agreement_id="AGR-SPELL",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=today,
        ends_on=today + timedelta(days=90),
        by=f"{NAME} {FAMILY}",
    )
    assert {d.value for d in program.consent.personal_data(cid).data} == {NAME, ORDER_NOTE}
    assert program.entitlements.get_holdings(cid).customer_id == cid
    assert program.entitlements.may_start_remote_session(cid).allowed

    receipt = program.erase_person(cid, reason=REASON)

    assert receipt.consent is not None and receipt.consent.subject == cid
    assert receipt.entitlements is not None and receipt.entitlements.customer_id == cid
    with pytest.raises(NotFound):
        program.consent.personal_data(other)
    assert program.entitlements.get_agreement("AGR-SPELL").created_by == "[erased]"
    assert [] == leaks_in_texts(store_texts(program), (NAME, FAMILY, STREET, ORDER_NOTE))
