"""Issue 18: every text input is length-checked before it is parsed.

Every public method of every service that takes text is called through
``Program`` with a 4 MB string in each of its text parameters (the others get
ordinary values). Each call must answer a ``SymprogramError``, and no parser may
see the long text: ``email_validator.validate_email``, Babel's ``Locale.parse`` and
``parse_locale`` are replaced by spies that fail the test when called with more
than :data:`PARSER_LIMIT` characters. Counting, not timing: a parse of 4 MB (1.7 s
in ``verify_disclosure`` before the fix) is caught however fast the machine is.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import babel
import babel.core
import email_validator
import pytest

from _programs import ProgramFactory
from symprogram import Program
from symprogram.errors import LimitExceeded, SymprogramError

PARSER_LIMIT = 1_000
"""Longest text a parser may be handed (every limit of the package is far below)."""
HUGE = "a" * (4 << 20) + "@example.com"
"""4 MB of text, shaped like an e-mail address so that it reaches e-mail parsing."""
SERVICES = ("accounts", "awards", "consent", "entitlements", "history")
PROGRAM_METHODS = ("consent_to_remote_access", "erase_person")

#: Header-like inputs that are clipped to a documented length instead of refused
#: (``Accept-Language``: only the first MAX_ACCEPT_LANGUAGE_LENGTH characters are
#: read, see symprogram.i18n.parse_accept_language); the spies still apply.
CLIPPED = {"languages"}

#: Methods not called: they take no caller text (a unit of work and an event).
# read: the deprecated old name of history(), which is checked (it warns when called).
SKIPPED = {("history", "record"), ("history", "record_many"), ("history", "read")}


class Spies:
    """Replace the parsers with spies that record any call with over-long text."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real_email = email_validator.validate_email
        real_parse = babel.core.Locale.parse.__func__  # type: ignore[attr-defined]
        real_parse_locale = babel.core.parse_locale

        def spy_email(value: Any, *args: Any, **kwargs: Any) -> Any:
            self._check("validate_email", value)
            return real_email(value, *args, **kwargs)

        def spy_parse(cls: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
            self._check("Locale.parse", value)
            return real_parse(cls, value, *args, **kwargs)

        def spy_parse_locale(value: Any, *args: Any, **kwargs: Any) -> Any:
            self._check("parse_locale", value)
            return real_parse_locale(value, *args, **kwargs)

        monkeypatch.setattr(babel.core.Locale, "parse", classmethod(spy_parse))
        replacements = {real_email: spy_email, real_parse_locale: spy_parse_locale}
        for name, module in list(sys.modules.items()):
            if not (name.startswith("symprogram") or name in ("email_validator", "babel.core")):
                continue
            for attr, value in list(vars(module).items()):
                spy = replacements.get(value) if callable(value) else None
                if spy is not None:
                    monkeypatch.setattr(module, attr, spy)

    def _check(self, parser: str, value: object) -> None:
        if isinstance(value, str) and len(value) > PARSER_LIMIT:
            self.calls.append(f"{parser} got {len(value)} characters")


SAMPLES: dict[str, Any] = {
    "email": "ada@example.com",
    "new_email": "ada.new@example.com",
    "recipient_email": "verifier@example.com",
    "password": "a long passphrase 42",
    "current_password": "a long passphrase 42",
    "new_password": "another long passphrase 43",
    "path": "create_account",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "company_name": "Example Ltd",
    "partner_company": "Example Partner",
    "preferred_language": "en",
    "candidate_name": "Ada Lovelace",
    "registration_number": "R-1",
    "exam_code": "ST0-100",
    "score": 80,
    "passing_score": 70,
    "exam_date": date(2012, 2, 1),
    "test_centre": "Centre 1",
    "title": "A problem",
    "body": "It does not work.",
    "author": "candidate",
    "reason": "asked for",
    "category": "newsletters",
    "enabled": True,
    "token": "t" * 43,
    "incident_id": "INC-1",
    "award_id": "award-1",
    "award_ids": ["award-1"],
    "kit_id": "kit-1",
    "disclosure_id": "d-1",
    "code": "c" * 20,
    "taken_at": datetime(2012, 2, 1, tzinfo=UTC),
    "subject": "subject-1",
    "purpose_or_scope": "newsletters",
    "purpose": "newsletters",
    "scope": "channel.email",
    "channel": "web_form",
    "site": "example.com",
    "request_id": "r-1",
    "version": "1.0",
    "policy_version": "1.0",
    "activity": "registration",
    "items": ["email"],
    "data": {"email": "ada@example.com"},
    "changes": {"email": "ada@example.com"},
    "reader": None,
    "customer_id": "C-1",
    "agreement_id": "A-1",
    "extension_id": "E-1",
    "grant_id": "G-1",
    "case_id": "CASE-1",
    "session_id": "S-1",
    "level": "essential_support",
    "kind": "courtesy",
    "products": ["product-1"],
    "product": "product-1",
    "releases": ["1.0"],
    "release": "1.0",
    "starts_on": date(2012, 1, 1),
    "ends_on": date(2013, 1, 1),
    "end_of_standard_support": date(2013, 1, 1),
    "by": "operator",
    "approver": "manager",
    "severity": "1",
    "summary": "A summary",
    "document": "technical_support_policy",
    "country": "DE",
}


def _is_text(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return "str" in text


def _huge_for(annotation: object) -> Any:
    """4 MB of text in the shape the parameter takes (text, a list of texts, a mapping)."""
    text = annotation if isinstance(annotation, str) else repr(annotation)
    if text.startswith(("Mapping", "dict")):
        return {"email": HUGE}
    if text.startswith(("Iterable", "list", "tuple", "Sequence")):
        return [HUGE]
    return HUGE


def _cases(program: Program) -> Iterator[tuple[str, Callable[..., Any], str, dict[str, Any]]]:
    """Every (name, method, text parameter, keyword arguments with 4 MB in it)."""
    owners: list[tuple[str, object, tuple[str, ...] | None]] = [
        (name, getattr(program, name), None) for name in SERVICES
    ]
    owners.append(("program", program, PROGRAM_METHODS))
    for owner_name, owner, only in owners:
        names = only or tuple(n for n in dir(owner) if not n.startswith("_"))
        for name in names:
            if (owner_name, name) in SKIPPED:
                continue
            method = getattr(owner, name)
            if not inspect.ismethod(method):
                continue
            params = inspect.signature(method).parameters
            for target, param in params.items():
                if not _is_text(param.annotation):
                    continue
                kwargs: dict[str, Any] = {}
                known = True
                for other, spec in params.items():
                    if other == target:
                        kwargs[other] = _huge_for(spec.annotation)
                    elif spec.default is inspect.Parameter.empty:
                        if other not in SAMPLES:
                            known = False
                        kwargs[other] = SAMPLES.get(other)
                if known:
                    yield f"{owner_name}.{name}({target}=4 MB)", method, target, kwargs


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_every_text_input_is_refused_before_it_is_parsed(
    backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """4 MB in any text parameter of any public method: a SymprogramError, no parser sees it."""
    program = make_program(backend)
    spies = Spies(monkeypatch)
    problems: list[str] = []
    called = 0
    for label, method, target, kwargs in _cases(program):
        called += 1
        before = len(spies.calls)
        try:
            result = method(**kwargs)
            if isinstance(result, Iterator):  # iter_*: the work happens as it is read
                list(result)
        except SymprogramError:
            pass
        except Exception as exc:  # reported below
            problems.append(f"{label}: {type(exc).__name__} {str(exc)[:80]}")
        else:
            if target not in CLIPPED:
                problems.append(f"{label}: accepted")
        problems.extend(f"{label}: {call}" for call in spies.calls[before:])
    assert called > 150
    assert [] == problems, "\n".join(problems)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_long_recipient_address_is_limit_exceeded_before_parsing(
    backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify_disclosure refuses a 4 MB recipient with LimitExceeded; neither it nor
    publish parses it."""
    program = make_program(backend)
    spies = Spies(monkeypatch)
    with pytest.raises(LimitExceeded) as info:
        program.awards.verify_disclosure("c" * 20, recipient_email=HUGE)
    assert "recipient_email" == info.value.field
    assert {"limit": 254, "length": len(HUGE)} == info.value.details
    with pytest.raises(SymprogramError):
        program.awards.publish("C-1", ["award-1"], HUGE)
    assert [] == spies.calls


def _kernel_calls() -> list[tuple[str, Callable[[], object], str]]:
    """(label, call with 4 MB of text, expected) of the kernel parsers.

    Expected: ``"refused"`` (a SymprogramError), ``"clipped"`` (a header read up to
    its documented length) or ``"false"`` (a predicate answering False).
    """
    from symprogram import i18n, ids, tokens

    return [
        ("i18n.parse_tag", lambda: i18n.parse_tag(HUGE), "refused"),
        ("LanguageTag.parse", lambda: i18n.LanguageTag.parse(HUGE), "refused"),
        ("i18n.direction", lambda: i18n.direction(HUGE), "refused"),
        ("i18n.display_name(tag)", lambda: i18n.display_name(HUGE), "refused"),
        ("i18n.display_name(locale)", lambda: i18n.display_name("en", HUGE), "refused"),
        ("i18n.negotiate([tag])", lambda: i18n.negotiate([HUGE], ["en"]), "refused"),
        ("i18n.negotiate(available)", lambda: i18n.negotiate("en", [HUGE]), "refused"),
        ("i18n.negotiate(default)", lambda: i18n.negotiate("en", ["en"], default=HUGE), "refused"),
        ("i18n.negotiate(header)", lambda: i18n.negotiate(HUGE, ["en"]), "clipped"),
        ("i18n.parse_accept_language", lambda: i18n.parse_accept_language(HUGE), "clipped"),
        ("CandidateId.parse", lambda: ids.CandidateId.parse(HUGE), "refused"),
        ("ids.check_character", lambda: ids.check_character(HUGE), "refused"),
        ("CandidateId.is_valid", lambda: ids.CandidateId.is_valid(HUGE), "false"),
        ("ids.validate", lambda: ids.validate(HUGE), "false"),
        ("tokens.digest", lambda: tokens.digest(HUGE), "refused"),
    ]


def test_kernel_parsers_check_the_length_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Language tags, headers, candidate IDs and token secrets: 4 MB is refused unparsed."""
    spies = Spies(monkeypatch)
    problems: list[str] = []
    for label, call, expected in _kernel_calls():
        before = len(spies.calls)
        try:
            answer = call()
        except SymprogramError:
            outcome = "refused"
        except Exception as exc:  # reported below
            outcome = f"{type(exc).__name__} {str(exc)[:80]}"
        else:
            outcome = "false" if answer is False else "clipped"
        if outcome != expected:
            problems.append(f"{label}: {outcome}, expected {expected}")
        problems.extend(f"{label}: {call}" for call in spies.calls[before:])
    assert [] == problems, "\n".join(problems)


def test_csv_import_refuses_long_fields_unparsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`symprogram import candidates`: a 4 MB field (beyond the CSV reader's field limit)
    and a 100 KB address are bad rows with their line numbers; the good row is imported;
    no e-mail address longer than the limit is parsed."""
    from click.testing import CliRunner

    from symprogram.cli import cli

    spies = Spies(monkeypatch)
    header = "email,given_name,family_name,company_name,partner_company,preferred_language\n"
    rows = tmp_path / "people.csv"
    rows.write_text(
        header
        + f"{HUGE},Ada,Lovelace,Co,Partner,en\n"
        + f"{'b' * 100_000}@example.com,Bea,Smith,Co,Partner,en\n"
        + "c@example.com,Cy,Jones,Co,Partner,en\n",
        encoding="utf-8",
    )
    args = ["--db", str(tmp_path / "cli.db"), "--now", "2011-01-20T12:00:00Z"]
    result = CliRunner().invoke(
        cli, [*args, "import", "candidates", str(rows), "--terms-accepted", "--json"]
    )
    report = json.loads(result.stdout)
    assert 1 == report["imported"]
    bad = {row["line"]: row["code"] for row in report["bad_rows"]}
    assert {2: "csv_malformed", 3: "text_too_long"} == bad
    assert [] == spies.calls
