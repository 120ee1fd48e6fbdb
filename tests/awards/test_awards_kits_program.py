"""Achievement kits through the public API (``Program``: accounts + awards) on memory and
SQLite: held without a postal address, released when accounts records one, and the
``achievement_kits`` notification honoured.

"Be sure to keep all of your contact information current through the "Update Personal
Info" link in order to ensure we can contact you as necessary (i.e. important emails,
certification achievement kits, etc)." (Terms of Use v.2007.507)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import START, ProgramFactory
from symprogram import Program
from symprogram.accounts import PostalAddress
from symprogram.accounts.events import ContactDetailsUpdated, FieldChange
from symprogram.awards import KitHoldReason, KitStatus
from symprogram.awards.messages import KIT_HELD_KIND, KIT_SHIPPED_KIND
from symprogram.errors import Conflict, ValidationError
from symprogram.notify import Outbox

BACKENDS = ["memory", "sqlite"]
OCKHAM = PostalAddress(lines=("Ockham Park",), city="Ockham", country="GB", postal_code="KT11")


def register(program: Program, postal_address: PostalAddress | None = None) -> str:
    """Register and activate Ada (with ``postal_address`` if given); her candidate ID."""
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    program.accounts.register(
        terms_receipt=receipt.token,
        email="ada@example.com",
        password="correct horse battery staple 7",
        given_name="Ada",
        family_name="Lovelace",
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
        postal_address=postal_address,
    )
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    token = outbox.last("activation", to="ada@example.com").data["token"]
    return str(program.accounts.activate(token).candidate_id)


def earn(program: Program, cid: str) -> str:
    """Ada earns SCS Endpoint; the ID of its kit."""
    taken = program.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)
    (kit,) = [k for k in program.awards.kits_of(cid) if k.award_id == "scs-endpoint"]
    return kit.kit_id


def sent(program: Program, kind: str) -> int:
    """How many messages of ``kind`` were sent."""
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return len([m for m in outbox.messages if m.kind == kind])


@pytest.mark.parametrize("backend", BACKENDS)
def test_kit_is_held_without_a_postal_address(backend: str, make_program: ProgramFactory) -> None:
    """No postal address on file: the kit is held (reason no_postal_address), never
    addressed to a placeholder, refused by ship_kit; Ada is e-mailed to add one."""
    with make_program(backend) as program:
        cid = register(program)
        kit_id = earn(program, cid)
        kit = program.awards.get_kit(kit_id)
        assert (KitStatus.HELD, KitHoldReason.NO_POSTAL_ADDRESS, None) == (
            kit.status,
            kit.hold_reason,
            kit.address,
        )
        with pytest.raises(Conflict) as info:
            program.awards.ship_kit(kit_id)
        assert "no_postal_address" == info.value.code
        assert 1 == sent(program, KIT_HELD_KIND)
        assert "kit_held" in [e.kind for e in program.history.history(cid)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_held_kit_released_when_the_address_arrives(
    backend: str, make_program: ProgramFactory
) -> None:
    """Recording a postal address through accounts ("Update Personal Info") releases the
    held kit in the same unit of work; it then ships to that address."""
    with make_program(backend) as program:
        cid = register(program)
        kit_id = earn(program, cid)
        program.accounts.update_contact_details(cid, phone="+44 20 7946 0000")
        assert KitStatus.HELD == program.awards.get_kit(kit_id).status
        program.accounts.update_contact_details(cid, postal_address=OCKHAM)
        released = program.awards.get_kit(kit_id)
        assert released.address is not None
        assert (KitStatus.QUEUED, None, "ada@example.com") == (
            released.status,
            released.hold_reason,
            released.address.email,
        )
        assert "Ockham Park" in released.address.postal_address
        assert () == program.awards.held_kits(cid)
        kinds = [e.kind for e in program.history.history(cid)]
        assert kinds.index("contact_details_updated") < kinds.index("kit_released")
        assert program.history.verify(cid).ok
        shipped = program.awards.ship_kit(kit_id, tracking="1Z")
        assert (KitStatus.SHIPPED, "GB") == (shipped.status, shipped.address.country)


@pytest.mark.parametrize("backend", BACKENDS)
def test_kit_with_an_address_is_queued(backend: str, make_program: ProgramFactory) -> None:
    """With a postal address on file the kit is queued for it at once."""
    with make_program(backend) as program:
        cid = register(program, OCKHAM)
        kit = program.awards.get_kit(earn(program, cid))
        assert KitStatus.QUEUED == kit.status
        assert program.awards.kit_destination(kit.kit_id).allowed
        assert 0 == sent(program, KIT_HELD_KIND)


@pytest.mark.parametrize("backend", BACKENDS)
def test_achievement_kits_notification_is_honoured(
    backend: str, make_program: ProgramFactory
) -> None:
    """Switching the achievement_kits notification off stops the kit e-mails (held,
    shipped); the kit itself is still released and shipped. Switched on, they go."""
    with make_program(backend) as program:
        cid = register(program)
        program.accounts.set_notification_preference(cid, "achievement_kits", False)
        kit_id = earn(program, cid)
        program.accounts.update_contact_details(cid, postal_address=OCKHAM)
        assert KitStatus.SHIPPED == program.awards.ship_kit(kit_id).status
        assert (0, 0) == (sent(program, KIT_HELD_KIND), sent(program, KIT_SHIPPED_KIND))

        program.accounts.set_notification_preference(cid, "achievement_kits", True)
        program.awards.deliver_kit(kit_id)
        other = register_other(program)
        other_kit = earn(program, other)
        assert 1 == sent(program, KIT_HELD_KIND)
        program.accounts.update_contact_details(other, postal_address=OCKHAM)
        program.awards.ship_kit(other_kit)
        assert 1 == sent(program, KIT_SHIPPED_KIND)


def register_other(program: Program) -> str:
    """Register and activate Grace, without a postal address; her candidate ID."""
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    program.accounts.register(
        terms_receipt=receipt.token,
        email="grace@example.com",
        password="correct horse battery staple 7",
        given_name="Grace",
        family_name="Hopper",
        company_name="Navy",
        partner_company="Univac",
        preferred_language="en-US",
    )
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    token = outbox.last("activation", to="grace@example.com").data["token"]
    return str(program.accounts.activate(token).candidate_id)


@pytest.mark.parametrize("backend", BACKENDS)
def test_accounts_directory_answers_the_kit_questions(
    backend: str, make_program: ProgramFactory
) -> None:
    """The accounts bridge: no kit recipient (and no placeholder address) without a
    postal address, the holder's name, kit notices only while achievement_kits is on."""
    from symprogram._bridges import AccountsCandidateDirectory

    with make_program(backend) as program:
        cid = register(program)
        directory = AccountsCandidateDirectory(program.accounts)
        assert (None, "Ada Lovelace", "ada@example.com") == (
            directory.kit_recipient(cid),
            directory.holder_name(cid),
            directory.kit_notices_to(cid),
        )
        with pytest.raises(Conflict) as info:
            directory.contact_details(cid)
        assert "no_postal_address" == info.value.code
        program.accounts.set_notification_preference(cid, "achievement_kits", False)
        assert directory.kit_notices_to(cid) is None
        program.accounts.update_contact_details(cid, postal_address=OCKHAM)
        recipient = directory.kit_recipient(cid)
        assert recipient is not None
        assert ("Ockham Park", "KT11 Ockham") == recipient.postal_address
        assert recipient == directory.contact_details(cid)


