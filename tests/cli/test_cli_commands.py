"""The real commands of ``symprogram`` over a database file, text and ``--json``."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import NOW, Invoke, active_candidate, assert_one_line_error, parsed, register
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from symprogram._cli.output import dump_json
from symprogram.cli import cli


# -- init, terms, global options ----------------------------------------------------------
def test_init_creates_the_database_and_reports_the_catalogue(run: Invoke, db: Path) -> None:
    """`init` creates the file and names the terms and policy versions in effect."""
    result = run("init", "--json")
    assert 0 == result.exit_code, result.output
    data = parsed(result)
    assert db.exists()
    assert ("2007.507", "2005-07") == (data["terms_version"], data["policy_version"])
    assert f"sqlite:///{db}" == data["database"]
    text = run("init")
    assert "Terms of Use in effect: v.2007.507" in text.stdout


def test_terms_shows_the_version_digest_and_text(run: Invoke) -> None:
    """`terms --text --json` gives the version, its SHA-256 digest and the wording."""
    data = parsed(run("terms", "--text", "--json"))
    assert "2007.507" == data["version"]
    assert 64 == len(data["digest"])
    assert data["text"]


def test_the_database_comes_from_the_environment(tmp_path: Path) -> None:
    """Without --db, SYMPROGRAM_DB names the database file."""
    target = tmp_path / "from-env.db"
    result = CliRunner().invoke(cli, ["init", "--json"], env={"SYMPROGRAM_DB": str(target)})
    assert 0 == result.exit_code, result.output
    assert f"sqlite:///{target}" == parsed(result)["database"]
    assert target.exists()


def test_a_bad_now_is_a_one_line_error(run: Invoke) -> None:
    """An unparseable --now exits 1 with invalid_instant."""
    assert_one_line_error(run("init", now="yesterday"), "invalid_instant")


def test_a_naive_instant_is_refused(run: Invoke) -> None:
    """--at without a time zone is refused with naive_datetime, never guessed."""
    result = run("entitlements", "decide", "technical_support_policy", "--at", "2011-01-15T10:00")
    assert_one_line_error(result, "naive_datetime")


def test_usage_errors_are_one_line_with_exit_code_2(run: Invoke) -> None:
    """A missing option or an unknown command gives one `error: [usage]` line and exit 2."""
    assert_one_line_error(run("candidates", "register", "--email", "a@example.com"), "usage", 2)
    assert_one_line_error(run("no-such-command"), "usage", 2)


def test_json_errors_are_also_printed_as_json(run: Invoke) -> None:
    """With --json, an error is a JSON document on stdout too, with its code and field."""
    result = run("candidates", "activate", "not-a-token", "--json")
    assert_one_line_error(result, "token_invalid")
    assert {"code": "token_invalid", "field": "token"} == {
        k: parsed(result)["error"][k] for k in ("code", "field")
    }


# -- candidates ----------------------------------------------------------------------------
def test_register_prints_the_activation_message_and_activate_uses_it(run: Invoke) -> None:
    """register shows what a host would e-mail (token, candidate ID); activate makes it active."""
    data = register(run)
    assert data["candidate_id"].startswith("SP-")
    result = run("candidates", "activate", "--json", "--", data["token"])
    assert 0 == result.exit_code, result.output
    assert {"candidate_id": data["candidate_id"], "status": "active"} == parsed(result)


def test_register_text_output_names_the_token(run: Invoke) -> None:
    """The readable output says the message is what a host application would e-mail."""
    result = run(
        "candidates",
        "register",
        "--email",
        "ada@example.com",
        "--given-name",
        "Ada",
        "--family-name",
        "Lovelace",
        "--company",
        "AE",
        "--partner-company",
        "B&C",
        "--language",
        "fr",
        "--accept-terms",
        input="a long passphrase 42\na long passphrase 42\n",
    )
    assert 0 == result.exit_code, result.output
    assert "what a host application would e-mail" in result.stdout
    assert "token: " in result.stdout
    assert "activate with: symprogram candidates activate -- " in result.stdout


def test_register_without_accepting_the_terms_is_refused(run: Invoke, db: Path) -> None:
    """Without --accept-terms nothing is written and the error is terms_not_accepted."""
    result = run(
        "candidates",
        "register",
        "--email",
        "ada@example.com",
        "--given-name",
        "Ada",
        "--family-name",
        "L",
        "--company",
        "C",
        "--partner-company",
        "P",
        "--language",
        "en",
        "--password",
        "a long passphrase 42",
    )
    assert_one_line_error(result, "terms_not_accepted")


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [
        ("--email", "not-an-email", "invalid_email"),
        ("--language", "xx-nonsense-tag", "unknown_language"),
        ("--password", "short", "password_too_short"),
    ],
)
def test_register_bad_input_is_a_one_line_error(
    run: Invoke, option: str, value: str, code: str
) -> None:
    """A bad field exits 1 with the SDK's stable code."""
    args = {
        "--email": "ada@example.com",
        "--given-name": "Ada",
        "--family-name": "Lovelace",
        "--company": "C",
        "--partner-company": "P",
        "--language": "en",
        "--password": "a long passphrase 42",
    }
    args[option] = value
    flat = [x for pair in args.items() for x in pair]
    assert_one_line_error(run("candidates", "register", *flat, "--accept-terms"), code)


