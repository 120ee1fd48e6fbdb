"""Pure consent rules and models: policy comparison, decisions, validation, catalogues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.consent import (
    Choice,
    ChoiceState,
    ConsentState,
    LegalBasis,
    Policy,
    PolicyCatalogue,
    Purpose,
    PurposeKind,
    Recipient,
    Transfer,
    check_subject,
    decide,
    diff_policies,
)
from symprogram.errors import CatalogueError, LimitExceeded, ValidationError
from symprogram.testing import _consent as cst

T0 = datetime(2011, 1, 14, tzinfo=UTC)


def _state(*choices: ChoiceState) -> ConsentState:
    return ConsentState("s1", choices=choices, last_at=T0, length=len(choices))


@settings(max_examples=50)
@given(policy=cst.policies())
def test_a_policy_compared_with_itself_changes_nothing(policy: Policy) -> None:
    """diff(p, p) lists no change and is not material."""
    change = diff_policies(policy, attrs.evolve(policy, version="other"))
    assert (False, (), (), (), ()) == (
        change.material,
        change.purposes_added,
        change.purposes_removed,
        change.basis_changed,
        change.affected,
    )


@settings(max_examples=50)
@given(policy=cst.policies(), extra=cst.purposes(id="zz_new_purpose"))
def test_adding_a_purpose_is_material_and_affects_it(policy: Policy, extra: Purpose) -> None:
    """A new purpose is a change in use: material, and the purpose is affected."""
    new = attrs.evolve(policy, version="next", purposes=(*policy.purposes, extra))
    change = diff_policies(policy, new)
    assert (True, ("zz_new_purpose",)) == (change.material, change.purposes_added)
    assert "zz_new_purpose" in change.affected
    assert change.notice is not None and change.notice.prominent


@settings(max_examples=50)
@given(
    before=st.sampled_from(LegalBasis),
    after=st.sampled_from(LegalBasis),
)
def test_only_a_widening_basis_is_material(before: LegalBasis, after: LegalBasis) -> None:
    """opt-in -> opt-out -> necessary widens use (material); the other way does not."""
    old = PolicyCatalogue.default().latest
    old = attrs.evolve(old, purposes=(Purpose("p", "P", before),), recipients=())
    new = attrs.evolve(old, version="next", purposes=(Purpose("p", "P", after),))
    change = diff_policies(old, new)
    order = [LegalBasis.OPT_IN, LegalBasis.OPT_OUT, LegalBasis.NECESSARY]
    assert (order.index(after) > order.index(before)) == change.material


@settings(max_examples=50)
@given(
    before=st.sampled_from(LegalBasis),
    after=st.sampled_from(LegalBasis),
    recipient=st.booleans(),
    days=st.integers(min_value=0, max_value=400),
)
def test_an_unnotified_subject_is_never_allowed_a_changed_use(
    before: LegalBasis, after: LegalBasis, recipient: bool, days: int
) -> None:
    """Whatever the bases and whether the change is a widening or a new recipient: a
    subject who joined before a material change affecting a purpose, and was not
    notified of it, is denied that purpose with ``not_yet_notified_of_material_change``
    once it took effect, a necessary one included; a change that affects it not,
    never."""
    start = PolicyCatalogue.default().latest
    old = attrs.evolve(start, purposes=(Purpose("p", "P", before),), recipients=())
    extra = (Recipient("r", "R", ("p",)),) if recipient else ()
    new = attrs.evolve(
        old,
        version="next",
        effective_at=old.effective_at + timedelta(days=1),
        purposes=(Purpose("p", "P", after),),
        recipients=extra,
    )
    catalogue = PolicyCatalogue((old, new))
    affected = "p" in catalogue.change("next").affected
    joined = ConsentState("s1", last_at=old.effective_at, length=1, known=True)
    at = new.effective_at + timedelta(days=days)
    decision = decide(joined, catalogue, "p", at)
    assert affected == ("not_yet_notified_of_material_change" in decision.codes)
    if affected:
        assert not decision.allowed


def test_new_transfer_affects_every_non_necessary_purpose() -> None:
    """Adding a transfer route is material for every purpose that is not necessary,
    but for the express consent to the remote-access terms (a ``terms`` purpose):
    the transfer does not change those terms."""
    old = PolicyCatalogue.default().latest
    new = attrs.evolve(
        old, version="next", transfers=(*old.transfers, Transfer("apac", ("EU", "SG")))
    )
    change = diff_policies(old, new)
    expected = sorted(
        p.id
        for p in old.purposes
        if p.basis is not LegalBasis.NECESSARY and p.kind is not PurposeKind.TERMS
    )
    assert (True, ("apac",), expected) == (
        change.material,
        change.transfers_added,
        list(change.affected),
    )
    assert "remote_access" not in change.affected


@settings(max_examples=100)
@given(
    policy=cst.policies(),
    data=st.data(),
    transfer=st.booleans(),
    recipient=st.booleans(),
)
def test_a_change_affects_a_terms_purpose_only_when_it_names_it(
    policy: Policy, data: st.DataObject, transfer: bool, recipient: bool
) -> None:
    """A new transfer, or a new recipient, affects a ``terms`` purpose only when the
    recipient receives it; a transfer, or a recipient listing no purpose, affects
    every non-necessary use; a recipient's listed purposes are affected."""
    ids = [p.id for p in policy.purposes]
    named = tuple(data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=2)))
    transfers = policy.transfers
    if transfer or not recipient:
        transfers = (*transfers, Transfer("zz_new_transfer", ("EU", "IN")))
    recipients = policy.recipients
    if recipient:
        recipients = (*recipients, Recipient("zz_new_recipient", "New recipient", named))
    change = diff_policies(
        policy, attrs.evolve(policy, version="next", transfers=transfers, recipients=recipients)
    )
    terms = {p.id for p in policy.purposes if p.kind is PurposeKind.TERMS}
    uses = {
        p.id
        for p in policy.purposes
        if p.basis is not LegalBasis.NECESSARY and p.kind is not PurposeKind.TERMS
    }
    received = set(named) if recipient else set()
    assert received & terms == set(change.affected) & terms
    assert received <= set(change.affected)
    if transfers != policy.transfers or (recipient and not named):
        assert uses <= set(change.affected)
    assert change.material