def test_a_host_directory_releases_kits_itself(make_program: ProgramFactory) -> None:
    """With the host's own candidate directory, a contact update in accounts does not
    reach into awards (the host calls release_held_kits); it still succeeds."""
    from symprogram.awards import StaticCandidateDirectory

    people = StaticCandidateDirectory()
    with make_program("memory", options={"awards": {"candidates": people}}) as program:
        cid = register(program)
        updated = program.accounts.update_contact_details(cid, postal_address=OCKHAM)
        assert updated.contact.postal_address == OCKHAM
        assert "kit_released" not in [e.kind for e in program.history.history(cid)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_handler_leaves_neither_the_address_nor_the_released_kit(
    backend: str, make_program: ProgramFactory
) -> None:
    """The kit release runs in the unit of work recording the address: a handler
    subscribed after it that raises rolls back the address, the released kit and their
    history entries; the caller gets the handler's exception."""
    with make_program(backend) as program:
        cid = register(program)
        kit_id = earn(program, cid)
        seen: list[KitStatus] = []

        def refuse(event: ContactDetailsUpdated) -> None:
            seen.append(program.awards.get_kit(kit_id).status)
            raise RuntimeError("the host refuses")

        program.subscribe(ContactDetailsUpdated, refuse)
        before = [e.kind for e in program.history.history(cid)]
        with pytest.raises(RuntimeError, match="the host refuses"):
            program.accounts.update_contact_details(cid, postal_address=OCKHAM)
        assert [KitStatus.QUEUED] == seen  # released before the host's handler ran
        assert program.accounts.contact_details(cid).postal_address is None
        kit = program.awards.get_kit(kit_id)
        assert (KitStatus.HELD, None) == (kit.status, kit.address)
        assert before == [e.kind for e in program.history.history(cid)]
        assert program.history.verify(cid).ok


@pytest.mark.parametrize("backend", BACKENDS)
def test_handlers_run_in_subscription_order_in_the_unit_of_work(
    backend: str, make_program: ProgramFactory
) -> None:
    """Host handlers run in the order subscribed, after the program's own kit release
    (even when subscribed before accounts was first used), each seeing the address and
    the released kit of the unit of work not yet committed."""
    with make_program(backend) as program:
        calls: list[tuple[str, object, KitStatus]] = []

        def handler(name: str) -> Callable[[ContactDetailsUpdated], None]:
            def run(event: ContactDetailsUpdated) -> None:
                (kit,) = program.awards.kits_of(event.subject)
                address = program.accounts.contact_details(event.subject).postal_address
                calls.append((name, address, kit.status))

            return run

        program.subscribe(ContactDetailsUpdated, handler("first"))
        program.subscribe(ContactDetailsUpdated, handler("second"))
        cid = register(program)
        earn(program, cid)
        program.accounts.update_contact_details(cid, postal_address=OCKHAM)
        assert [
            ("first", OCKHAM, KitStatus.QUEUED),
            ("second", OCKHAM, KitStatus.QUEUED),
        ] == calls
        kinds = [e.kind for e in program.history.history(cid)]
        assert 1 == kinds.count("kit_released")


def test_subscribe_refuses_what_is_not_an_event_class(make_program: ProgramFactory) -> None:
    """``Program.subscribe`` checks its arguments: ``invalid_event_type``,
    ``invalid_handler``."""
    with make_program("memory") as program:
        with pytest.raises(ValidationError) as info:
            program.subscribe(str, print)  # type: ignore[type-var]
        assert "invalid_event_type" == info.value.code
        with pytest.raises(ValidationError) as info:
            program.subscribe(ContactDetailsUpdated, None)  # type: ignore[arg-type]
        assert "invalid_handler" == info.value.code


def test_the_kit_release_waits_for_a_postal_address_recorded() -> None:
    """The condition of the program's kit release: a contact update that records a
    postal address, not one that removes it or changes another field."""
    from symprogram._bridges import postal_address_recorded

    def update(*changes: FieldChange) -> ContactDetailsUpdated:
        return ContactDetailsUpdated("SP-1", START, changes)

    address = {"lines": ["Ockham Park"], "country": "GB"}
    assert postal_address_recorded(update(FieldChange("postal_address", None, address)))
    assert postal_address_recorded(
        update(FieldChange("phone", None, "+44"), FieldChange("postal_address", address, address))
    )
    assert not postal_address_recorded(update(FieldChange("postal_address", address, None)))
    assert not postal_address_recorded(update(FieldChange("phone", None, "+44")))
    assert not postal_address_recorded(update())


field_changes = st.lists(
    st.builds(
        FieldChange,
        st.sampled_from(["postal_address", "phone", "email", "given_name"]),
        st.none() | st.just({"lines": ["Ockham Park"], "country": "GB"}),
        st.none() | st.just({}) | st.just({"lines": ["Ockham Park"], "country": "GB"}),
    ),
    max_size=4,
)


@given(field_changes)
def test_the_kit_release_condition_for_any_changes(changes: list[FieldChange]) -> None:
    """For any contact update: the kit release runs exactly when one of its changes
    gives the postal address a (non-empty) new value."""
    from symprogram._bridges import postal_address_recorded

    event = ContactDetailsUpdated("SP-1", START, tuple(changes))
    expected = any(c.field == "postal_address" and bool(c.new) for c in changes)
    assert expected == postal_address_recorded(event)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nothing_is_posted_to_a_closed_account(backend: str, make_program: ProgramFactory) -> None:
    """Closing an account opts it out of every contact channel, postal mail included:
    its queued kit is not shipped (``no_postal_address``, nothing written), a kit it
    earns afterwards is held, and ``kit_destination`` denies it."""
    program = make_program(backend)
    cid = register(program, postal_address=OCKHAM)
    queued = earn(program, cid)
    assert KitStatus.QUEUED == program.awards.get_kit(queued).status
    program.accounts.close(cid, "asked")
    with pytest.raises(Conflict) as refused:
        program.awards.ship_kit(queued)
    assert "no_postal_address" == refused.value.code
    assert KitStatus.QUEUED == program.awards.get_kit(queued).status
    assert not program.awards.kit_destination(queued)
    taken = program.now() - timedelta(hours=1)
    program.awards.record_exam_result(cid, "250-371", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-192", 85, taken_at=taken)
    program.awards.evaluate(cid)
    later = [k for k in program.awards.kits_of(cid) if k.kit_id != queued]
    assert later and all(k.status is KitStatus.HELD for k in later)
    assert 0 == sent(program, KIT_SHIPPED_KIND)