def test_activating_twice_is_refused(run: Invoke) -> None:
    """An activation token works once: the second time is token_used."""
    token = register(run)["token"]
    assert 0 == run("candidates", "activate", "--", token).exit_code
    assert_one_line_error(run("candidates", "activate", "--", token), "token_used")


def test_show_by_id_and_by_email(run: Invoke) -> None:
    """`candidates show` finds the candidate by ID and by e-mail, with the terms status."""
    cid = active_candidate(run)
    by_id = parsed(run("candidates", "show", cid, "--json"))
    by_email = parsed(run("candidates", "show", "ADA@example.com", "--json"))
    assert by_id == by_email
    assert ("active", True) == (by_id["status"], by_id["terms_status"]["allowed"])
    assert "ada@example.com" == by_id["contact"]["email"]


def test_show_reads_the_marketing_switches_from_consent(run: Invoke, db: Path) -> None:
    """`candidates show --json` gives the newsletters switch as the consent ledger holds
    it (one truth per choice): after an unsubscribe reply recorded in consent, not the
    copy the candidate record keeps."""
    from datetime import datetime

    from symprogram import FixedClock, Program
    from symprogram.consent import ContactChannel

    cid = active_candidate(run)
    clock = FixedClock(datetime.fromisoformat(NOW))
    with Program.open(f"sqlite:///{db}", clock=clock) as program:
        program.accounts.set_notification_preference(cid, "newsletters", True)
        program.consent.opt_out(cid, "newsletters", channel="email_reply")
        program.consent.opt_out(cid, ContactChannel.EMAIL, channel="email_reply")

    shown = parsed(run("candidates", "show", cid, "--json"))

    assert "newsletters" not in shown["preferences"]["enabled"]
    newsletters = [s for s in shown["notification_settings"] if s["category"] == "newsletters"]
    assert [(False, False)] == [(s["chosen"], s["effective"]) for s in newsletters]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("nobody@example.com", "candidate_not_found"),
        ("SP-0000-0000-0000-0", "candidate_not_found"),
        ("garbage!", "invalid_candidate_id"),
    ],
)
def test_show_unknown_candidates(run: Invoke, who: str, code: str) -> None:
    """Unknown or malformed candidates are one-line errors."""
    run("init")
    result = run("candidates", "show", who)
    assert_one_line_error(result, code)


def test_resend_activation_prints_a_fresh_token(run: Invoke) -> None:
    """A pending account gets a new activation message; the new token activates it."""
    first = register(run)["token"]
    data = parsed(run("candidates", "resend-activation", "ada@example.com", "--json"))
    token = data["messages"][0]["data"]["token"]
    assert first != token
    assert 0 == run("candidates", "activate", "--", token).exit_code


