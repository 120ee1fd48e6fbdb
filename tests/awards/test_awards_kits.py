"""Achievement kits held until a postal address is on file; kit notices honour the
``achievement_kits`` notification.

The Terms of Use v.2007.507: "Be sure to keep all of your contact information current
through the "Update Personal Info" link in order to ensure we can contact you as
necessary (i.e. important emails, certification achievement kits, etc)." and "manage
notifications you may or may not want to receive".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from awards_env import ADA, START, Env, make_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.awards import (
    AwardGrant,
    CandidateAwards,
    KitAddress,
    KitFulfilment,
    KitHoldReason,
    KitStatus,
    StaticCandidateDirectory,
    rules,
)
from symprogram.awards.messages import KIT_HELD_KIND, KIT_SHIPPED_KIND
from symprogram.errors import Conflict, IllegalTransition, ValidationError
from symprogram.storage.memory import MemoryStore

GRANT = AwardGrant(
    grant_id="g-1",
    award_id="scs-endpoint",
    granted_at=START,
)


def earn(env: Env, who: str = "ada") -> None:
    """``who`` passes 250-315 and ST0-091 and earns SCS Endpoint (one kit)."""
    env.service.record_exam_result(who, "250-315", 85, taken_at=START)
    env.service.record_exam_result(who, "ST0-091", 80, taken_at=START)
    env.service.evaluate(who)


def kinds(env: Env, who: str = "ada") -> list[str]:
    """The history entry kinds of ``who``."""
    return [e.kind for e in env.history.history(who)]


# -- rules ---------------------------------------------------------------------------------


def test_kit_destination_needs_a_postal_address() -> None:
    """A kit may go out only to a postal address on file ("keep all of your contact
    information current ... certification achievement kits")."""
    held = rules.kit_destination(None)
    assert (False, ("no_postal_address",)) == (held.allowed, held.codes)
    assert held.hint is not None and "Update Personal Info" in held.hint
    ready = rules.kit_destination(ADA)
    assert (True, ("postal_address_on_file",)) == (ready.allowed, ready.codes)


def test_new_kit_is_held_without_an_address_and_queued_with_one() -> None:
    """A new kit is held with its reason and no address, or queued for the address."""
    held = rules.new_kit(kit_id="k", candidate_id="ada", grant=GRANT, recipient=None, at=START)
    assert (KitStatus.HELD, KitHoldReason.NO_POSTAL_ADDRESS, None) == (
        held.status,
        held.hold_reason,
        held.address,
    )
    queued = rules.new_kit(kit_id="k", candidate_id="ada", grant=GRANT, recipient=ADA, at=START)
    assert (KitStatus.QUEUED, None, ADA) == (queued.status, queued.hold_reason, queued.address)


def test_release_then_ship_a_held_kit() -> None:
    """A held kit is released to the address now on file, then ships from there."""
    held = rules.new_kit(kit_id="k", candidate_id="ada", grant=GRANT, recipient=None, at=START)
    assert not rules.releasable(held, None)
    assert rules.releasable(held, ADA)
    later = START + timedelta(days=3)
    released = rules.kit_released(held, later, address=ADA)
    assert (KitStatus.QUEUED, ADA, None, later) == (
        released.status,
        released.address,
        released.hold_reason,
        released.released_at,
    )
    with pytest.raises(IllegalTransition) as info:
        rules.kit_released(released, later, address=ADA)
    assert "illegal_kit_transition" == info.value.code
    shipped = rules.kit_shipped(released, START, address=ADA)
    assert later == shipped.shipped_at


def test_require_shippable_refuses_without_an_address() -> None:
    """Nothing is ever shipped to a placeholder: no address is ``no_postal_address``."""
    held = rules.new_kit(kit_id="k", candidate_id="ada", grant=GRANT, recipient=None, at=START)
    with pytest.raises(Conflict) as info:
        rules.require_shippable(held, None)
    assert ("no_postal_address", "k") == (info.value.code, info.value.details["kit_id"])
    assert ADA == rules.require_shippable(held, ADA)
    shipped = rules.kit_shipped(rules.kit_released(held, START, address=ADA), START, address=ADA)
    with pytest.raises(IllegalTransition):
        rules.require_shippable(shipped, ADA)


def test_kit_notice_follows_the_achievement_kits_setting() -> None:
    """Kit e-mails go only to a candidate whose achievement_kits notification is on
    ("manage notifications you may or may not want to receive")."""
    off = rules.kit_notice(None)
    assert (False, ("achievement_kits_off",)) == (off.allowed, off.codes)
    on = rules.kit_notice("ada@example.com")
    assert (True, "ada@example.com") == (on.allowed, on.detail("to"))


def test_a_kit_that_is_not_held_needs_an_address_and_no_reason() -> None:
    """The model refuses a queued kit without an address and a held one without a reason."""
    with pytest.raises(ValidationError) as info:
        KitFulfilment("k", "ada", "a", "g", None, KitStatus.QUEUED, START)
    assert "invalid_kit" == info.value.code
    with pytest.raises(ValidationError):
        KitFulfilment("k", "ada", "a", "g", None, KitStatus.HELD, START)
    with pytest.raises(ValidationError):
        KitFulfilment(
            "k",
            "ada",
            "a",
            "g",
            ADA,
            KitStatus.QUEUED,
            START,
            hold_reason=KitHoldReason.NO_POSTAL_ADDRESS,
        )


# -- the service (StaticCandidateDirectory) --------------------------------------------------


def test_kit_is_held_without_a_postal_address_and_the_candidate_told(env: Env) -> None:
    """Earning with no postal address on file holds the kit (history ``kit_held``) and
    e-mails the candidate to add one."""
    env.people.remove_postal_address("ada")
    earn(env)
    (kit,) = env.service.kits_of("ada")
    assert (KitStatus.HELD, KitHoldReason.NO_POSTAL_ADDRESS, None) == (
        kit.status,
        kit.hold_reason,
        kit.address,
    )
    assert (kit,) == env.service.held_kits("ada")
    assert ["kit_held"] == [k for k in kinds(env) if k.startswith("kit_")]
    notice = env.outbox.last(KIT_HELD_KIND)
    assert ("ada@example.com", kit.kit_id) == (notice.to, notice.data["kit_id"])
    assert "Update Personal Info" in notice.body
    assert env.service.kit_destination(kit.kit_id).has("no_postal_address")


def test_held_kit_is_never_shipped_and_nothing_changes(env: Env) -> None:
    """Shipping a held kit without an address is refused and writes nothing."""
    env.people.remove_postal_address("ada")
    earn(env)
    (kit,) = env.service.kits_of("ada")
    before = env.snapshot()
    with pytest.raises(Conflict) as info:
        env.service.ship_kit(kit.kit_id, tracking="1Z")
    assert "no_postal_address" == info.value.code
    assert before == env.snapshot()
    assert () == env.service.release_held_kits("ada")


def test_held_kit_released_when_the_address_arrives(env: Env) -> None:
    """Once a postal address is on file, release_held_kits queues the kit for it."""
    env.people.remove_postal_address("ada")
    earn(env)
    env.clock.advance(timedelta(days=2))
    moved = KitAddress("Ada Lovelace", "ada@example.com", ("Ockham Park",), "GB")
    env.people.update_contact("ada", moved)
    (released,) = env.service.release_held_kits("ada")
    assert (KitStatus.QUEUED, moved, env.clock.now()) == (
        released.status,
        released.address,
        released.released_at,
    )
    assert () == env.service.held_kits("ada")
    assert "kit_released" in kinds(env)
    assert () == env.service.release_held_kits("ada")
    shipped = env.service.ship_kit(released.kit_id)
    assert (KitStatus.SHIPPED, moved) == (shipped.status, shipped.address)


def test_ship_releases_a_held_kit_whose_address_is_now_on_file(env: Env) -> None:
    """ship_kit on a held kit ships it at once when the address is now on file."""
    env.people.remove_postal_address("ada")
    earn(env)
    (kit,) = env.service.kits_of("ada")
    env.people.update_contact("ada", ADA)
    shipped = env.service.ship_kit(kit.kit_id, tracking="1Z")
    assert (KitStatus.SHIPPED, ADA, "1Z") == (shipped.status, shipped.address, shipped.tracking)
    kit_kinds = [k for k in kinds(env) if k.startswith("kit_")]
    assert ["kit_held", "kit_released", "kit_shipped"] == kit_kinds
    notice = env.outbox.last(KIT_SHIPPED_KIND)
    assert ("ada@example.com", "1Z") == (notice.to, notice.data["tracking"])


def test_queued_kit_whose_address_was_removed_is_not_shipped(env: Env) -> None:
    """A kit queued earlier is not shipped after the address was removed."""
    earn(env)
    (kit,) = env.service.kits_of("ada")
    assert KitStatus.QUEUED == kit.status
    env.people.remove_postal_address("ada")
    with pytest.raises(Conflict) as info:
        env.service.ship_kit(kit.kit_id)
    assert "no_postal_address" == info.value.code
    assert KitStatus.QUEUED == env.service.get_kit(kit.kit_id).status


def test_a_queued_kit_of_a_revoked_award_is_not_shipped(env: Env) -> None:
    """A kit celebrates an award: once the award is revoked, shipping its queued kit
    is refused (``award_revoked``) and nothing is written or sent."""
    earn(env)
    (kit,) = env.service.kits_of("ada")
    env.clock.advance(timedelta(days=1))
    env.service.revoke("ada", kit.award_id, reason="misconduct")
    before = env.snapshot()
    with pytest.raises(IllegalTransition) as info:
        env.service.ship_kit(kit.kit_id, tracking="1Z")
    assert ("award_revoked", kit.kit_id) == (info.value.code, info.value.details["kit_id"])
    assert before == env.snapshot()
    assert KitStatus.QUEUED == env.service.get_kit(kit.kit_id).status


def test_a_held_kit_of_a_revoked_award_stays_held(env: Env) -> None:
    """A held kit whose award was revoked is not released when the address arrives,
    and not shipped; the candidate's other held kits still are."""
    env.people.remove_postal_address("ada")
    earn(env)
    (kit,) = env.service.kits_of("ada")
    env.clock.advance(timedelta(days=1))
    env.service.revoke("ada", kit.award_id, reason="misconduct")
    env.people.update_contact("ada", ADA)
    assert () == env.service.release_held_kits("ada")
    assert (kit.kit_id,) == tuple(k.kit_id for k in env.service.held_kits("ada"))
    with pytest.raises(IllegalTransition) as info:
        env.service.ship_kit(kit.kit_id)
    assert "award_revoked" == info.value.code
    assert "kit_shipped" not in kinds(env)


def test_a_kit_of_an_expired_award_still_goes(env: Env) -> None:
    """An award that expired was still achieved: its kit is shipped."""
    earn(env)
    (kit,) = env.service.kits_of("ada")
    env.clock.advance(timedelta(days=3 * 366))
    assert KitStatus.SHIPPED == env.service.ship_kit(kit.kit_id).status


@given(
    revoked_after=st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
    asked_after=st.integers(min_value=0, max_value=100),
)
def test_a_kit_is_kept_exactly_while_its_grant_is_not_revoked(
    revoked_after: int | None, asked_after: int
) -> None:
    """kit_award_kept is true exactly before the grant's revocation (or when none),
    and require_kit_award_kept refuses exactly when it is false."""
    revoked_at = None if revoked_after is None else START + timedelta(hours=revoked_after)
    grant = AwardGrant("g-1", "scs-endpoint", START, revoked_at=revoked_at)
    state = CandidateAwards("ada", grants=(grant,))
    kit = rules.new_kit(kit_id="k", candidate_id="ada", grant=grant, recipient=ADA, at=START)
    held = rules.new_kit(kit_id="h", candidate_id="ada", grant=grant, recipient=None, at=START)
    at = START + timedelta(hours=asked_after)
    kept = revoked_at is None or at < revoked_at
    assert kept == rules.kit_award_kept(state, kit, at)
    assert kept == rules.releasable(held, ADA, state, at)
    if kept:
        rules.require_kit_award_kept(state, kit, at)
    else:
        with pytest.raises(IllegalTransition):
            rules.require_kit_award_kept(state, kit, at)


def test_kit_notices_off_sends_no_kit_mail_but_the_kit_still_goes(env: Env) -> None:
    """With the achievement_kits notification off no kit e-mail is sent; the kit itself
    is still held, released and shipped (the document lets people refuse notifications,
    not kits)."""
    env.people.set_kit_notices("ada", False)
    env.people.remove_postal_address("ada")
    earn(env)
    (kit,) = env.service.kits_of("ada")
    env.people.update_contact("ada", ADA)
    shipped = env.service.ship_kit(kit.kit_id)
    assert KitStatus.SHIPPED == shipped.status
    sent = [m.kind for m in env.outbox.messages]
    assert KIT_HELD_KIND not in sent
    assert KIT_SHIPPED_KIND not in sent


def test_a_directory_without_the_kit_methods_still_works() -> None:
    """A directory written before kit_recipient / kit_notices_to existed: kits are
    queued for contact_details, and no kit notices are sent."""

    class OldDirectory:
        def exists(self, candidate_id: str) -> bool:
            return True

        def contact_details(self, candidate_id: str) -> KitAddress:
            return ADA

        def has_accepted_current_terms(self, candidate_id: str) -> bool:
            return True

    env = Env(MemoryStore())
    env.service._candidates = OldDirectory()  # type: ignore[assignment]
    earn(env)
    (kit,) = env.service.kits_of("ada")
    assert (KitStatus.QUEUED, ADA) == (kit.status, kit.address)
    env.service.ship_kit(kit.kit_id)
    assert () == env.outbox.messages


def test_static_directory_answers_the_kit_methods() -> None:
    """StaticCandidateDirectory: kit_recipient is None without an address on file,
    kit_notices_to None with notices off."""
    people = StaticCandidateDirectory()
    people.add("c", ADA, postal_address_on_file=False, kit_notices=False)
    assert (None, None) == (people.kit_recipient("c"), people.kit_notices_to("c"))
    people.update_contact("c", ADA)
    people.set_kit_notices("c", True)
    assert (ADA, "ada@example.com") == (people.kit_recipient("c"), people.kit_notices_to("c"))


# -- whatever the order: never shipped without an address -------------------------------------

STEPS = st.lists(
    st.sampled_from(["earn", "drop", "address", "release", "ship", "deliver", "notices", "revoke"]),
    max_size=14,
)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_kit_is_never_shipped_without_a_postal_address(backend: str, tmp_path: Path) -> None:
    """Whatever the order of earning, removing and adding the address, releasing,
    shipping, delivering and revoking: a kit is shipped only while an address is on
    file, to that address, and while its award is not revoked; a held kit always has
    its reason; after release with an address on file nothing stays held but the
    kit of a revoked award."""
    counter = iter(range(10_000))

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=STEPS, first=st.booleans())
    def run(steps: list[str], first: bool) -> None:
        directory = tmp_path / f"run{next(counter)}"
        directory.mkdir()
        store = make_store(backend, directory)
        try:
            env = Env(store)
            on_file = first
            if not on_file:
                env.people.remove_postal_address("ada")
            for step in steps:
                on_file = _step(env, step, on_file)
                _check(env, on_file)
            if on_file:
                env.service.release_held_kits("ada")
                assert _revoked(env) or () == env.service.held_kits("ada")
        finally:
            store.close()

    run()


