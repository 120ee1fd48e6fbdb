"""A notice of a version is notice of that version's own material change only.

The privacy policy: "If the change involves the use of your personally
identifiable information, the notice will contain instructions on how you can
opt-out of such use." The notice of a version (``material_change_notice``) names
the uses that version changes and how to opt out of them, nothing earlier. So
recording the notice of a later version leaves an earlier change it never
mentions waiting for its own notice; being shown a version when granting or
refusing (the whole policy) still covers every change up to it.

Before the fix, ``record_notice(subject, "2012-04")`` made every change up to
2012-04 count as notified: special offers went to the ad network 2012-03 added,
whose notice the person never got.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, PolicyCatalogue, Recipient, rules
from symprogram.consent.models import ConsentState

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)
VERSIONS = ("2012-01", "2012-02", "2012-03", "2012-04")
PURPOSES = ("special_offers", "newsletters", "research")


def _catalogue(changed: list[str]) -> PolicyCatalogue:
    """The default policy, then one version per entry of ``changed``, each adding a
    recipient of that purpose (a material change of it only)."""
    catalogue = PolicyCatalogue.default()
    policy = catalogue.latest
    for n, purpose in enumerate(changed):
        policy = attrs.evolve(
            policy,
            version=VERSIONS[n],
            effective_at=T0 + (n + 1) * DAY,
            recipients=(*policy.recipients, Recipient(f"r{n}", f"Recipient {n}", (purpose,))),
        )
        catalogue = catalogue.with_policy(policy)
    return catalogue


@settings(max_examples=200, deadline=None)
@example(changed=["special_offers", "newsletters"], noticed={"2012-02"}, shown=None)
@example(changed=["special_offers", "special_offers"], noticed={"2012-02"}, shown="2012-01")
@given(
    changed=st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=len(VERSIONS)),
    noticed=st.sets(st.sampled_from(VERSIONS)),
    shown=st.none() | st.sampled_from(VERSIONS),
)
def test_a_use_waits_until_each_of_its_changes_was_noticed(
    changed: list[str], noticed: set[str], shown: str | None
) -> None:
    """Allowed iff every change of the use is covered: by a notice of its own
    version, or by a version at least as recent shown when granting or refusing."""
    catalogue = _catalogue(changed)
    versions = VERSIONS[: len(changed)]
    entries: list[tuple[str, dict[str, object], datetime, int]] = [
        ("data_collected", {"policy_version": "2005-07", "shown": False}, T0, 1)
    ]
    at = T0 + 10 * DAY
    for version in sorted(noticed & set(versions)):
        entries.append(("notice_recorded", {"policy_version": version}, at, len(entries) + 1))
    if shown in versions:
        choice = {"topic": "partner_sharing", "choice": "granted", "channel": "web_form"}
        entries.append(("consent_recorded", {**choice, "policy_version": shown}, at, 99))
    state = rules.replay("cust-1", entries)
    assert state is not None
    shown_rank = catalogue.rank(shown) if shown in versions else -1
    for purpose in PURPOSES:
        expected = all(
            version in noticed or shown_rank >= catalogue.rank(version)
            for version, p in zip(versions, changed, strict=True)
            if p == purpose
        )
        decision = rules.decide(state, catalogue, purpose, at)
        assert expected == decision.allowed, (purpose, decision.codes)
        if not expected:
            assert ("not_yet_notified_of_material_change",) == decision.codes
    for version in versions:
        rank = catalogue.rank(version)
        expected = version in noticed or shown_rank >= rank
        assert expected == rules.notified_of(state, catalogue, rank)


def test_the_later_notice_leaves_the_earlier_change_waiting(
    consent: ConsentService, clock: FixedClock
) -> None:
    """The probe's case on a store: may_use, the audience (index and scan) and the
    subjects to notify agree before and after each notice."""
    consent.record_personal_data("cust-42", "product_registration", {"name": "Ada"})
    consent.grant("cust-42", "special_offers", channel="web_form")
    v1 = consent.get_policy()
    ads = Recipient("ads", "Ad network", ("special_offers",))
    v2 = attrs.evolve(
        v1, version="2011-02", effective_at=T0 + DAY, recipients=(*v1.recipients, ads)
    )
    consent.publish_policy(v2)
    mailer = Recipient("mailer", "Mailing house", ("newsletters",))
    v3 = attrs.evolve(
        v2, version="2011-03", effective_at=T0 + 2 * DAY, recipients=(*v2.recipients, mailer)
    )
    assert "special offers" not in consent.publish_policy(v3).notice.text.lower()  # type: ignore[union-attr]
    clock.advance(3 * DAY)
    consent.record_notice("cust-42", "2011-03")
    waiting = ("not_yet_notified_of_material_change",)
    assert waiting == consent.may_use("cust-42", "special_offers").codes
    assert ("not_opted_out",) == consent.may_use("cust-42", "newsletters").codes
    assert "cust-42" not in set(consent.iter_audience("special_offers", "email"))
    assert ["cust-42"] == list(consent.iter_subjects_to_notify("2011-02"))
    assert [] == list(consent.iter_subjects_to_notify("2011-03"))
    consent.record_notice("cust-42", "2011-02")
    assert ("granted",) == consent.may_use("cust-42", "special_offers").codes
    assert ["cust-42"] == list(consent.iter_audience("special_offers", "email"))
    assert [] == list(consent.iter_subjects_to_notify("2011-02"))
    assert consent.verify("cust-42").ok


def test_an_audience_entry_with_notices_defers_to_the_projection() -> None:
    """``rules.entry_allows``: a subject only sent notices is answered by the projection
    (``None``) unless a version shown covers the change; an entry written before
    ``notices`` existed reads as before."""
    catalogue = _catalogue(["special_offers", "special_offers"])
    entry = {"choice": "granted", "off": [], "seen": ["2005-07", "2012-02"], "last": 0}
    assert rules.entry_allows(entry, 2, None, catalogue) is True  # written before: as before
    assert rules.entry_allows({**entry, "notices": ["2012-02"]}, 2, None, catalogue) is None
    shown = {**entry, "seen": ["2012-02"], "notices": []}
    assert rules.entry_allows(shown, 2, None, catalogue) is True
    assert rules.entry_allows({**entry, "seen": ["2005-07"]}, 2, None, catalogue) is False
    granted = rules.replay(
        "cust-1",
        [
            ("data_collected", {"policy_version": "2005-07", "shown": False}, T0, 1),
            ("consent_recorded", _grant("2005-07"), T0, 2),
            ("notice_recorded", {"policy_version": "2012-02"}, T0 + 5 * DAY, 3),
        ],
    )
    assert granted is not None
    assert ("2012-02",) == granted.notice_only
    written = rules.audience_entry(granted, "special_offers")
    assert written is not None
    assert ["2012-02"] == written["notices"]
    assert rules.audience_entry(ConsentState("cust-2", length=1, last_at=T0), "x") is None


def _grant(version: str) -> dict[str, object]:
    return {
        "topic": "special_offers",
        "choice": "granted",
        "channel": "web_form",
        "policy_version": version,
    }