# -- awards --------------------------------------------------------------------------------
def test_progress_before_and_after_an_exam(run: Invoke) -> None:
    """`awards progress` reads 0 then 100 once the exam is recorded; the award is granted."""
    cid = active_candidate(run)
    before = parsed(run("awards", "progress", cid, "scs-endpoint", "--json"))
    assert (0, False) == (before["percentage"], before["met"])
    recorded = run("awards", "record-result", cid, "250-315", "85", "--taken-at", "2011-01-07")
    assert 0 == recorded.exit_code, recorded.output
    assert "earned scs-endpoint" in recorded.stdout
    after = parsed(run("awards", "progress", cid, "scs-endpoint", "--json"))
    assert (100, True) == (after["percentage"], after["met"])
    everything = parsed(run("awards", "progress", cid, "--json"))
    assert "scs-endpoint" in {p["award_id"] for p in everything}


def test_progress_as_of_an_earlier_date(run: Invoke) -> None:
    """--at asks about the past: before the exam was taken, nothing was met."""
    cid = active_candidate(run)
    run("awards", "record-result", cid, "250-315", "85", "--taken-at", "2011-01-07")
    then = parsed(run("awards", "progress", cid, "scs-endpoint", "--at", "2011-01-05", "--json"))
    assert 0 == then["percentage"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("awards", "progress", "SP-UNKNOWN", "scs-endpoint"), "candidate_not_found"),
        (("awards", "progress", "{cid}", "no-such-award"), "award_not_found"),
        (("awards", "record-result", "{cid}", "250-315", "101"), "score_out_of_range"),
        (
            ("awards", "record-result", "{cid}", "250-315", "80", "--taken-at", "2012-01-01"),
            "instant_in_future",
        ),
    ],
)
def test_awards_bad_input(run: Invoke, args: tuple[str, ...], code: str) -> None:
    """Unknown candidates and awards, scores out of range, future exams: one-line errors."""
    cid = active_candidate(run)
    assert_one_line_error(run(*(a.format(cid=cid) for a in args)), code)


# -- entitlements --------------------------------------------------------------------------
def _agreement(run: Invoke) -> None:
    result = run(
        "entitlements",
        "add-agreement",
        "CUST-1",
        "--agreement-id",
        "AGR-1",
        "--level",
        "essential_support",
        "--product",
        "NetBackup",
        "--starts-on",
        "2011-01-01",
        "--ends-on",
        "2011-12-31",
    )
    assert 0 == result.exit_code, result.output


@pytest.mark.usefixtures("initialised")
def test_handbook_goes_from_public_to_login_required(run: Invoke) -> None:
    """Anonymous readers may open the handbook on 2011-01-14, not on 2011-01-15."""
    doc = "essential_support_basic_maintenance_handbook"
    before = parsed(run("entitlements", "decide", doc, "--at", "2011-01-14", "--json"))
    after = parsed(run("entitlements", "decide", doc, "--at", "2011-01-15", "--json"))
    assert (True, False) == (before["allowed"], after["allowed"])
    assert "not_logged_in" in after["codes"]


def test_decisions_by_service_level(run: Invoke) -> None:
    """An Essential Support customer reads its handbook, not the Business Critical one."""
    _agreement(run)
    ok = run(
        "entitlements",
        "decide",
        "essential_support_basic_maintenance_handbook",
        "--customer",
        "CUST-1",
        "--at",
        "2011-02-01",
        "--json",
    )
    refused = run(
        "entitlements",
        "decide",
        "business_critical_services_handbook",
        "--customer",
        "CUST-1",
        "--at",
        "2011-02-01",
        "--json",
    )
    assert (0, 0) == (ok.exit_code, refused.exit_code)
    assert "active_agreement" in parsed(ok)["codes"]
    assert ("level_too_low", False) == (parsed(refused)["codes"][0], parsed(refused)["allowed"])
    assert parsed(refused)["hint"]


