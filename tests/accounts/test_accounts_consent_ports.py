"""The accounts side of issue 16: what a registration gathered, and marketing choices.

With a :class:`~symprogram.accounts.ports.PersonalDataLedger` wired, registration
and bulk registration record what they gathered, in the registration's unit of
work (a refusal rolls the registration back). With a
:class:`~symprogram.accounts.ports.MarketingChoices` wired, the newsletter and
offer switches are a view of it: switching records the choice there, reading asks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from accounts_helpers import START, World
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import contact
from symprogram.accounts import (
    MARKETING_CATEGORIES,
    AccountStatus,
    Candidate,
    ContactDetails,
    NotificationCategory,
    PostalAddress,
    rules,
)
from symprogram.accounts.ports import MarketingChoices, MarketingConsent, PersonalDataLedger
from symprogram.errors import Conflict
from symprogram.persistence import Store
from symprogram.testing._accounts import candidates, contact_details

REGISTRATION_ITEMS = ("company", "email", "language", "name", "partner_company")


class FakeConsent:
    """A consent context keeping marketing choices and gathered data in memory."""

    def __init__(self, *, refuse_gathering: bool = False, refuse_choices: bool = False) -> None:
        self.refuse_gathering = refuse_gathering
        self.refuse_choices = refuse_choices
        self.gathered: list[tuple[str, str, tuple[str, ...], datetime]] = []
        self.choices: dict[tuple[str, str], bool] = {}
        self.recorded: list[tuple[str, str, bool]] = []

    def may_contact(self, subject: str, category: str, at: datetime) -> bool:
        return self.choices.get((subject, category), True)

    def record_choice(self, subject: str, category: str, enabled: bool, at: datetime) -> bool:
        if self.refuse_choices:
            raise Conflict("the consent ledger refused", code="consent_refused")
        if self.choices.get((subject, category)) is enabled:
            return False
        self.choices[(subject, category)] = enabled
        self.recorded.append((subject, category, enabled))
        return True

    def record_gathered(
        self, subject: str, activity: str, items: tuple[str, ...], at: datetime
    ) -> None:
        if self.refuse_gathering:
            raise Conflict("the consent ledger refused", code="consent_refused")
        self.gathered.append((subject, activity, items, at))


def test_the_fake_is_both_ports() -> None:
    """The fake answers the three protocols (a plain answer is only MarketingConsent)."""
    fake = FakeConsent()
    assert isinstance(fake, MarketingChoices)
    assert isinstance(fake, MarketingConsent)
    assert isinstance(fake, PersonalDataLedger)


def test_registration_records_what_it_gathered(store: Store) -> None:
    """register records the item names (never values) under ``registration``, at its
    instant; activate records the confirmed address under ``activation``."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    assert [
        (cid, "registration", REGISTRATION_ITEMS, START),
        (cid, "activation", ("email",), START),
    ] == fake.gathered


def test_registration_names_phone_and_address_when_given(store: Store) -> None:
    """A phone number and a postal address given at registration are named too."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    address = PostalAddress(lines=("12 St James's Square",), city="London", country="GB")
    world.register(phone="+44 20 7946 0000", postal_address=address)
    (_, _, items, _) = fake.gathered[0]
    assert ("address", *REGISTRATION_ITEMS[:4], "partner_company", "phone") == items


def test_a_known_address_records_nothing(store: Store) -> None:
    """Registering an address already registered gathers nothing new: nothing recorded."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    world.active()
    before = len(fake.gathered)  # the registration's and the activation's
    world.register()
    assert before == len(fake.gathered)


def test_a_refused_record_rolls_the_registration_back(store: Store) -> None:
    """All or nothing: when the personal data ledger refuses, no account is left."""
    world = World(store, marketing_consent=FakeConsent(refuse_gathering=True))
    receipt = world.accounts.accept_terms(path="create_account")
    before = world.snapshot()
    with pytest.raises(Conflict) as raised:
        world.register(terms_receipt=receipt.token)
    assert "consent_refused" == raised.value.code
    assert before == world.snapshot()
    assert world.accounts.find_by_email("ada@example.com") is None


