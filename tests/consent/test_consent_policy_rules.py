"""Properties of the rules about the policy's content and readings (issue 16).

Pure functions only: ``rules.check_site_in_scope``, ``rules.decide`` on both
readings of the default policy, ``rules.collect_data`` for open-ended activities,
``rules.request_correction`` for the items a subject's file records as gathered,
``messages.material_change_notice`` and the readings loader.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.consent import (
    Channel,
    Choice,
    ChoiceState,
    Collection,
    ConsentState,
    ContactUse,
    DataItem,
    LegalBasis,
    PolicyCatalogue,
    PolicyReading,
    PurposeKind,
    SeenPolicy,
    SubjectFile,
    messages,
    rules,
)
from symprogram.consent import catalogue as catalogue_module
from symprogram.errors import CatalogueError, ValidationError
from symprogram.testing._consent import activities, identifiers, policies, sites

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DOCUMENT = PolicyCatalogue.default()
OPT_IN = PolicyCatalogue.default(reading="opt_in")
CATALOGUES = {PolicyReading.DOCUMENT: DOCUMENT, PolicyReading.OPT_IN: OPT_IN}


def _raw(name: str) -> dict[str, Any]:
    text = resources.files("symprogram").joinpath(f"data/consent/{name}").read_text("utf-8")
    return tomllib.loads(text)


@st.composite
def _policy_and_site(draw: st.DrawFn) -> tuple[Any, str]:
    policy = draw(policies())
    referred = [r.site for r in policy.referrals]
    choices = [sites()]
    if referred:
        choices.append(st.sampled_from(referred))
        choices.append(st.sampled_from(referred).map(lambda s: f"www.{s}"))
    return policy, draw(st.one_of(*choices))


@given(_policy_and_site())
def test_a_site_referred_to_its_own_policy_is_refused_with_its_pointer(case: Any) -> None:
    """Refused exactly when the policy refers the site elsewhere; the pointer is the data's."""
    policy, site = case
    referral = policy.referral(site)
    if referral is None:
        assert site == rules.check_site_in_scope(policy, site)
        return
    with pytest.raises(ValidationError) as info:
        rules.check_site_in_scope(policy, site)
    assert ("site_has_own_policy", referral.url) == (
        info.value.code,
        info.value.details["policy_url"],
    )


def test_no_site_is_in_scope() -> None:
    """Without a site there is nothing to refuse."""
    assert None is rules.check_site_in_scope(DOCUMENT.latest, None)


@st.composite
def _policy_and_any_site(draw: st.DrawFn) -> tuple[Any, str]:
    policy = draw(policies())
    own = [*policy.sites, *(c.site for c in policy.cobranded_sites)]
    choices = [sites()]
    if own:
        choices.append(st.sampled_from(own))
        choices.append(st.sampled_from(own).map(lambda s: f"www.{s}".upper()))
        choices.append(st.sampled_from(own).map(lambda s: f"{s}.evil.example"))
    return policy, draw(st.one_of(*choices))


def _in_scope(policy: Any, site: str) -> bool:
    host = site.lower()
    own = [*policy.sites, *(c.site for c in policy.cobranded_sites)]
    return any(host == s or host.endswith("." + s) for s in own)


@given(_policy_and_any_site())
def test_a_site_outside_the_policys_scope_is_not_covered(case: Any) -> None:
    """ "This Privacy Policy applies to symantec.com hosted web sites": a site is
    covered exactly when it is one of the policy's sites or co-branded sites, or a
    subdomain of one; a policy that names no sites scopes nothing."""
    policy, site = case
    if not policy.sites or _in_scope(policy, site):
        assert site == rules.check_site_covered(policy, site)
        return
    with pytest.raises(ValidationError) as info:
        rules.check_site_covered(policy, site)
    assert ("site_not_covered", "site") == (info.value.code, info.value.field)


def test_no_site_is_covered() -> None:
    """Without a site there is nothing to refuse."""
    assert None is rules.check_site_covered(DOCUMENT.latest, None)


_TOPICS = [p.id for p in DOCUMENT.latest.purposes]


@st.composite
def _states(draw: st.DrawFn) -> ConsentState:
    topics = draw(st.lists(st.sampled_from(_TOPICS), unique=True, max_size=6))
    choices = tuple(
        sorted(
            (
                ChoiceState(
                    topic,
                    draw(st.sampled_from(Choice)),
                    T0,
                    draw(st.sampled_from(Channel)),
                    "2005-07",
                    i + 1,
                )
                for i, topic in enumerate(topics)
            ),
            key=lambda c: c.topic,
        )
    )
    return ConsentState(
        "s-1", choices=choices, seen=(SeenPolicy("2005-07", T0),), last_at=T0, length=len(topics)
    )


@given(_states(), st.sampled_from(_TOPICS), st.sampled_from(list(PolicyReading)))
def test_decisions_follow_the_basis_of_the_reading(
    state: ConsentState, purpose: str, reading: PolicyReading
) -> None:
    """Necessary: allowed; opt-in: only a grant; opt-out: unless a refusal, withdrawal or
    opt-out stands. On the document's reading only the terms purpose is opt-in."""
    catalogue = CATALOGUES[reading]
    declared = catalogue.latest.purpose(purpose)
    assert declared is not None
    decision = rules.decide(state, catalogue, purpose, T0)
    item = state.choice(purpose)
    standing = None if item is None else item.choice
    if declared.basis is LegalBasis.NECESSARY:
        expected = True
    elif declared.basis is LegalBasis.OPT_IN:
        expected = standing is Choice.GRANTED
    else:
        expected = standing in (None, Choice.GRANTED)
    assert expected == decision.allowed
    if reading is PolicyReading.DOCUMENT and declared.kind is not PurposeKind.TERMS:
        assert "never_asked_opt_in" not in decision.codes
    if not decision.allowed and declared.consequence:
        assert declared.consequence == decision.detail("consequence")