@pytest.mark.usefixtures("initialised")
@pytest.mark.parametrize(
    ("header", "language", "direction"),
    [("iw-IL,en;q=0.5", "he", "rtl"), ("zh-TW", "en", "ltr"), ("zh-CN", "zh-Hans", "ltr")],
)
def test_decide_negotiates_the_language(
    run: Invoke, header: str, language: str, direction: str
) -> None:
    """--lang takes an Accept-Language header; legacy iw is Hebrew; scripts are not crossed."""
    data = parsed(
        run("entitlements", "decide", "technical_support_policy", "--lang", header, "--json")
    )
    assert (language, direction) == (data["details"]["language"], data["details"]["direction"])


@pytest.mark.usefixtures("initialised")
def test_decide_text_output(run: Invoke) -> None:
    """The readable answer names the decision and the language."""
    result = run("entitlements", "decide", "technical_support_policy", "--lang", "he")
    assert 0 == result.exit_code
    assert "allowed" in result.stdout
    assert "he (עברית, rtl)" in result.stdout


@pytest.mark.usefixtures("initialised")
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("entitlements", "decide", "no-such-document"), "document_not_found"),
        (
            (
                "entitlements",
                "add-agreement",
                "C",
                "--agreement-id",
                "A",
                "--level",
                "gold",
                "--product",
                "P",
                "--starts-on",
                "2011-01-01",
                "--ends-on",
                "2011-02-01",
            ),
            "unknown_service_level",
        ),
    ],
)
def test_entitlements_bad_input(run: Invoke, args: tuple[str, ...], code: str) -> None:
    """Unknown documents and levels are one-line errors."""
    assert_one_line_error(run(*args), code)


def test_a_duplicate_agreement_is_a_conflict(run: Invoke) -> None:
    """Recording the same agreement id twice exits 1 with agreement_exists."""
    _agreement(run)
    result = run(
        "entitlements",
        "add-agreement",
        "CUST-2",
        "--agreement-id",
        "AGR-1",
        "--level",
        "basic_maintenance",
        "--product",
        "P",
        "--starts-on",
        "2011-01-01",
        "--ends-on",
        "2011-02-01",
    )
    assert_one_line_error(result, "agreement_exists")


# -- consent -------------------------------------------------------------------------------
def test_consent_grant_check_withdraw_receipt(run: Invoke) -> None:
    """Grant allows, withdraw denies, the receipt shows the standing choice and verifies."""
    granted = run("consent", "grant", "cust-1", "special_offers", "--channel", "web_form", "--json")
    assert "granted" == parsed(granted)["choice"]
    check = parsed(run("consent", "check", "cust-1", "special_offers", "--via", "email", "--json"))
    assert (True, ["granted"]) == (check["allowed"], check["codes"])
    run(
        "consent",
        "withdraw",
        "cust-1",
        "special_offers",
        "--channel",
        "email_reply",
        now="2011-01-11T09:00:00+00:00",
    )
    after = parsed(
        run(
            "consent",
            "check",
            "cust-1",
            "special_offers",
            "--json",
            now="2011-01-11T09:00:00+00:00",
        )
    )
    assert (False, ["withdrawn"]) == (after["allowed"], after["codes"])
    receipt = parsed(run("consent", "receipt", "cust-1", "--json", now="2011-01-11T09:00:00+00:00"))
    assert (2, True) == (receipt["ledger_length"], receipt["verified"])
    assert ["withdrawn"] == [c["choice"] for c in receipt["choices"]]
    text = run("consent", "receipt", "cust-1", now="2011-01-11T09:00:00+00:00")
    assert "special_offers: withdrawn" in text.stdout


@pytest.mark.usefixtures("initialised")
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("consent", "grant", "ada@example.com", "special_offers"), "invalid_subject"),
        (("consent", "grant", "cust-1", "no_such_purpose"), "unknown_purpose"),
        (
            ("consent", "grant", "cust-1", "special_offers", "--channel", "pigeon"),
            "invalid_channel",
        ),
        (("consent", "withdraw", "cust-1", "purchases_downloads"), "necessary_cannot_be_refused"),
        (("consent", "receipt", "nobody"), "consent_subject_not_found"),
    ],
)
def test_consent_bad_input(run: Invoke, args: tuple[str, ...], code: str) -> None:
    """Personal data as a subject, unknown purposes or channels: one-line errors."""
    assert_one_line_error(run(*args), code)


