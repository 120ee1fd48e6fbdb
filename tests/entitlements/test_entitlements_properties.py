"""Properties of the entitlement rules (pure functions, no storage)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from symprogram.entitlements import (
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    EntitlementCatalogue,
    LanguageOutcome,
    Reader,
    StatusChange,
    SupportExtension,
    choose_language,
)
from symprogram.entitlements.models import status_at
from symprogram.entitlements.rules import access_decision
from symprogram.i18n import parse_tag
from symprogram.testing._entitlements import (
    DOCUMENT_IDS,
    LANGUAGES,
    LEVEL_IDS,
    agreements,
    customer_entitlements,
    instants,
)

CATALOGUE = EntitlementCatalogue.default()
GATED_AFTER = datetime(2011, 1, 15, tzinfo=UTC)


@st.composite
def holdings_with_history(draw: st.DrawFn) -> CustomerEntitlements:
    """Holdings whose agreements may have status changes and grants may be revoked."""
    holdings = draw(customer_entitlements(customer_id="C-1"))
    stopped = st.sampled_from([AgreementStatus.SUSPENDED, AgreementStatus.CANCELLED])
    agreements = []
    for agreement in holdings.agreements:
        if draw(st.booleans()):
            when = draw(instants(datetime(2009, 1, 1, tzinfo=UTC)))
            change = StatusChange(draw(stopped), when, "x", "y")
            agreement = attrs.evolve(agreement, status_changes=(change,))
        agreements.append(agreement)
    grants = []
    for grant in holdings.grants:
        if draw(st.booleans()):
            grant = attrs.evolve(
                grant, revoked_at=draw(instants()), revoked_by="x", revocation_reason="y"
            )
        grants.append(grant)
    return attrs.evolve(holdings, agreements=tuple(agreements), grants=tuple(grants))


WHEN = instants(datetime(2009, 1, 1, tzinfo=UTC), datetime(2016, 1, 1, tzinfo=UTC))


def decide(
    holdings: CustomerEntitlements, doc_id: str, at: datetime, logged_in: bool = True
) -> Any:
    """The access part of a decision."""
    document = CATALOGUE.document(doc_id)
    assert document is not None
    return access_decision(CATALOGUE, document, Reader("C-1", logged_in=logged_in), holdings, at)


@settings(max_examples=60)
@given(holdings_with_history(), st.sampled_from(DOCUMENT_IDS), WHEN, st.data())
def test_raising_a_level_never_removes_access(
    holdings: CustomerEntitlements, doc_id: str, at: datetime, data: st.DataObject
) -> None:
    """Raising the level of any agreement or grant keeps every access it gave."""
    before = decide(holdings, doc_id, at)[0]
    if not holdings.agreements and not holdings.grants:
        return
    use_agreement = bool(holdings.agreements) and (not holdings.grants or data.draw(st.booleans()))
    items = holdings.agreements if use_agreement else holdings.grants
    index = data.draw(st.integers(0, len(items) - 1))
    current = LEVEL_IDS.index(items[index].level)
    higher = data.draw(st.sampled_from(LEVEL_IDS[current:]))
    raised = tuple(attrs.evolve(x, level=higher) if i == index else x for i, x in enumerate(items))
    changed = attrs.evolve(holdings, **{"agreements" if use_agreement else "grants": raised})
    after = decide(changed, doc_id, at)[0]
    assert before <= after


@settings(max_examples=60)
@given(holdings_with_history(), st.sampled_from(DOCUMENT_IDS), WHEN)
def test_no_access_outside_agreement_or_grant_dates(
    holdings: CustomerEntitlements, doc_id: str, at: datetime
) -> None:
    """Access to a gated document needs an agreement or unrevoked grant in force at that instant."""
    allowed, reasons, _, access = decide(holdings, doc_id, at)
    if access.value != "entitlement":
        return
    in_force = any(a.active_at(at) for a in holdings.agreements) or any(
        g.active_at(at) for g in holdings.grants
    )
    if allowed:
        assert in_force
    if not in_force:
        assert not allowed
        assert reasons[0].code in {"no_active_agreement"}


@settings(max_examples=40)
@given(
    holdings_with_history(), st.sampled_from(DOCUMENT_IDS), WHEN, st.randoms(use_true_random=False)
)
def test_order_of_holdings_does_not_matter(
    holdings: CustomerEntitlements, doc_id: str, at: datetime, rnd: random.Random
) -> None:
    """Shuffling agreements and grants gives the same decision."""
    agreements, grants = list(holdings.agreements), list(holdings.grants)
    rnd.shuffle(agreements)
    rnd.shuffle(grants)
    shuffled = attrs.evolve(holdings, agreements=tuple(agreements), grants=tuple(grants))
    assert decide(holdings, doc_id, at) == decide(shuffled, doc_id, at)


@settings(max_examples=60)
@given(
    st.lists(st.sampled_from(LANGUAGES), min_size=2, max_size=4, unique=True),
    st.sampled_from(DOCUMENT_IDS),
    st.randoms(use_true_random=False),
    st.sampled_from(["0.8", "1", "0.5"]),
)
def test_order_of_tying_languages_does_not_matter(
    tags: list[str], doc_id: str, rnd: random.Random, weight: str
) -> None:
    """Languages with the same q-value give the same language whatever their order."""
    document = CATALOGUE.document(doc_id)
    assert document is not None
    shuffled = list(tags)
    rnd.shuffle(shuffled)
    one = choose_language(CATALOGUE, document, ",".join(f"{t};q={weight}" for t in tags))
    two = choose_language(CATALOGUE, document, ",".join(f"{t};q={weight}" for t in shuffled))
    assert (one.outcome, one.language, one.site_url) == (two.outcome, two.language, two.site_url)


# Real header items: scripts, regions, aliases, the wildcard, and local-site languages.
HEADER_TAGS = (
    *LANGUAGES,
    "*",
    "zh",
    "zh-TW",
    "zh-HK",
    "zh-CN",
    "zh-Hant",
    "zh-Hans",
    "sr-Latn-RS",
    "pt-BR",
    "es-419",
    "es-MX",
    "en-US",
    "iw",
    "no",
    "nb-NO",
)
WEIGHTS = ("1", "0.9", "0.5", "0.1")


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(st.sampled_from(HEADER_TAGS), st.sampled_from(WEIGHTS)),
        min_size=1,
        max_size=6,
        # One item per language range: an alias repeats its canonical tag (iw, he),
        # and of a repeated range the first in the header counts, whatever its q.
        unique_by=lambda item: item[0] if item[0] == "*" else str(parse_tag(item[0])),
    ),
    st.sampled_from(DOCUMENT_IDS),
    st.randoms(use_true_random=False),
)
def test_equally_weighted_header_entries_never_depend_on_their_order(
    items: list[tuple[str, str]], doc_id: str, rnd: random.Random
) -> None:
    """The Enterprise Support page's languages, asked for by a real header: items of equal
    q in any order give the same language, outcome and site (a bare ``zh`` beside
    ``zh-TW``, a ``*`` beside a language included)."""
    document = CATALOGUE.document(doc_id)
    assert document is not None
    shuffled = list(items)
    rnd.shuffle(shuffled)
    one = choose_language(CATALOGUE, document, ",".join(f"{t};q={q}" for t, q in items))
    two = choose_language(CATALOGUE, document, ",".join(f"{t};q={q}" for t, q in shuffled))
    assert (one.outcome, one.language, one.site_url, one.requested) == (
        two.outcome,
        two.language,
        two.site_url,
        two.requested,
    )


@settings(max_examples=100)
@given(
    st.lists(st.sampled_from(HEADER_TAGS), min_size=1, max_size=4, unique=True),
    st.sampled_from([t for t in HEADER_TAGS if t != "*"]),
    st.sampled_from(DOCUMENT_IDS),
    st.integers(0, 50) | st.just(50),
)
@example(["pt-BR", "es-MX"], "es", "technical_support_policy", 50)  # 50 items, a tie
def test_a_q0_exclusion_always_holds_up_to_the_header_limits(
    tags: list[str], excluded: str, doc_id: str, padding: int
) -> None:
    """An item with q=0 is "not acceptable": no language it covers is matched, even when
    the header holds the most items it may (50) and other items tie (an item that
    repeats an earlier one is ignored, so the exclusion is never a repeat)."""
    gone = parse_tag(excluded)
    assume(gone not in {parse_tag(t) for t in tags if t != "*"})  # a repeated item is ignored
    document = CATALOGUE.document(doc_id)
    assert document is not None
    fill = ["x-none"] * min(padding, 50 - len(tags) - 1)  # ignored items, within the limit
    header = ",".join([*tags, *fill, f"{excluded};q=0"])
    choice = choose_language(CATALOGUE, document, header)
    if choice.outcome is not LanguageOutcome.FALLBACK:
        served = parse_tag(choice.language)
        covered = gone.language == served.language and gone.script in (None, served.script)
        assert not (covered and gone.region in (None, served.region)), (header, choice)


def test_revocation_is_as_of() -> None:
    """A revoked grant still gives access when asked about an instant before the revocation."""
    from symprogram.entitlements import Grant

    grant = Grant(
        "grant-1", "C-1", "temporary", "basic_maintenance", ["NetBackup"], date(2012, 1, 1),
        date(2012, 12, 31), "outage", "boss", "agent", datetime(2012, 1, 1, tzinfo=UTC),
        revoked_at=datetime(2012, 6, 1, tzinfo=UTC), revoked_by="boss", revocation_reason="done",
    )  # fmt: skip
    holdings = CustomerEntitlements("C-1", grants=(grant,))
    doc = "global_escalation_process_guide"
    assert decide(holdings, doc, datetime(2012, 5, 31, 23, tzinfo=UTC))[0]
    assert not decide(holdings, doc, datetime(2012, 6, 1, tzinfo=UTC))[0]


@settings(max_examples=40)
@given(holdings_with_history(), WHEN)
def test_before_the_login_requirement_everything_is_public(
    holdings: CustomerEntitlements, at: datetime
) -> None:
    """Before 2011-01-15 every document is public, logged in or not, with or without agreements."""
    if at >= GATED_AFTER:
        at = GATED_AFTER - timedelta(microseconds=1)
    for doc_id in DOCUMENT_IDS:
        assert decide(holdings, doc_id, at, logged_in=False)[0]


def test_agreement_dates_are_inclusive() -> None:
    """The first and last day of an agreement both give access; the days around do not."""
    agreement = Agreement(
        "A-1", "C-1", "essential_support", ["NetBackup"], date(2012, 1, 1), date(2012, 1, 31),
        datetime(2011, 12, 1, tzinfo=UTC), "sales",
    )  # fmt: skip
    holdings = CustomerEntitlements("C-1", agreements=(agreement,))
    doc = "local_language_support_table"
    results = [
        decide(holdings, doc, datetime(2011, 12, 31, 23, 59, 59, tzinfo=UTC))[0],
        decide(holdings, doc, datetime(2012, 1, 1, tzinfo=UTC))[0],
        decide(holdings, doc, datetime(2012, 1, 31, 23, 59, 59, tzinfo=UTC))[0],
        decide(holdings, doc, datetime(2012, 2, 1, tzinfo=UTC))[0],
    ]
    assert [False, True, True, False] == results


@given(agreement=agreements(), at=instants())
def test_an_extension_with_an_agreements_dates_and_changes_is_active_exactly_when_it_is(
    agreement: Agreement, at: datetime
) -> None:
    """Agreements and support extensions share one rule: dates cover the day, status active."""
    extension = SupportExtension(
        extension_id=agreement.agreement_id,
        customer_id=agreement.customer_id,
        product="NetBackup",
        releases=["6.5"],
        starts_on=agreement.starts_on,
        ends_on=agreement.ends_on,
        created_at=agreement.created_at,
        created_by=agreement.created_by,
        status_changes=agreement.status_changes,
    )
    expected = (
        agreement.starts_on <= at.date() <= agreement.ends_on
        and status_at(agreement.status_changes, at) is AgreementStatus.ACTIVE
    )
    assert (expected, expected) == (agreement.active_at(at), extension.active_at(at))
    assert agreement.status == extension.status
    assert agreement.status_at(at) == extension.status_at(at)
