"""The consent service on every adapter: choices, decisions, policies, requests, erasure."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from symprogram.clock import FixedClock
from symprogram.consent import (
    RECEIPT_FORMAT,
    Channel,
    ConsentChecker,
    ConsentReceipt,
    ConsentService,
    ContactChannel,
    ContactPreferences,
    CookieCategory,
    CorrectionStatus,
    NoticeKind,
    Policy,
    PolicyCatalogue,
    Purpose,
    Recipient,
    SubjectExport,
    Transfer,
)
from symprogram.errors import (
    CatalogueError,
    ConcurrencyError,
    Conflict,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    SymprogramError,
    ValidationError,
)
from symprogram.persistence import Store
from symprogram.serialization import dumps, loads
from symprogram.storage.sqlite import SQLiteStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)


def _next_policy(consent: ConsentService, version: str, at: datetime, **changes: Any) -> Policy:
    return attrs.evolve(consent.get_policy(), version=version, effective_at=at, **changes)


# -- granting, refusing, withdrawing -----------------------------------------------


def test_grant_allows_with_date_channel_and_policy_version(consent: ConsentService) -> None:
    """A grant makes may_use allow with reason 'granted' naming date, channel and version."""
    record = consent.grant("cust-1", "special_offers", channel="web_form", evidence="ticked")
    decision = consent.may_use("cust-1", "special_offers")
    assert True is decision.allowed
    assert ("granted",) == decision.codes
    reason = decision.reasons[0]
    assert (T0, "web_form", "2005-07") == (
        reason.fact("at"),
        reason.fact("channel"),
        reason.fact("policy_version"),
    )
    assert "granted on 2011-01-14 via web_form under policy 2005-07" == reason.message
    assert (1, "consent_recorded", "2005-07") == (
        record.position,
        record.kind,
        record.policy_version,
    )


@pytest.mark.parametrize("channel", list(Channel))
def test_withdraw_is_one_call_through_any_channel(
    consent: ConsentService, channel: Channel
) -> None:
    """Withdrawing through any channel, in one call, denies with reason 'withdrawn'."""
    consent.grant("cust-1", "research", channel="web_form")
    consent.withdraw("cust-1", "research", channel=channel)
    assert ("withdrawn",) == consent.may_use("cust-1", "research").codes


def test_refused_opt_in_is_denied(consent: ConsentService) -> None:
    """Refusing an opt-in purpose when asked denies it with reason 'refused'."""
    consent.refuse("cust-1", "special_offers", channel="web_form")
    assert ("refused",) == consent.may_use("cust-1", "special_offers").codes


def test_defaults_by_legal_basis(opt_in_consent: ConsentService) -> None:
    """A known subject: opt-in needs consent, opt-out is allowed, necessary always is.

    On the opt-in reading, where special offers are opt-in."""
    consent = opt_in_consent
    consent.record_gathered("cust-1", "other_activities", ["name"])  # known: registered
    assert ("never_asked_opt_in",) == consent.may_use("cust-1", "special_offers").codes
    assert ("not_opted_out",) == consent.may_use("cust-1", "newsletters").codes
    assert ("necessary_for_transaction",) == consent.may_use("cust-1", "purchases_downloads").codes
    assert [False, True, True] == [
        consent.may_use("cust-1", p).allowed
        for p in ("special_offers", "newsletters", "purchases_downloads")
    ]


def test_unknown_subject_is_denied(consent: ConsentService) -> None:
    """Nobody is used for anything before something was recorded about them."""
    assert ("unknown_subject",) == consent.may_use("nobody", "newsletters").codes


def test_newsletter_unsubscribe_by_email_reply(consent: ConsentService) -> None:
    """Replying to unsubscribe opts out of newsletters (seed: 'replying to the unsubscribe')."""
    consent.record_notice("cust-1", "2005-07")
    consent.opt_out("cust-1", "newsletters", channel="email_reply", evidence="msg-42")
    decision = consent.may_use("cust-1", "newsletters", channel="email")
    assert (False, ("opted_out",)) == (decision.allowed, decision.codes)
    assert "email_reply" == decision.reasons[0].fact("channel")


def test_channel_opt_out_blocks_contact_but_not_necessary_use(consent: ConsentService) -> None:
    """Opting out of a channel denies contact through it; necessary use is unaffected."""
    consent.grant("cust-1", "special_offers", channel="web_form")
    consent.opt_out("cust-1", ContactChannel.PHONE, channel="phone")
    assert ("granted", "channel_opted_out") == consent.may_use(
        "cust-1", "special_offers", channel="phone"
    ).codes
    assert consent.may_use("cust-1", "special_offers", channel="email").allowed
    assert consent.may_use("cust-1", "purchases_downloads", channel="phone").allowed
    consent.grant("cust-1", "channel.phone", channel="profile_form")
    assert consent.may_use("cust-1", "special_offers", channel="phone").allowed


def test_cookies_by_category(opt_in_consent: ConsentService, snapshot: Callable[[], Any]) -> None:
    """Tracking and preference cookies can be refused; necessary cookies cannot.

    On the opt-in reading, where the cookies that remember you when you register
    are strictly necessary (the document's reading lets you refuse them)."""
    consent = opt_in_consent
    consent.record_gathered("cust-1", "other_activities", ["name"])  # known: registered
    consent.opt_out("cust-1", CookieCategory.TRACKING, channel="web_form")
    assert ("opted_out",) == consent.may_use("cust-1", CookieCategory.TRACKING).codes
    assert consent.may_use("cust-1", "cookies.preferences").allowed
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        consent.opt_out("cust-1", CookieCategory.NECESSARY, channel="web_form")
    assert ("necessary_cannot_be_refused", "purpose") == (info.value.code, info.value.field)
    assert before == snapshot()
    assert consent.may_use("cust-1", "cookies.necessary").allowed


def test_global_privacy_control_opts_out_of_sharing(consent: ConsentService) -> None:
    """A Global Privacy Control signal is an opt-out of partner sharing, via browser_signal."""
    consent.record_gathered("cust-1", "other_activities", ["name"])  # known: registered
    assert consent.may_use("cust-1", "partner_sharing").allowed
    record = consent.global_privacy_control("cust-1")
    decision = consent.may_use("cust-1", "partner_sharing")
    assert (False, ("opted_out",)) == (decision.allowed, decision.codes)
    assert (Channel.BROWSER_SIGNAL, "browser_signal") == (
        record.channel,
        decision.reasons[0].fact("channel"),
    )
    assert consent.may_use("cust-1", "newsletters").allowed


def test_cobranded_site_partners_are_listed_as_recipients(consent: ConsentService) -> None:
    """Information submitted on a co-branded site goes to its partners: listed in the decision."""
    consent.record_notice("cust-1", "2005-07")
    assert ("Selected business partners",) == consent.may_use("cust-1", "partner_sharing").detail(
        "recipients"
    )
    consent.grant("cust-1", "special_offers", channel="web_form", site="shopsymantec.com")
    assert ("ShopSymantec business partners",) == consent.may_use(
        "cust-1", "special_offers"
    ).detail("recipients")
    notice = consent.cobranded_notice("shopsymantec.com")
    assert (NoticeKind.COBRANDED_SITE, ("ShopSymantec business partners",)) == (
        notice.kind,
        notice.recipients,
    )


def test_forum_notice_says_posts_are_public(consent: ConsentService) -> None:
    """The forum notice warns that what is posted is public information."""
    notice = consent.forum_notice()
    assert NoticeKind.FORUM_PUBLIC == notice.kind
    assert "will be deemed public information" in notice.text


def test_other_contexts_protocols(consent: ConsentService) -> None:
    """The service answers has_consented/may_contact for accounts and entitlements."""
    assert isinstance(consent, ConsentChecker)
    assert isinstance(consent, ContactPreferences)
    assert False is consent.has_consented("cust-1", "remote_access")
    consent.grant("cust-1", "remote_access", channel="web_form", evidence="terms v3 accepted")
    assert True is consent.has_consented("cust-1", "remote_access")
    assert "terms v3 accepted" == consent.granted_evidence("cust-1", "remote_access")
    assert None is consent.granted_evidence("cust-1", "remote_access", at=T0 - DAY)
    consent.opt_out("cust-1", "newsletters", channel="email_reply")
    assert ("opted_out",) == consent.may_contact("cust-1", "newsletters").codes
    assert None is consent.granted_evidence("cust-1", "newsletters")


# -- time ----------------------------------------------------------------------------


def test_answers_as_of_an_earlier_instant_use_only_earlier_records(
    consent: ConsentService, clock: FixedClock
) -> None:
    """may_use(at=T) answers with the ledger as it was at T."""
    consent.grant("cust-1", "special_offers", channel="web_form")
    clock.advance(10 * DAY)
    consent.withdraw("cust-1", "special_offers", channel="phone")
    assert consent.may_use("cust-1", "special_offers", at=T0 + DAY).allowed
    assert not consent.may_use("cust-1", "special_offers").allowed
    assert ("unknown_subject",) == consent.may_use("cust-1", "special_offers", at=T0 - DAY).codes


def test_backdated_import_rules(
    consent: ConsentService, clock: FixedClock, snapshot: Callable[[], Any]
) -> None:
    """Explicit instants: past is fine, future/out-of-order/pre-policy/naive are refused."""
    consent.grant("cust-1", "research", channel="import", at=datetime(2008, 1, 1, tzinfo=UTC))
    before = snapshot()
    cases = [
        (T0 + DAY, "future_instant"),
        (datetime(2007, 1, 1, tzinfo=UTC), "out_of_order"),
    ]
    for at, code in cases:
        with pytest.raises(ValidationError) as info:
            consent.grant("cust-1", "research", channel="import", at=at)
        assert (code, "at") == (info.value.code, info.value.field)
    with pytest.raises(ValidationError) as info:
        consent.grant("cust-2", "research", channel="import", at=datetime(2004, 1, 1, tzinfo=UTC))
    assert "no_policy_in_effect" == info.value.code
    with pytest.raises(ValidationError) as info:
        consent.grant("cust-2", "research", channel="import", at=datetime(2008, 1, 1))
    assert "naive_datetime" == info.value.code
    assert before == snapshot()


# -- policies and material changes ---------------------------------------------------


def test_material_change_needs_notice_before_new_use(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A new use is denied until the subject is notified, then follows its basis."""
    consent.grant("cust-1", "special_offers", channel="web_form")
    consent.grant("cust-2", "special_offers", channel="web_form")
    base = consent.get_policy()
    new = _next_policy(
        consent,
        "2011-02",
        T0 + 20 * DAY,
        purposes=(*base.purposes, Purpose("profiling", "Build interest profiles", "opt_out")),
    )
    change = consent.publish_policy(new)
    assert (True, ("profiling",), ("profiling",)) == (
        change.material,
        change.purposes_added,
        change.affected,
    )
    assert change.notice is not None and change.notice.prominent
    assert ["cust-1", "cust-2"] == list(consent.iter_subjects_to_notify("2011-02"))
    consent.record_notice("cust-1", "2011-02", channel="email")
    clock.advance(21 * DAY)
    assert ("not_opted_out",) == consent.may_use("cust-1", "profiling").codes
    denied = consent.may_use("cust-2", "profiling")
    assert (False, ("not_yet_notified_of_material_change",)) == (denied.allowed, denied.codes)
    assert consent.may_use("cust-2", "special_offers").allowed
    assert ["cust-2"] == list(consent.iter_subjects_to_notify("2011-02"))
    assert ("purpose_not_declared",) == consent.may_use("cust-1", "profiling", at=T0 + DAY).codes


@pytest.mark.parametrize("change", ["recipient", "widened"])
def test_a_material_change_of_a_necessary_use_waits_for_notice_too(
    consent: ConsentService, clock: FixedClock, change: str
) -> None:
    """ "Until we have notified you, we will not use your information in the new ways":
    a new recipient of a necessary purpose, or a purpose widened to necessary, is not
    used for a subject before their notice (``not_yet_notified_of_material_change``,
    not ``necessary_for_transaction``); the notice gives the way out that works (no
    longer using the service, or closing the account) rather than an opt-out the
    ledger refuses; after the notice the use is necessary."""
    consent.grant("cust-1", "newsletters", channel="web_form")
    consent.grant("cust-2", "newsletters", channel="web_form")
    consent.opt_out("cust-2", "special_offers", channel="web_form")
    base = consent.get_policy()
    purpose = "purchases_downloads" if change == "recipient" else "special_offers"
    if change == "recipient":
        shops = Recipient("shops", "Partner shops", ("purchases_downloads",))
        new = _next_policy(consent, "2011-02", T0 + 20 * DAY, recipients=(*base.recipients, shops))
    else:
        widened = tuple(
            attrs.evolve(p, basis="necessary") if p.id == purpose else p for p in base.purposes
        )
        new = _next_policy(consent, "2011-02", T0 + 20 * DAY, purposes=widened)
    published = consent.publish_policy(new)
    assert (True, (purpose,)) == (published.material, published.affected)
    assert published.notice is not None
    assert "only by no longer using that service" in published.notice.text
    assert "You can opt out of such use" not in published.notice.text
    clock.advance(21 * DAY)
    for subject in ("cust-1", "cust-2"):
        assert ("not_yet_notified_of_material_change",) == consent.may_use(subject, purpose).codes
    with pytest.raises(ValidationError) as refused:
        consent.opt_out("cust-1", purpose, channel="web_form")
    assert "necessary_cannot_be_refused" == refused.value.code
    assert "close the account" in refused.value.message
    consent.record_notice("cust-1", "2011-02", channel="email")
    assert ("necessary_for_transaction",) == consent.may_use("cust-1", purpose).codes


def test_a_notice_of_mixed_uses_offers_the_opt_out_and_the_way_out(consent: ConsentService) -> None:
    """A change of a necessary use and of one the person may refuse: the notice gives
    both the opt-out instructions and, for the necessary use, the way out that works."""
    base = consent.get_policy()
    both = Recipient("shops", "Partner shops", ("purchases_downloads", "special_offers"))
    new = _next_policy(consent, "2011-02", T0 + 20 * DAY, recipients=(*base.recipients, both))
    notice = consent.publish_policy(new).notice
    assert notice is not None
    assert "You can opt out of such use" in notice.text
    assert "only by no longer using that service" in notice.text


@pytest.mark.parametrize("year", [9000, 9999])
def test_a_version_no_clock_could_reach_is_refused(consent: ConsentService, year: int) -> None:
    """A version effective from the first year a clock may not read on could never take
    effect, and every later version would be refused as not after it: one typo would
    freeze the catalogue. It is refused (``instant_out_of_range``), nothing written."""
    base = consent.get_policy()
    late = datetime(year, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        consent.publish_policy(attrs.evolve(base, version=f"{year}-01", effective_at=late))
    assert ("instant_out_of_range", "effective_at") == (refused.value.code, refused.value.field)
    consent.publish_policy(_next_policy(consent, "2011-02", T0 + 10 * DAY))


def test_a_publication_that_lost_a_race_is_a_stale_write(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two versions published at once on a server: the one whose catalogue was read
    before the other's commit finds its sequence number taken and gets a retryable
    ``ConcurrencyError`` (``stale_version``), not a final refusal; nothing is written."""
    first = ConsentService(store, clock)
    second = ConsentService(store, clock)
    before = second._read_catalogue

    def read_before_the_other(tx: Any) -> Any:  # the snapshot from before the commit
        catalogue, count = before(tx)
        return PolicyCatalogue(catalogue.policies[:-1]), count - 1

    base = first.get_policy()
    first.publish_policy(_next_policy(first, "2011-02", T0 + 10 * DAY))
    monkeypatch.setattr(second, "_read_catalogue", read_before_the_other)
    with pytest.raises(ConcurrencyError) as stale:
        second.publish_policy(attrs.evolve(base, version="2011-03", effective_at=T0 + 20 * DAY))
    assert "stale_version" == stale.value.code
    monkeypatch.undo()
    assert ["2011-02"] == [p.version for p in ConsentService(store, clock).policies.policies][-1:]


def test_non_material_change_and_publication_errors(
    consent: ConsentService, clock: FixedClock, snapshot: Callable[[], Any]
) -> None:
    """Removing a purpose is not material; backdated or duplicate versions are refused."""
    base = consent.get_policy()
    fewer = tuple(p for p in base.purposes if p.id != "research")
    change = consent.publish_policy(_next_policy(consent, "2011-02", T0 + DAY, purposes=fewer))
    assert (False, ("research",), None) == (change.material, change.purposes_removed, change.notice)
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        consent.publish_policy(_next_policy(consent, "2011-03", T0 - DAY))
    assert "policy_backdated" == info.value.code
    with pytest.raises(Conflict) as conflict:
        consent.publish_policy(_next_policy(consent, "2011-02", T0 + 2 * DAY))
    assert "policy_version_exists" == conflict.value.code
    with pytest.raises(CatalogueError) as order:
        consent.publish_policy(_next_policy(consent, "2011-04", T0 + DAY))
    assert "not_after_latest" == order.value.code
    assert before == snapshot()


def test_published_policies_survive_a_new_service(store: Store, clock: FixedClock) -> None:
    """Versions published through one service are read back by another on the same store."""
    first = ConsentService(store, clock)
    recipients = (
        *first.get_policy().recipients,
        Recipient("brokers", "Data brokers", ("research",)),
    )
    change = first.publish_policy(_next_policy(first, "2011-02", T0 + DAY, recipients=recipients))
    assert (True, ("brokers",), ("research",)) == (
        change.material,
        change.recipients_added,
        change.affected,
    )
    second = ConsentService(store, clock)
    assert ("2005-07", "2011-02") == second.policies.versions
    assert change == second.get_policy_change("2011-02")


def test_a_new_transfer_leaves_an_express_consent_to_terms_standing(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A privacy-policy version that only adds a transfer (and a recipient of other
    purposes) needs notice before the uses change, but a grant of ``remote_access``
    (consent to the remote-access terms, which did not change) keeps counting."""
    consent.grant("cust-1", "remote_access", channel="web_form", evidence="terms:2011-01")
    consent.grant("cust-1", "special_offers", channel="web_form")
    base = consent.get_policy()
    change = consent.publish_policy(
        _next_policy(
            consent,
            "2011-02",
            T0 + DAY,
            transfers=(*base.transfers, Transfer("asia", ("EU", "IN"))),
            recipients=(*base.recipients, Recipient("brokers", "Data brokers", ("research",))),
        )
    )
    assert change.material
    assert "remote_access" not in change.affected
    assert "special_offers" in change.affected
    clock.advance(2 * DAY)
    assert ("granted",) == consent.may_use("cust-1", "remote_access").codes
    assert "terms:2011-01" == consent.granted_evidence("cust-1", "remote_access")
    assert ("not_yet_notified_of_material_change",) == (
        consent.may_use("cust-1", "special_offers").codes
    )


# -- requests ------------------------------------------------------------------------


def test_correction_request_is_recorded_then_applied(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A correction is recorded when asked and applied, with its instant, when completed."""
    consent.record_personal_data("cust-1", "order", {"name": "Ann Exmple", "address": "1 Main"})
    request = consent.request_correction("cust-1", {"name": "Ann Example"}, channel="phone")
    assert ("CR-1", CorrectionStatus.OPEN) == (request.id, request.status)
    assert "Ann Exmple" == consent.personal_data("cust-1").value("name")
    clock.advance(DAY)
    done = consent.complete_correction("cust-1", "CR-1")
    assert (CorrectionStatus.COMPLETED, T0 + DAY) == (done.status, done.completed_at)
    assert "Ann Example" == consent.personal_data("cust-1").value("name")
    with pytest.raises(IllegalTransition) as info:
        consent.complete_correction("cust-1", "CR-1")
    assert "correction_already_completed" == info.value.code
    with pytest.raises(NotFound) as missing:
        consent.complete_correction("cust-1", "CR-9")
    assert "correction_not_found" == missing.value.code


def test_an_item_gathered_by_name_can_be_corrected(
    consent: ConsentService, clock: FixedClock
) -> None:
    """An item a registration recorded as gathered by name only (its value kept by
    the account) can be corrected: "How you can correct inaccuracies in the
    information". Completing it keeps the file as the ledger says it."""
    consent.record_gathered("cand-1", "other_activities", ["company", "email", "phone"])
    request = consent.request_correction("cand-1", {"company": "Symantec", "phone": "541"})
    assert (("company", "Symantec"), ("phone", "541")) == request.changes
    assert consent.verify("cand-1").ok
    assert [request] == list(consent.personal_data("cand-1").corrections)
    clock.advance(DAY)
    consent.complete_correction("cand-1", request.id)
    assert consent.verify("cand-1").ok
    served = consent.personal_data("cand-1")
    assert ("Symantec", "541") == (served.value("company"), served.value("phone"))
    assert served.data == consent.export("cand-1").data
    clock.advance(DAY)
    consent.record_gathered("cand-1", "other_activities", ["company"])  # gathered again
    assert consent.verify("cand-1").ok
    assert "Symantec" == consent.personal_data("cand-1").value("company")


def test_a_correction_of_an_item_never_gathered_is_refused(
    consent: ConsentService, snapshot: Callable[[], Any]
) -> None:
    """Only what the policy declares or the subject's own file records as gathered can
    be corrected; another subject's gathered items do not count."""
    consent.record_gathered("cand-1", "other_activities", ["company"])
    consent.record_gathered("cand-2", "other_activities", ["shoe_size"])
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        consent.request_correction("cand-1", {"company": "Symantec", "shoe_size": "9"})
    assert ("data_not_declared", "changes", ["shoe_size"]) == (
        info.value.code,
        info.value.field,
        info.value.details["items"],
    )
    assert before == snapshot()


def test_personal_data_must_be_declared_for_the_activity(
    consent: ConsentService, snapshot: Callable[[], Any]
) -> None:
    """Only items the policy declares for the activity are kept; the rest is refused."""
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        consent.record_personal_data("cust-1", "survey", {"card_number": "4111"})
    assert ("data_not_declared", "data") == (info.value.code, info.value.field)
    with pytest.raises(ValidationError) as activity:
        consent.record_personal_data("cust-1", "karaoke", {"name": "Ann"})
    assert "unknown_activity" == activity.value.code
    assert before == snapshot()


def test_receipt_and_export_are_machine_readable(consent: ConsentService) -> None:
    """The receipt and the export serialize to JSON and read back equal."""
    consent.grant("cust-1", "special_offers", channel="web_form", evidence="box ticked")
    consent.record_personal_data("cust-1", "contest", {"email": "ann@example.com"})
    receipt = consent.receipt("cust-1")
    assert (RECEIPT_FORMAT, 2, True) == (receipt.format, receipt.ledger_length, receipt.verified)
    assert receipt == loads(dumps(receipt), ConsentReceipt)
    assert "box ticked" == json.loads(dumps(receipt))["history"][0]["data"]["evidence"]
    exported = consent.export("cust-1")
    assert exported == loads(dumps(exported), SubjectExport)
    assert "ann@example.com" == exported.data[0].value


# -- erasure -------------------------------------------------------------------------


def _all_sqlite_text(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(row) for table in tables for row in conn.execute(f'SELECT * FROM "{table}"')]
    finally:
        conn.close()
    return "\n".join(rows)


def test_erasure_leaves_no_personal_data_in_any_sqlite_table(
    tmp_path: Path, clock: FixedClock
) -> None:
    """After erase, no table of the SQLite file holds the email, name or evidence text."""
    path = tmp_path / "erase.db"
    store = SQLiteStore(path)
    consent = ConsentService(store, clock)
    secrets = ["ann.example@example.com", "Ann Q. Example", "ticked box at 10.1.2.3"]
    consent.record_personal_data(
        "cust-77", "contest", {"email": secrets[0], "name": secrets[1], "address": "9 Elm Rd"}
    )
    consent.grant("cust-77", "special_offers", channel="web_form", evidence=secrets[2])
    consent.request_correction("cust-77", {"name": "Ann Example-Smith"})
    consent.grant("cust-78", "research", channel="phone", evidence="other person")
    text = _all_sqlite_text(path)
    assert all(s in text for s in secrets)
    receipt = consent.erase("cust-77")
    assert (3, 4) == (receipt.entries_erased, receipt.ledger_length)
    text = _all_sqlite_text(path)
    assert [] == [s for s in [*secrets, "Ann Example-Smith", "9 Elm Rd"] if s in text]
    assert "other person" in text
    assert consent.verify("cust-77").ok
    assert ("subject_erased",) == consent.may_use("cust-77", "purchases_downloads").codes
    assert ("subject_erased",) == consent.may_use("cust-77", "research", at=T0).codes
    with pytest.raises(IllegalTransition) as info:
        consent.grant("cust-77", "research", channel="web_form")
    assert "subject_erased" == info.value.code
    with pytest.raises(NotFound):
        consent.personal_data("cust-77")
    assert () == consent.export("cust-77").data
    store.close()


# -- verification --------------------------------------------------------------------


def test_verify_finds_an_edited_record(consent: ConsentService, store: Store) -> None:
    """Changing the choice in a stored ledger entry is reported by verify and verify_all."""
    consent.grant("cust-1", "special_offers", channel="web_form")
    consent.grant("cust-2", "special_offers", channel="web_form")
    assert consent.verify_all().ok
    with store.transaction() as tx:
        [(position, text)] = tx.read("consent:cust-1")
        tx.rewrite("consent:cust-1", position, text.replace('"granted"', '"refused"'))
    result = consent.verify("cust-1")
    assert "data_altered" in [p.code for p in result.problems]
    audit = consent.verify_all(batch=1)
    assert (2, ["cust-1"]) == (audit.checked, [f.subject for f in audit.failures])


def test_keyed_ledger_does_not_verify_without_the_key(store: Store, clock: FixedClock) -> None:
    """With a ledger key the chain is an HMAC: a service with another key sees a mismatch."""
    ConsentService(store, clock, ledger_key=b"k1").grant("c", "research", channel="phone")
    assert ConsentService(store, clock, ledger_key=b"k1").verify("c").ok
    assert not ConsentService(store, clock, ledger_key=b"k2").verify("c").ok


# -- bad input -----------------------------------------------------------------------

BAD: list[tuple[str, Callable[[ConsentService], object], type[SymprogramError], str]] = [
    (
        "email as subject",
        lambda c: c.grant("a@b.com", "research", channel="web_form"),
        ValidationError,
        "invalid_subject",
    ),
    (
        "long subject",
        lambda c: c.grant("x" * 200, "research", channel="web_form"),
        LimitExceeded,
        "subject_too_long",
    ),
    (
        "unknown purpose",
        lambda c: c.grant("c1", "spam", channel="web_form"),
        ValidationError,
        "unknown_purpose",
    ),
    (
        "bad channel",
        lambda c: c.grant("c1", "research", channel="pigeon"),
        ValidationError,
        "invalid_channel",
    ),
    (
        "bad contact channel",
        lambda c: c.opt_out("c1", "channel.fax"),
        ValidationError,
        "invalid_channel",
    ),
    (
        "purpose not text",
        lambda c: c.grant("c1", 3, channel="web_form"),  # type: ignore[arg-type]
        ValidationError,
        "invalid_purpose",
    ),
    (
        "long evidence",
        lambda c: c.grant("c1", "research", channel="web_form", evidence="x" * 3000),
        LimitExceeded,
        "evidence_too_long",
    ),
    (
        "unknown version",
        lambda c: c.grant("c1", "research", channel="web_form", policy_version="1999"),
        NotFound,
        "policy_not_found",
    ),
    (
        "bad site",
        lambda c: c.grant("c1", "research", channel="web_form", site="NOT A SITE"),
        ValidationError,
        "invalid_site",
    ),
    (
        "necessary refused",
        lambda c: c.refuse("c1", "purchases_downloads", channel="web_form"),
        ValidationError,
        "necessary_cannot_be_refused",
    ),
    (
        "notice of unknown version",
        lambda c: c.record_notice("c1", "1999"),
        NotFound,
        "policy_not_found",
    ),
    (
        "empty data",
        lambda c: c.record_personal_data("c1", "order", {}),
        ValidationError,
        "invalid_data",
    ),
    ("empty correction", lambda c: c.request_correction("c1", {}), ValidationError, "invalid_data"),
    (
        "undeclared correction",
        lambda c: c.request_correction("c1", {"shoe_size": "9"}),
        ValidationError,
        "data_not_declared",
    ),
    ("erase unknown", lambda c: c.erase("c1"), NotFound, "consent_subject_not_found"),
    ("receipt unknown", lambda c: c.receipt("c1"), NotFound, "consent_subject_not_found"),
    (
        "ask about a channel",
        lambda c: c.may_use("c1", "channel.email"),
        ValidationError,
        "invalid_purpose",
    ),
    (
        "bad batch",
        lambda c: c.iter_audience("newsletters", batch=0),
        ValidationError,
        "invalid_batch",
    ),
    (
        "not a policy",
        lambda c: c.publish_policy("v2"),  # type: ignore[arg-type]
        ValidationError,
        "invalid_policy",
    ),
    ("not cobranded", lambda c: c.cobranded_notice("symantec.com"), NotFound, "site_not_cobranded"),
]


@pytest.mark.parametrize(("name", "call", "error", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_a_clear_error_and_writes_nothing(
    consent: ConsentService,
    snapshot: Callable[[], Any],
    name: str,
    call: Callable[[ConsentService], object],
    error: type[SymprogramError],
    code: str,
) -> None:
    """Each bad input raises its error class and code and leaves storage unchanged."""
    consent.grant("other", "research", channel="web_form")
    before = snapshot()
    with pytest.raises(error) as info:
        call(consent)
    assert code == info.value.code
    assert before == snapshot()


def test_catalogue_must_be_a_catalogue(store: Store, clock: FixedClock) -> None:
    """A wrong policies argument is refused at construction."""
    with pytest.raises(ValidationError) as info:
        ConsentService(store, clock, catalogue="default")  # type: ignore[arg-type]
    assert "invalid_catalogue" == info.value.code


def test_default_catalogue_is_used(consent: ConsentService) -> None:
    """Without a catalogue the service uses the seed's policy."""
    assert PolicyCatalogue.default().versions == consent.policies.versions