# -- history -------------------------------------------------------------------------------
def test_history_show_and_verify(run: Invoke) -> None:
    """The history lists the registration events and verifies; --all checks everyone."""
    cid = active_candidate(run)
    kinds = [e["kind"] for e in parsed(run("history", "show", cid, "--json"))]
    assert [
        "terms_accepted",
        "candidate_registered",
        "activation_sent",
        "account_status_changed",
    ] == kinds
    verified = parsed(run("history", "verify", cid, "--json"))
    assert (1, True) == (verified["checked"], verified["ok"])
    everyone = parsed(run("history", "verify", "--all", "--json"))
    assert (1, True) == (everyone["checked"], everyone["ok"])


def test_history_verify_detects_tampering(run: Invoke, db: Path) -> None:
    """An edited history entry fails verification: exit 1, ledger_tampered, the position."""
    cid = active_candidate(run)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE sp_streams SET data = replace(data, 'Lovelace', 'Byron') "
            "WHERE stream = ? AND position = 2",
            (f"history:{cid}",),
        )
    result = run("history", "verify", cid)
    assert_one_line_error(result, "ledger_tampered")
    assert "TAMPERED" in result.stdout
    as_json = run("history", "verify", cid, "--json")
    assert (False, "ledger_tampered") == (
        parsed(as_json)["ok"],
        parsed(as_json)["error"]["code"],
    )


def test_history_verify_needs_subjects_or_all(run: Invoke) -> None:
    """Neither candidate IDs nor --all is a usage error; unknown candidates are not found."""
    assert_one_line_error(run("history", "verify"), "usage", 2)
    run("init")
    assert_one_line_error(run("history", "verify", "SP-0000-0000-0000-0"), "candidate_not_found")


def test_history_show_of_an_unknown_candidate_is_the_error_history_verify_gives(
    run: Invoke,
) -> None:
    """An ID no candidate uses: candidate_not_found, as for history verify, never "(no history)";
    a malformed ID keeps its own validation error."""
    run("init")
    unknown = "SP-0000-0000-0000-0"
    shown, verified = run("history", "show", unknown), run("history", "verify", unknown)
    assert_one_line_error(shown, "candidate_not_found")
    assert verified.exit_code == shown.exit_code
    assert verified.stderr == shown.stderr
    assert "" == shown.stdout
    as_json = run("history", "show", unknown, "--json")
    assert_one_line_error(as_json, "candidate_not_found")
    assert "candidate_not_found" == parsed(as_json)["error"]["code"]
    assert_one_line_error(run("history", "show", "SP-UNKNOWN"), "invalid_candidate_id")


_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())


@given(st.text(), _SURROGATE, st.text(), st.integers() | st.none())
def test_json_output_is_always_valid_utf8_json_that_reads_back(
    before: str, surrogate: str, after: str, other: object
) -> None:
    """Whatever text a document holds (a lone surrogate, as Python decodes a byte of
    a file name that is not UTF-8, included), --json output encodes as UTF-8 and
    parses back to the same value."""
    text = before + surrogate + after
    value = {"message": text, text: [other, text], "error": {"field": None}}
    document = dump_json(value)
    assert value == json.loads(document.encode("utf-8").decode("utf-8"))


class _CtrlC(io.BytesIO):
    """Standard input where the person presses Ctrl-C at the first prompt."""

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:  # click checks that the stream is binary
            return b""
        raise KeyboardInterrupt

    def read1(self, size: int | None = -1) -> bytes:
        raise KeyboardInterrupt

    def readinto(self, buffer: Any) -> int:
        raise KeyboardInterrupt

    def readline(self, size: int | None = -1) -> bytes:
        raise KeyboardInterrupt


_NO_PASSWORD = (
    "candidates",
    "register",
    "--email",
    "ada@example.com",
    "--given-name",
    "Ada",
    "--family-name",
    "Lovelace",
    "--company",
    "C",
    "--partner-company",
    "P",
    "--language",
    "en",
    "--accept-terms",
    "--json",
)