def test_recipient_without_purposes_affects_every_non_necessary_purpose() -> None:
    """A new recipient with no listed purposes is material for all non-necessary purposes."""
    old = PolicyCatalogue.default().latest
    new = attrs.evolve(
        old, version="next", recipients=(*old.recipients, Recipient("auditors", "Auditors"))
    )
    assert (True, ("auditors",)) == (
        diff_policies(old, new).material,
        diff_policies(old, new).recipients_added,
    )


@settings(max_examples=50)
@given(
    purpose=st.sampled_from(["special_offers", "research", "newsletters", "cookies.tracking"]),
    last=st.sampled_from([Choice.REFUSED, Choice.WITHDRAWN, Choice.OPTED_OUT]),
    channel=st.sampled_from([None, "email", "phone", "postal_mail"]),
)
def test_decide_denies_after_any_negative_choice(
    purpose: str, last: Choice, channel: str | None
) -> None:
    """Whatever the purpose and channel, a standing negative choice denies with its code."""
    catalogue = PolicyCatalogue.default()
    item = ChoiceState(purpose, last, T0, "phone", "2005-07", 1)
    decision = decide(_state(item), catalogue, purpose, T0, channel)
    assert (False, last.value) == (decision.allowed, decision.codes[0])


def test_decide_without_policy_in_effect() -> None:
    """Before the first policy took effect nothing is allowed."""
    decision = decide(_state(), PolicyCatalogue.default(), "purchases_downloads", T0.replace(2000))
    assert ("no_policy_in_effect",) == decision.codes


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [
        ("ann@example.com", ValidationError, "invalid_subject"),
        ("Ann Example", ValidationError, "invalid_subject"),
        ("", ValidationError, "invalid_subject"),
        (42, ValidationError, "invalid_subject"),
        ("a" * 129, LimitExceeded, "subject_too_long"),
    ],
)
def test_subjects_must_be_pseudonymous(value: Any, error: type[Exception], code: str) -> None:
    """Emails, names, empty and over-long subjects are refused."""
    with pytest.raises(error) as info:
        check_subject(value)
    assert code == info.value.code  # type: ignore[attr-defined]