def _step(env: Env, step: str, on_file: bool) -> bool:
    """Apply one step; return whether an address is on file afterwards."""
    kits = env.service.kits_of("ada")
    if step == "earn" and not kits:
        earn(env)
    elif step == "drop":
        env.people.remove_postal_address("ada")
        return False
    elif step == "address":
        env.people.update_contact("ada", ADA)
        return True
    elif step == "release":
        env.service.release_held_kits("ada")
    elif step == "notices":
        env.people.set_kit_notices("ada", not env.people.kit_notices_to("ada"))
    elif step == "revoke" and kits and not _revoked(env):
        env.clock.advance(timedelta(hours=1))
        env.service.revoke("ada", kits[0].award_id, reason="misconduct")
    for kit in kits:
        if step == "ship" and kit.status in (KitStatus.HELD, KitStatus.QUEUED):
            try:
                shipped = env.service.ship_kit(kit.kit_id)
            except IllegalTransition as exc:
                assert _revoked(env) and "award_revoked" == exc.code  # noqa: PT017
            except Conflict as exc:
                assert not on_file and "no_postal_address" == exc.code  # noqa: PT017
            else:
                assert on_file and not _revoked(env) and ADA == shipped.address
        elif step == "deliver" and kit.status is KitStatus.SHIPPED:
            env.service.deliver_kit(kit.kit_id)
    return on_file


def _revoked(env: Env) -> bool:
    """Whether the candidate's award (the one that made the kit) was revoked."""
    return any(g.revoked_at is not None for g in env.service.grants_of("ada"))


def _check(env: Env, on_file: bool) -> None:
    for kit in env.service.kits_of("ada"):
        assert (kit.status is KitStatus.HELD) == (kit.hold_reason is not None)
        if kit.status in (KitStatus.SHIPPED, KitStatus.DELIVERED):
            assert ADA == kit.address
        if kit.status is KitStatus.HELD:
            assert KitHoldReason.NO_POSTAL_ADDRESS == kit.hold_reason
    for message in env.outbox.messages:
        assert message.kind in (KIT_HELD_KIND, KIT_SHIPPED_KIND)