def _after_prompt(result: Any) -> Any:
    """The JSON document after the prompt (a terminal shows the prompt, not stdout)."""
    return json.loads(result.stdout[result.stdout.index("{") :])


def test_a_password_prompt_ended_by_ctrl_c_is_interrupted(run: Invoke, db: Path) -> None:
    """Ctrl-C at the password prompt exits 130 with error: [interrupted], as documented
    (not click's bare 'Aborted!'); nothing is written."""
    result = run(*_NO_PASSWORD, input=_CtrlC())
    assert_one_line_error(result, "interrupted", 130)
    assert "interrupted" == _after_prompt(result)["error"]["code"]
    assert not db.exists()


def test_a_password_prompt_without_input_is_a_one_line_error(run: Invoke, db: Path) -> None:
    """The end of standard input at the password prompt is error: [input_ended], exit 1."""
    result = run(*_NO_PASSWORD, input="")
    assert_one_line_error(result, "input_ended")
    assert "input_ended" == _after_prompt(result)["error"]["code"]
    assert not db.exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("as_json", [False, True])
def test_a_full_disk_under_stdout_is_a_one_line_error(tmp_path: Path, as_json: bool) -> None:
    """Output that cannot be written (stdout on a full disk) is error: [io_error] on
    stderr and exit 1, not an OSError traceback."""
    command = [sys.executable, "-m", "symprogram", "--db", str(tmp_path / "x.db"), "terms"]
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            [*command, "--text", *(["--json"] if as_json else [])],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert 1 == done.returncode
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("error: ")] == [
        "error: [io_error] input/output failed: No space left on device"
    ]


def test_awards_remind_sends_each_expiry_reminder_once(run: Invoke) -> None:
    """`awards remind --within DAYS` prints the reminders due (the award, its expiry,
    how to renew), and a second run sends none."""
    cid = active_candidate(run)
    run("awards", "record-result", cid, "250-315", "85", "--taken-at", "2011-01-07")
    assert 0 == parsed(run("awards", "remind", "--within", "60", "--json"))["sent"]
    data = parsed(run("awards", "remind", "--within", "800", "--json"))
    assert 1 == data["sent"]
    (message,) = data["messages"]
    assert ("award_expiry_reminder", "ada@example.com", "scs-endpoint") == (
        message["kind"],
        message["to"],
        message["data"]["award_id"],
    )
    again = run("awards", "remind", "--within", "800")
    assert 0 == again.exit_code, again.output
    assert "sent 0 expiry reminders" in again.stdout
    assert 2 == run("awards", "remind", "--within", "0").exit_code  # a usage error


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_console_that_cannot_encode_a_name_gets_escapes_not_a_traceback(
    tmp_path: Path, encoding: str
) -> None:
    """A stored name the console's encoding cannot write (U+0141 and U+202E on a cp1252
    console: output redirected on Windows) is printed as backslash escapes, exit 0,
    never a UnicodeEncodeError traceback."""
    from datetime import UTC, datetime

    from symprogram import FixedClock, Program

    db = tmp_path / "x.db"
    with Program.open(f"sqlite:///{db}", clock=FixedClock(datetime(2012, 3, 1, tzinfo=UTC))) as p:
        receipt = p.accounts.accept_terms(path="create_account")
        assert receipt.token is not None
        p.accounts.register(
            terms_receipt=receipt.token, email="zoe@example.com", password="a long passphrase 42",
            given_name="Zo\u00eb\u202e", family_name="\u0141ukasz", company_name="C",
            partner_company="P", preferred_language="en",
        )  # fmt: skip
    command = [sys.executable, "-m", "symprogram", "--db", str(db), "candidates", "show"]
    done = subprocess.run(
        [*command, "zoe@example.com"],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": encoding},
        timeout=120,
        check=False,
    )
    assert (0, b"") == (done.returncode, done.stderr)
    assert b"\\u0141ukasz" in done.stdout