def test_bulk_registration_records_each_new_row(store: Store) -> None:
    """register_many records one gathering per created account, none for skipped rows."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    world.active("known@example.com")
    rows = [contact("a@example.com"), contact("known@example.com"), contact("b@example.com")]
    report = world.accounts.register_many(rows, batch_size=2)
    assert (2, 1) == (report.created, report.skipped)
    found = [world.accounts.find_by_email(e) for e in ("a@example.com", "b@example.com")]
    created = {candidate.candidate_id for candidate in found if candidate is not None}
    assert 2 == len(created)
    # the known address's own registration and activation come first
    assert created == {subject for subject, *_ in fake.gathered[2:]}
    assert all(("registration", REGISTRATION_ITEMS) == g[1:3] for g in fake.gathered[2:])


def test_a_refused_bulk_record_rolls_the_batch_back(store: Store) -> None:
    """All or nothing per batch: a refusal leaves none of the batch's accounts."""
    world = World(store, marketing_consent=FakeConsent(refuse_gathering=True))
    before = world.snapshot()
    with pytest.raises(Conflict):
        world.accounts.register_many([contact("a@example.com"), contact("b@example.com")])
    assert before == world.snapshot()


def test_opening_an_incident_records_the_problem_description(store: Store) -> None:
    """A support incident gathers a description of the problem: recorded as such."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    world.accounts.open_incident(cid, title="Exam voucher", body="My voucher was refused.")
    assert (cid, "support_incident", ("problem_description",), START) == fake.gathered[-1]


def test_a_refused_incident_record_leaves_no_incident(store: Store) -> None:
    """All or nothing: when the personal data ledger refuses, no incident is opened."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    fake.refuse_gathering = True
    before = world.snapshot()
    with pytest.raises(Conflict):
        world.accounts.open_incident(cid, title="Exam voucher", body="Refused.")
    assert before == world.snapshot()


def test_a_contact_update_records_the_items_newly_given(store: Store) -> None:
    """Keeping contact details current gathers what changed to a value: recorded by name
    under ``contact_update``; clearing a field or changing nothing records nothing."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    address = PostalAddress(lines=("12 St James's Square",), city="London", country="GB")
    world.accounts.update_contact_details(cid, phone="+44 20 7946 0000", postal_address=address)
    assert (cid, "contact_update", ("address", "phone"), START) == fake.gathered[-1]
    recorded = len(fake.gathered)
    world.accounts.update_contact_details(cid, phone=None)
    world.accounts.update_contact_details(cid, given_name="Ada")
    assert recorded == len(fake.gathered)
    world.accounts.update_contact_details(cid, given_name="Augusta", family_name="King")
    assert ("name",) == fake.gathered[-1][2]


def test_a_refused_contact_record_leaves_the_details_as_they_were(store: Store) -> None:
    """All or nothing: when the personal data ledger refuses, the update is rolled back."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    fake.refuse_gathering = True
    before = world.snapshot()
    with pytest.raises(Conflict):
        world.accounts.update_contact_details(cid, phone="+44 20 7946 0000")
    assert before == world.snapshot()


def test_marketing_switches_are_a_view_of_the_consent_choices(store: Store) -> None:
    """Switching records the choice in consent; reading the switch asks consent."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    # Opt-out by default: the consent context allows newsletters until told otherwise.
    assert ("chosen", True) == _reason(world, cid, "newsletters")
    setting = world.accounts.set_notification_preference(cid, "newsletters", False)
    assert (False, False, "consent_withheld") == (
        setting.chosen,
        setting.effective,
        setting.reason,
    )
    assert [(cid, "newsletters", False)] == fake.recorded
    world.accounts.set_notification_preference(cid, "offers", True)
    assert (cid, "offers", True) == fake.recorded[-1]
    # The consent context changes on its own: the account setting follows it.
    fake.choices[(cid, "newsletters")] = True
    assert ("chosen", True) == _reason(world, cid, "newsletters")
    fake.choices[(cid, "offers")] = False
    assert ("consent_withheld", False) == _reason(world, cid, "offers")


def test_each_recorded_switch_is_in_the_history(store: Store) -> None:
    """A switch recorded in consent is in the account history even when the stored
    preference did not change; a switch consent already holds records nothing."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id

    def changes() -> int:
        return sum(e.kind == "notification_preference_changed" for e in world.history.history(cid))

    world.accounts.set_notification_preference(cid, "newsletters", False)  # stored: already off
    assert 1 == changes()
    before = world.snapshot()
    world.accounts.set_notification_preference(cid, "newsletters", False)
    assert (1, before) == (changes(), world.snapshot())