@given(policies(), st.data())
def test_material_change_notice_names_the_contact_points(policy: Any, data: Any) -> None:
    """The notice of a material change carries every preferences contact point, in its text."""
    ids = [p.id for p in policy.purposes]
    affected = data.draw(st.lists(st.sampled_from(ids), unique=True, min_size=1))
    notice = messages.material_change_notice(policy, affected)
    points = policy.contact_points_for(ContactUse.PREFERENCES)
    assert points == notice.contact_points
    for point in points:
        assert point.one_line in notice.text
    assert notice.prominent and "opt out" in notice.text


@given(
    activities(),
    st.dictionaries(identifiers(), st.just("x"), min_size=1, max_size=5),
)
def test_open_ended_activities_accept_any_item_listed_ones_only_theirs(
    activity: Any, items: dict[str, str]
) -> None:
    """An open-ended activity gathers what the page asks; a listed one only its items."""
    policy = DOCUMENT.latest
    policy = type(policy)(
        version=policy.version,
        effective_at=policy.effective_at,
        title=policy.title,
        sites=policy.sites,
        purposes=policy.purposes,
        activities=(activity,),
    )
    undeclared = sorted(set(items) - set(activity.data))
    file = SubjectFile("s-1")
    if activity.open_ended or not undeclared:
        event, updated = rules.collect_data(
            policy, file, activity.id, items, Channel.WEB_FORM, None, T0
        )
        assert tuple(sorted(items)) == event.items
        assert sorted(items) == [d.name for d in updated.data]
        return
    with pytest.raises(ValidationError) as info:
        rules.collect_data(policy, file, activity.id, items, Channel.WEB_FORM, None, T0)
    assert ("data_not_declared", undeclared) == (info.value.code, info.value.details["items"])


@given(
    st.lists(st.lists(identifiers(), min_size=1, max_size=4), max_size=3),
    st.lists(identifiers(), max_size=3),
    st.data(),
)
def test_a_correction_may_name_what_the_file_records_as_gathered(
    named: list[list[str]], held: list[str], data: st.DataObject
) -> None:
    """An item can be corrected when an activity of the policy declares it or the
    subject's file records it as gathered (by name in a collection, or as a value
    held); any other item is refused with ``data_not_declared`` and its name."""
    policy = DOCUMENT.latest
    file = SubjectFile(
        "s-1",
        data=tuple(DataItem(name, "v", "order", T0) for name in sorted(set(held))),
        collections=tuple(
            Collection("other_activities", tuple(sorted(set(names))), T0, "web_form", "2005-07")
            for names in named
        ),
    )
    declared = {item for activity in policy.activities for item in activity.data}
    gathered = {*held, *(name for names in named for name in names)}
    pool = sorted(declared | gathered)
    names = data.draw(
        st.lists(st.sampled_from(pool) | identifiers(), min_size=1, max_size=4, unique=True)
    )
    changes = dict.fromkeys(names, "corrected")
    assert rules.correctable_items(policy, file) == declared | gathered
    undeclared = sorted(set(changes) - declared - gathered)
    if undeclared:
        with pytest.raises(ValidationError) as info:
            rules.request_correction(policy, file, changes, Channel.PROFILE_FORM, T0)
        assert ("data_not_declared", "changes", undeclared) == (
            info.value.code,
            info.value.field,
            info.value.details["items"],
        )
        return
    request, event, updated = rules.request_correction(
        policy, file, changes, Channel.PROFILE_FORM, T0
    )
    assert (tuple(sorted(changes)), request.id) == (event.items, event.request)
    assert (file.data, file.collections, (request,)) == (
        updated.data,
        updated.collections,
        updated.corrections,
    )


@given(
    st.dictionaries(
        st.sampled_from(_TOPICS), st.sampled_from([b.value for b in LegalBasis]), max_size=5
    )
)
def test_a_reading_changes_exactly_the_bases_it_names(bases: dict[str, str]) -> None:
    """Applying a reading to the document's data changes only the named purposes' bases."""
    raw = _raw("policy.toml")
    read = catalogue_module._read(raw, PolicyReading.OPT_IN, {"opt_in": {"purposes": bases}})
    assert "opt_in" == read["reading"]
    for before, after in zip(raw["purposes"], read["purposes"], strict=True):
        assert bases.get(before["id"], before["basis"]) == after["basis"]
        assert {k: v for k, v in before.items() if k != "basis"} == {
            k: v for k, v in after.items() if k != "basis"
        }


def test_a_reading_naming_an_undeclared_purpose_is_refused() -> None:
    """A reading is checked against the policy it reads."""
    with pytest.raises(CatalogueError) as info:
        catalogue_module._read(
            _raw("policy.toml"), PolicyReading.OPT_IN, {"opt_in": {"purposes": {"x": "opt_in"}}}
        )
    assert "unknown_purpose" == info.value.code
    with pytest.raises(ValidationError) as bad:
        catalogue_module._read(
            _raw("policy.toml"),
            PolicyReading.OPT_IN,
            {"opt_in": {"purposes": {"research": "maybe"}}},
        )
    assert "invalid_basis" == bad.value.code


def test_the_shipped_opt_in_reading_names_declared_purposes() -> None:
    """readings.toml [opt_in] changes special offers, research and the registration cookies."""
    spec = _raw("readings.toml")["opt_in"]["purposes"]
    assert {"special_offers": "opt_in", "research": "opt_in", "cookies.necessary": "necessary"} == (
        spec
    )