def test_default_catalogue_follows_the_seed() -> None:
    """The default policy holds the seed's scope, purposes, data, recipients and transfers."""
    policy = PolicyCatalogue.default().latest
    assert (("symantec.com",), "veritas.com") == (policy.sites, policy.referrals[0].site)
    assert {
        "virus_alerts",
        "product_upgrades",
        "new_products",
        "newsletters",
        "research",
        "relevant_content",
        "special_offers",
        "product_improvement",
        "purchases_downloads",
        "finding_information",
        "partner_sharing",
        "cookies.necessary",
        "cookies.preferences",
        "cookies.tracking",
    } <= {p.id for p in policy.purposes}
    order = policy.activity("order")
    assert order is not None and ("name", "address", "card_number") == order.data
    assert {"business_partners", "contractors", "officials"} == {r.id for r in policy.recipients}
    assert ("EU", "US", "EU") == policy.transfers[0].route
    assert policy.covers("www.symantec.com") and not policy.covers("veritas.com")
    catalogue = PolicyCatalogue.default()
    assert "http://www.veritas.com/privacypolicy/PolicyHome.jhtml" == catalogue.site_policy(
        "veritas.com", T0
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("version = ", "invalid_toml"),
        (
            'version = "1"\neffective_at = 2005-01-01T00:00:00Z\ntitle = "t"\nsites = []\n'
            'purposes = [{id = "a", title = "A", basis = "opt_in"}]',
            "no_scope",
        ),
        (
            'version = "1"\neffective_at = 2005-01-01T00:00:00Z\ntitle = "t"\nsites = ["a.com"]\n'
            'purposes = [{id = "a", title = "A", basis = "maybe"}]',
            "catalogue_invalid",
        ),
        (
            'version = "1"\neffective_at = 2005-01-01T00:00:00Z\ntitle = "t"\nsites = ["a.com"]\n'
            'purposes = [{id = "a", title = "A", basis = "opt_in"}, '
            '{id = "a", title = "B", basis = "opt_in"}]',
            "duplicate_purpose",
        ),
        (
            'version = "1"\neffective_at = 2005-01-01T00:00:00Z\ntitle = "t"\nsites = ["a.com"]\n'
            'purposes = [{id = "a", title = "A", basis = "opt_in"}]\n'
            'recipients = [{id = "r", name = "R", purposes = ["zz"]}]',
            "unknown_purpose",
        ),
        (
            'version = "1"\neffective_at = 2005-01-01T00:00:00\ntitle = "t"\nsites = ["a.com"]\n'
            'purposes = [{id = "a", title = "A", basis = "opt_in"}]',
            "naive_datetime",
        ),
    ],
)
def test_bad_policy_files_raise_catalogue_errors(text: str, code: str) -> None:
    """An invalid policy file raises CatalogueError with a stable code."""
    with pytest.raises(CatalogueError) as info:
        PolicyCatalogue.from_toml(text, source="bad.toml")
    assert code == info.value.code
    assert "bad.toml" in info.value.message


def test_catalogue_loads_several_versions_from_a_file(tmp_path: Path) -> None:
    """A file with [[policies]] tables yields every version in effect-date order."""
    one = (
        '[[policies]]\nversion = "{v}"\neffective_at = {d}\ntitle = "t"\nsites = ["a.com"]\n'
        'purposes = [{{id = "a", title = "A", basis = "opt_in"}}]\n'
    )
    path = tmp_path / "p.toml"
    path.write_text(
        one.format(v="2", d="2006-01-01T00:00:00Z") + one.format(v="1", d="2005-01-01T00:00:00Z")
    )
    catalogue = PolicyCatalogue.load(path)
    assert ("1", "2") == catalogue.versions
    assert "1" == catalogue.in_effect(datetime(2005, 6, 1, tzinfo=UTC)).version  # type: ignore[union-attr]
    with pytest.raises(CatalogueError) as info:
        PolicyCatalogue.load(tmp_path / "missing.toml")
    assert "catalogue_not_found" == info.value.code


def test_catalogue_refuses_duplicates() -> None:
    """Two versions with the same name or effective instant are refused."""
    policy = PolicyCatalogue.default().latest
    with pytest.raises(CatalogueError) as info:
        PolicyCatalogue([policy, attrs.evolve(policy, effective_at=T0)])
    assert "duplicate_version" == info.value.code
    with pytest.raises(CatalogueError) as same:
        PolicyCatalogue([policy, attrs.evolve(policy, version="x")])
    assert "duplicate_effective_date" == same.value.code
    with pytest.raises(CatalogueError) as empty:
        PolicyCatalogue([])
    assert "empty_catalogue" == empty.value.code


@settings(max_examples=30)
@given(catalogue=cst.policy_catalogues(max_size=3), offset=st.integers(-1000, 10_000))
def test_in_effect_is_the_latest_policy_effective_by_then(
    catalogue: PolicyCatalogue, offset: int
) -> None:
    """in_effect(T) is the version with the greatest effective date <= T."""
    at = catalogue.policies[0].effective_at + timedelta(days=offset)
    candidates = [p for p in catalogue.policies if p.effective_at <= at]
    expected = candidates[-1] if candidates else None
    assert expected == catalogue.in_effect(at)