def test_a_refused_choice_changes_nothing(store: Store) -> None:
    """When the consent ledger refuses the switch, the account is left as it was."""
    world = World(store, marketing_consent=FakeConsent(refuse_choices=True))
    cid = world.active().candidate_id
    before = world.snapshot()
    with pytest.raises(Conflict):
        world.accounts.set_notification_preference(cid, "offers", True)
    assert before == world.snapshot()


def test_other_categories_stay_the_accounts_own(store: Store) -> None:
    """Achievement kits and reminders are not marketing: nothing goes to consent."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    setting = world.accounts.set_notification_preference(cid, "achievement_kits", False)
    assert (False, "not_chosen") == (setting.effective, setting.reason)
    assert [] == fake.recorded


def test_a_closed_account_receives_no_marketing(store: Store) -> None:
    """Whatever consent allows, a closed account's marketing switches are off."""
    world = World(store, marketing_consent=FakeConsent())
    cid = world.active().candidate_id
    world.accounts.close(cid, reason="leaving")
    assert ("account_closed", False) == _reason(world, cid, "newsletters")


def test_closing_an_account_opts_out_of_marketing_in_consent(store: Store) -> None:
    """Closing records newsletters and offers off in consent, in the same unit of work."""
    fake = FakeConsent()
    world = World(store, marketing_consent=fake)
    cid = world.active().candidate_id
    world.accounts.set_notification_preference(cid, "offers", True)
    world.accounts.close(cid, reason="leaving")
    assert [(cid, "newsletters", False), (cid, "offers", False)] == fake.recorded[-2:]
    refused = World(store, marketing_consent=FakeConsent(refuse_choices=True))
    other = refused.active("grace@example.com").candidate_id
    before = refused.snapshot()
    with pytest.raises(Conflict):
        refused.accounts.close(other, reason="leaving")
    assert before == refused.snapshot()


def _reason(world: World, cid: Any, category: str) -> tuple[str, bool]:
    setting = world.accounts.get_notification_setting(cid, category)
    return setting.reason, setting.effective


# -- the pure rules --------------------------------------------------------------------


@settings(max_examples=40)
@given(contact=contact_details())
def test_gathered_items_name_what_was_given_never_values(contact: ContactDetails) -> None:
    """The items are the fields given, by name, sorted; phone and address only when given."""
    items = rules.gathered_items(contact)
    assert list(items) == sorted(set(items))
    assert {"company", "email", "language", "name", "partner_company"} <= set(items)
    assert ("phone" in items) == (contact.phone is not None)
    assert ("address" in items) == (contact.postal_address is not None)
    assert contact.email not in items


@settings(max_examples=40)
@given(candidate=candidates(), after=contact_details())
def test_updated_items_name_the_fields_given_a_new_value(
    candidate: Candidate, after: ContactDetails
) -> None:
    """A contact update gathers the items of the fields changed to a value, no others."""
    changes = {name: getattr(after, name) for name in rules.CONTACT_FIELDS}
    _, event = rules.apply_contact_changes(candidate, changes, START)
    items = rules.updated_items(event)
    assert list(items) == sorted(set(items))
    assert set(items) <= set(rules.gathered_items(after))
    changed_phone = after.phone is not None and after.phone != candidate.contact.phone
    assert ("phone" in items) == changed_phone


@settings(max_examples=40)
@given(
    candidate=candidates(),
    category=st.sampled_from(sorted(MARKETING_CATEGORIES)),
    allowed=st.booleans(),
)
def test_a_marketing_setting_is_what_consent_allows(
    candidate: Candidate, category: NotificationCategory, allowed: bool
) -> None:
    """As a view of consent, a marketing setting is in effect exactly when consent allows
    it and the account is not closed; it never depends on the stored choice."""
    setting = rules.marketing_setting(candidate, category, allowed)
    closed = candidate.status is AccountStatus.CLOSED
    assert (allowed and not closed) == setting.effective
    assert allowed == setting.chosen
    assert not setting.mandatory
    expected = "account_closed" if closed else ("chosen" if allowed else "consent_withheld")
    assert expected == setting.reason
