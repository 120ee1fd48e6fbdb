"""The ``symprogram`` command: a demo and real commands over a database file.

Install with the ``cli`` extra (``pip install 'symprogram[cli]'``), then::

    symprogram demo                       # the whole program on a temporary SQLite file
    symprogram --db program.db init       # create a database
    symprogram candidates register --help

The database is ``--db`` (a file path or a storage URL), else the
``SYMPROGRAM_DB`` or ``SYMPROGRAM_STORAGE`` environment variable, else
``sqlite:///symprogram.db``. Every command takes ``--json``. A caller's mistake
exits with status 1 (2 for a usage error) and one line on stderr,
``error: [code] message``; never a traceback.

symprogram never sends e-mail: the CLI prints the messages a host application
would e-mail (activation tokens, verification codes), which is what makes
``register`` then ``activate`` work from a terminal.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from symprogram._cli.output import decision_data, dump_json, explain_decision, jsonable, when
from symprogram.clock import Clock, FixedClock, SystemClock, ensure_utc
from symprogram.errors import SymprogramError, ValidationError
from symprogram.notify import Message, Outbox
from symprogram.program import Program

__all__ = ["DEFAULT_DATABASE", "main"]

DEFAULT_DATABASE = "sqlite:///symprogram.db"
"""The database used when neither ``--db`` nor an environment variable names one."""

_JSON_KEY = "symprogram.json"
F = TypeVar("F", bound=Callable[..., Any])


# -- errors ------------------------------------------------------------------------------
class CliError(click.ClickException):
    """A caller's mistake, shown as one line ``error: [code] message`` on stderr."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        exit_code: int = 1,
        data: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(" ".join(message.split()))
        self.code = code
        self.exit_code = exit_code  # type: ignore[misc]
        self.data = data if data is not None else {"code": code, "message": self.message}
        self.payload = payload
        self.as_json = False

    @classmethod
    def from_error(cls, exc: SymprogramError) -> CliError:
        """Wrap a :class:`~symprogram.errors.SymprogramError`."""
        message = exc.message + (f" (field: {exc.field})" if exc.field else "")
        return cls(exc.code, message, data=exc.to_dict())

    def show(self, file: Any = None) -> None:
        """Print the error line on stderr (and, with ``--json``, the error as JSON on stdout)."""
        if self.as_json:
            click.echo(
                dump_json(self.payload if self.payload is not None else {"error": self.data})
            )
        click.echo(f"error: [{self.code}] {self.message}", err=True)


class _Main(click.Group):
    """The top-level group: turns every error a caller can cause into one line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _usage(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SymprogramError as exc:
            raise _flag(ctx, CliError.from_error(exc)) from exc
        except click.UsageError as exc:
            raise _flag(ctx, _usage(exc)) from exc
        except CliError as exc:
            raise _flag(ctx, exc) from exc
        except KeyboardInterrupt as exc:
            raise _flag(ctx, CliError("interrupted", "interrupted", exit_code=130)) from exc


def _usage(exc: click.UsageError) -> click.ClickException:
    if type(exc).__name__ == "NoArgsIsHelpError":
        return exc
    command = exc.ctx.command_path if exc.ctx is not None else "symprogram"
    return CliError(
        "usage", f"{exc.format_message()} (see '{command} --help')", exit_code=exc.exit_code
    )


def _flag(ctx: click.Context, exc: click.ClickException) -> click.ClickException:
    if isinstance(exc, CliError):
        exc.as_json = bool(ctx.meta.get(_JSON_KEY))
    return exc


# -- options -----------------------------------------------------------------------------
def _json_callback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_JSON_KEY] = True
    return value


def json_option(fn: F) -> F:
    """Add ``--json`` to a command."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        is_eager=True,
        callback=_json_callback,
        help="Print machine-readable JSON on stdout.",
    )(fn)


def _parse_instant(value: str, field: str) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            return ensure_utc(date.fromisoformat(text), field=field)
        return ensure_utc(datetime.fromisoformat(text.replace("Z", "+00:00")), field=field)
    except ValueError as exc:
        if isinstance(exc, SymprogramError):
            raise
        raise ValidationError(
            f"not an ISO 8601 date or instant: {value!r} (e.g. 2011-01-15 or "
            "2011-01-15T09:00:00+00:00)",
            field=field,
            code="invalid_instant",
        ) from exc


def _instant_option(help_text: str, name: str = "--at") -> Callable[[F], F]:
    """An option taking an ISO 8601 date (midnight UTC) or a timezone-aware instant."""

    def parse(_ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
        if value is None:
            return None
        return _parse_instant(value, param.name or "at")

    return click.option(name, metavar="DATE|INSTANT", callback=parse, help=help_text)


def _database_url(value: str | None) -> str:
    raw = value or os.environ.get("SYMPROGRAM_DB") or os.environ.get("SYMPROGRAM_STORAGE")
    if not raw:
        return DEFAULT_DATABASE
    return raw if "://" in raw else f"sqlite:///{raw}"


class _State:
    """What the group options set up for the commands: the database and the clock."""

    def __init__(self, db: str | None, now: str | None) -> None:
        self.url = _database_url(db)
        self._now = now
        self.outbox = Outbox()
        self._program: Program | None = None

    def clock(self) -> Clock:
        if self._now is None:
            return SystemClock()
        return FixedClock(_parse_instant(self._now, "now"))

    def program(self, **options: dict[str, Any]) -> Program:
        if self._program is None:
            self._program = Program.open(
                self.url, clock=self.clock(), notifier=self.outbox, options=options or None
            )
        return self._program

    def close(self) -> None:
        if self._program is not None:
            self._program.close()
            self._program = None


pass_state = click.make_pass_decorator(_State)


def _emit(as_json: bool, data: Any, lines: list[str] | Callable[[], list[str]]) -> None:
    if as_json:
        click.echo(dump_json(data))
        return
    for line in lines() if callable(lines) else lines:
        click.echo(line)


def _message_lines(messages: tuple[Message, ...] | list[Message]) -> list[str]:
    lines = []
    for m in messages:
        lines.append(f"message for {m.to} ({m.kind}) - what a host application would e-mail:")
        lines.append(f"  subject: {m.subject}")
        for key, value in sorted(m.data.items()):
            if value is not None:
                lines.append(f"  {key}: {value}")
        if m.kind == "activation":
            # "--": a token may start with "-", which would otherwise read as an option.
            lines.append(f"  activate with: symprogram candidates activate -- {m.data['token']}")
    return lines


def _message_data(messages: tuple[Message, ...] | list[Message]) -> list[dict[str, Any]]:
    return [
        {"to": m.to, "kind": m.kind, "subject": m.subject, "body": m.body, "data": dict(m.data)}
        for m in messages
    ]


# -- the group ---------------------------------------------------------------------------
@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH|URL",
    help="Database file or storage URL [env SYMPROGRAM_DB, SYMPROGRAM_STORAGE; "
    f"default {DEFAULT_DATABASE}].",
)
@click.option(
    "--now",
    metavar="INSTANT",
    envvar="SYMPROGRAM_NOW",
    help="Run as if it were this instant (replays, scripts, tests) [env SYMPROGRAM_NOW].",
)
@click.version_option(package_name="symprogram", prog_name="symprogram")
@click.pass_context
def cli(ctx: click.Context, db: str | None, now: str | None) -> None:
    """symprogram: the domain rules of a partner and customer program, from a terminal.

    Start with 'symprogram demo'.
    """
    state = _State(db, now)
    ctx.obj = state
    ctx.call_on_close(state.close)


# -- demo --------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--db",
    "demo_db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file to run on (must not exist yet; default: a temporary file).",
)
@json_option
def demo(demo_db: Path | None, as_json: bool) -> None:
    """Run the whole program from the seeds on an embedded SQLite file.

    Accept the Terms of Use, register, activate, claim a score report, earn, publish
    and verify a certification, check handbook access by level, date and language,
    grant and withdraw consent, then print and verify the account history. The clock
    starts on 2011-01-10, so the run is the same every time.
    """
    from symprogram._cli.demo import run_demo

    emit = None if as_json else click.echo
    if demo_db is not None:
        if demo_db.exists():
            raise CliError(
                "database_exists", f"{demo_db} already exists; the demo needs a new file"
            )
        summary = run_demo(demo_db, emit)
    else:
        with tempfile.TemporaryDirectory(prefix="symprogram-demo-") as tmp:
            summary = run_demo(Path(tmp) / "demo.db", emit)
            summary["database"] = "(temporary file, deleted)"
    if as_json:
        click.echo(dump_json(summary))
    else:
        click.echo("")
        click.echo(f"demo finished; database: {summary['database']}")


# -- init --------------------------------------------------------------------------------
@cli.command()
@json_option
@pass_state
def init(state: _State, as_json: bool) -> None:
    """Create (or upgrade) the database and show what the program holds."""
    program = state.program()
    with program.store.transaction():
        pass
    now = program.now()
    terms = program.accounts.terms.current(now)
    policy = program.consent.policy(now)
    data = {
        "database": state.url,
        "terms_version": terms.version,
        "policy_version": policy.version,
        "awards": len(program.awards.catalogue.awards),
        "documents": len(program.entitlements.catalogue.documents),
    }
    _emit(
        as_json,
        data,
        [
            f"database ready: {state.url}",
            f"Terms of Use in effect: v.{terms.version}",
            f"privacy policy in effect: {policy.version}",
            f"catalogue: {data['awards']} awards, {data['documents']} support documents",
        ],
    )


# -- terms -------------------------------------------------------------------------------
@cli.command()
@click.option("--text", "show_text", is_flag=True, help="Print the full text.")
@json_option
@pass_state
def terms(state: _State, show_text: bool, as_json: bool) -> None:
    """Show the Terms of Use in effect (read them before 'candidates register')."""
    program = state.program()
    current = program.accounts.terms.current(program.now())
    data = {
        "version": current.version,
        "effective": current.effective.isoformat(),
        "digest": current.digest,
        "paths": [str(p) for p in current.acceptance_paths],
    }
    if show_text:
        data["text"] = current.text
    lines = [
        f"Terms of Use v.{current.version}, in effect since {when(current.effective)}",
        f"sha256 {current.digest}",
    ]
    if show_text:
        lines += ["", current.text]
    _emit(as_json, data, lines)


# -- candidates --------------------------------------------------------------------------
@cli.group()
def candidates() -> None:
    """Register, activate and look up candidates."""


@candidates.command("register")
@click.option("--email", required=True)
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--company", "company_name", required=True, help="Company name.")
@click.option("--partner-company", required=True)
@click.option("--language", "preferred_language", required=True, help="e.g. en-GB, de, pt-BR.")
@click.option("--phone")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
@click.option(
    "--accept-terms",
    is_flag=True,
    help="\"I agree to these terms and want to create a new account\" (see 'symprogram terms').",
)
@json_option
@pass_state
def candidates_register(
    state: _State,
    email: str,
    given_name: str,
    family_name: str,
    company_name: str,
    partner_company: str,
    preferred_language: str,
    phone: str | None,
    password: str,
    accept_terms: bool,
    as_json: bool,
) -> None:
    """Accept the Terms of Use and register a candidate (pending activation).

    Prints the message a host application would e-mail: for a new address, the
    activation token and the candidate ID; for a known one, a notice to its owner.
    """
    if not accept_terms:
        raise CliError(
            "terms_not_accepted",
            "accept the Terms of Use before creating an account: pass --accept-terms "
            "(read them with 'symprogram terms --text')",
        )
    from symprogram.accounts import AcceptancePath

    program = state.program()
    receipt = program.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    registration = program.accounts.register(
        terms_receipt=receipt.token or "",
        email=email,
        password=password,
        given_name=given_name,
        family_name=family_name,
        company_name=company_name,
        partner_company=partner_company,
        preferred_language=preferred_language,
        phone=phone,
    )
    messages = state.outbox.messages
    data = {
        "registration": jsonable(registration),
        "terms_version": receipt.acceptance.terms_version,
        "messages": _message_data(messages),
    }
    _emit(
        as_json,
        data,
        [
            f"registration received for {registration.email} "
            f"(reference {registration.reference}); next step: {registration.next_step}",
            *_message_lines(messages),
        ],
    )


@candidates.command("activate")
@click.argument("token")
@json_option
@pass_state
def candidates_activate(state: _State, token: str, as_json: bool) -> None:
    """Activate an account with the TOKEN of its activation message.

    Put '--' before the token: a token may start with '-'
    (symprogram candidates activate -- TOKEN).
    """
    candidate = state.program().accounts.activate(token)
    _emit(
        as_json,
        {"candidate_id": candidate.candidate_id, "status": str(candidate.status)},
        [f"candidate {candidate.candidate_id} is {candidate.status}"],
    )


@candidates.command("resend-activation")
@click.argument("email")
@json_option
@pass_state
def candidates_resend(state: _State, email: str, as_json: bool) -> None:
    """Send a fresh activation link if EMAIL has an account pending activation."""
    state.program().accounts.resend_activation(email)
    messages = state.outbox.messages
    _emit(
        as_json,
        {"messages": _message_data(messages)},
        ["request noted (the answer is the same for every address)", *_message_lines(messages)],
    )


@candidates.command("show")
@click.argument("who")
@json_option
@pass_state
def candidates_show(state: _State, who: str, as_json: bool) -> None:
    """Show a candidate, by candidate ID or e-mail address (staff look-up)."""
    accounts = state.program().accounts
    if "@" in who:
        found = accounts.find_by_email(who)
        if found is None:
            raise CliError("candidate_not_found", f"no candidate uses {who}")
        candidate = found
    else:
        candidate = accounts.get(who)
    terms_status = accounts.terms_status(candidate.candidate_id)
    c = candidate.contact
    data = jsonable(candidate)
    data["terms_status"] = decision_data(terms_status)
    _emit(
        as_json,
        data,
        [
            f"{candidate.candidate_id}  {c.full_name}  <{c.email}>",
            f"status: {candidate.status} since {when(candidate.status_changed_at)}",
            f"company: {c.company_name} (partner: {c.partner_company})",
            f"language: {c.preferred_language}",
            f"registered: {when(candidate.registered_at)}",
            f"terms: {explain_decision(terms_status)}",
            f"score reports: {', '.join(candidate.score_reports) or '-'}",
        ],
    )


# -- awards ------------------------------------------------------------------------------
@cli.group()
def awards() -> None:
    """Exam results and progress towards accreditations and certifications."""


@awards.command("record-result")
@click.argument("candidate_id")
@click.argument("exam_code")
@click.argument("score", type=int)
@_instant_option("When the exam was taken (default: now).", "--taken-at")
@click.option("--version", "exam_version", help="Exam version (default: the newest).")
@json_option
@pass_state
def awards_record(
    state: _State,
    candidate_id: str,
    exam_code: str,
    score: int,
    taken_at: datetime | None,
    exam_version: str | None,
    as_json: bool,
) -> None:
    """Record an exam result, then grant every award it completes."""
    program = state.program()
    result = program.awards.record_exam_result(
        candidate_id,
        exam_code,
        score,
        taken_at=taken_at or program.now(),
        version=exam_version,
    )
    granted = program.awards.evaluate(candidate_id)
    _emit(
        as_json,
        {"result": jsonable(result), "granted": jsonable(granted)},
        [
            f"{result.exam_code} {result.version or ''} score {result.score}: "
            f"{'passed' if result.passed else 'not passed'}",
            *[f"earned {g.award_id}, until {when(g.expires_at)}" for g in granted],
        ],
    )


@awards.command("progress")
@click.argument("candidate_id")
@click.argument("award_id", required=False)
@_instant_option("As of this date or instant (default: now).")
@json_option
@pass_state
def awards_progress(
    state: _State, candidate_id: str, award_id: str | None, at: datetime | None, as_json: bool
) -> None:
    """Progress towards AWARD_ID (or every award): what is met and what is missing."""
    service = state.program().awards
    if award_id is None:
        progress = service.progress_all(candidate_id, at)
    else:
        progress = (service.progress(candidate_id, award_id, at),)

    def lines() -> list[str]:
        out = []
        for p in progress:
            out.append(f"{p.award_id}: {p.percentage}%{' (met)' if p.met else ''}")
            out.extend(f"  missing: {m.description}" for m in p.missing)
        return out

    _emit(
        as_json,
        [jsonable(p) for p in progress] if award_id is None else jsonable(progress[0]),
        lines,
    )


# -- entitlements ------------------------------------------------------------------------
@cli.group()
def entitlements() -> None:
    """Support agreements and who may read which document, in which language."""


@entitlements.command("add-agreement")
@click.argument("customer_id")
@click.option("--agreement-id", required=True)
@click.option("--level", required=True, help="basic_maintenance, essential_support, ...")
@click.option("--product", "products", multiple=True, required=True, help="Repeatable.")
@click.option("--starts-on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--ends-on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--by", default="cli", show_default=True, help="Who records it.")
@json_option
@pass_state
def entitlements_add_agreement(
    state: _State,
    customer_id: str,
    agreement_id: str,
    level: str,
    products: tuple[str, ...],
    starts_on: datetime,
    ends_on: datetime,
    by: str,
    as_json: bool,
) -> None:
    """Record a support agreement for CUSTOMER_ID (dates inclusive)."""
    agreement = state.program().entitlements.add_agreement(
        customer_id,
        agreement_id=agreement_id,
        level=level,
        products=list(products),
        starts_on=starts_on.date(),
        ends_on=ends_on.date(),
        by=by,
    )
    _emit(
        as_json,
        jsonable(agreement),
        [
            f"{customer_id}: agreement {agreement_id} at {level} "
            f"from {starts_on:%Y-%m-%d} to {ends_on:%Y-%m-%d}"
        ],
    )


@entitlements.command("decide")
@click.argument("document")
@click.option("--customer", "customer_id", help="The reader's customer ID.")
@click.option(
    "--logged-in/--logged-out",
    default=None,
    help="Whether the reader is logged in [default: logged in when --customer is given].",
)
@click.option("--lang", "languages", metavar="ACCEPT-LANGUAGE", help='e.g. "iw-IL,en;q=0.5".')
@_instant_option("As of this date or instant (default: now).")
@json_option
@pass_state
def entitlements_decide(
    state: _State,
    document: str,
    customer_id: str | None,
    logged_in: bool | None,
    languages: str | None,
    at: datetime | None,
    as_json: bool,
) -> None:
    """May a reader open DOCUMENT, and in which language? (exit 0 either way)"""
    from symprogram.entitlements import Reader

    reader = Reader(
        customer_id, logged_in=customer_id is not None if logged_in is None else logged_in
    )
    decision = state.program().entitlements.decide(reader, document, languages, at)
    site = decision.detail("local_site_url")
    lines = [
        f"{document}: {explain_decision(decision)}",
        f"language: {decision.detail('language')} ({decision.detail('language_name')}, "
        f"{decision.detail('direction')})" + (f" at {site}" if site else ""),
    ]
    _emit(as_json, decision_data(decision), lines)


# -- consent -----------------------------------------------------------------------------
@cli.group()
def consent() -> None:
    """The consent ledger: grant, withdraw, check and prove choices."""


_CHANNEL = click.option(
    "--channel",
    default="profile_form",
    show_default=True,
    help="Through which channel the choice was made (web_form, email_reply, phone, ...).",
)
_EVIDENCE = click.option("--evidence", default="", help="What proves it (form, message id).")


def _record_lines(record: Any) -> list[str]:
    return [
        f"{record.subject}: {record.topic} {record.choice} via {record.channel} "
        f"under policy {record.policy_version} (ledger position {record.position})"
    ]


@consent.command("grant")
@click.argument("subject")
@click.argument("purpose")
@_CHANNEL
@_EVIDENCE
@json_option
@pass_state
def consent_grant(
    state: _State, subject: str, purpose: str, channel: str, evidence: str, as_json: bool
) -> None:
    """Record that SUBJECT agreed to PURPOSE (e.g. special_offers, channel.email)."""
    record = state.program().consent.grant(subject, purpose, channel=channel, evidence=evidence)
    _emit(as_json, jsonable(record), _record_lines(record))


@consent.command("withdraw")
@click.argument("subject")
@click.argument("purpose")
@_CHANNEL
@_EVIDENCE
@json_option
@pass_state
def consent_withdraw(
    state: _State, subject: str, purpose: str, channel: str, evidence: str, as_json: bool
) -> None:
    """Withdraw SUBJECT's consent to PURPOSE: one call, through any channel."""
    record = state.program().consent.withdraw(subject, purpose, channel=channel, evidence=evidence)
    _emit(as_json, jsonable(record), _record_lines(record))


@consent.command("check")
@click.argument("subject")
@click.argument("purpose")
@click.option("--via", "contact_channel", help="Contact channel: email, postal_mail, phone.")
@_instant_option("As of this date or instant (default: now).")
@json_option
@pass_state
def consent_check(
    state: _State,
    subject: str,
    purpose: str,
    contact_channel: str | None,
    at: datetime | None,
    as_json: bool,
) -> None:
    """May PURPOSE be pursued for SUBJECT? (exit 0 either way; see 'allowed')"""
    decision = state.program().consent.may_use(subject, purpose, contact_channel, at)
    _emit(as_json, decision_data(decision), [f"{subject} / {purpose}: {decision.explain()}"])


@consent.command("receipt")
@click.argument("subject")
@json_option
@pass_state
def consent_receipt(state: _State, subject: str, as_json: bool) -> None:
    """A consent receipt: every standing choice and the verified ledger."""
    receipt = state.program().consent.receipt(subject)

    def lines() -> list[str]:
        out = [
            f"consent receipt for {receipt.subject}, issued {when(receipt.issued_at)} "
            f"(policy {receipt.policy_version})"
        ]
        out += [f"  {c.topic}: {c.choice} on {when(c.at)} via {c.channel}" for c in receipt.choices]
        out.append(
            f"ledger: {receipt.ledger_length} entries, head {receipt.ledger_head[:16]}..., "
            f"verified: {receipt.verified}"
        )
        return out

    _emit(as_json, jsonable(receipt), lines)


# -- history -----------------------------------------------------------------------------
@cli.group()
def history() -> None:
    """The tamper-evident account history."""


@history.command("show")
@click.argument("candidate_id")
@json_option
@pass_state
def history_show(state: _State, candidate_id: str, as_json: bool) -> None:
    """Print a candidate's account history, oldest first."""
    entries = state.program().accounts.history(candidate_id)
    _emit(
        as_json,
        jsonable(entries),
        [f"{e.position:>4}  {when(e.at)}  {e.kind}" for e in entries] or ["(no history)"],
    )


@history.command("verify")
@click.argument("candidate_ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Verify every candidate's history.")
@json_option
@pass_state
def history_verify(
    state: _State, candidate_ids: tuple[str, ...], every: bool, as_json: bool
) -> None:
    """Verify the hash chain of CANDIDATE_IDS' histories (or --all); exit 1 if tampered."""
    program = state.program()
    if every == bool(candidate_ids):
        raise CliError("usage", "give candidate IDs or --all (not both)", exit_code=2)
    subjects: Iterator[str] | tuple[str, ...]
    subjects = program.history.subjects() if every else candidate_ids
    results = []
    for subject in subjects:
        if not every:
            program.accounts.get(subject)  # unknown candidate: a one-line error
        results.append(program.history.verify(subject))
    failed = [r for r in results if not r.ok]
    data: dict[str, Any] = {"checked": len(results), "ok": not failed, "results": jsonable(results)}
    lines = []
    for r in results:
        lines.append(f"{r.subject}: {'ok' if r.ok else 'TAMPERED'} ({r.length} entries)")
        lines.extend(f"  position {p.position}: [{p.code}] {p.message}" for p in r.problems)
    if failed:
        first = failed[0]
        error = CliError(
            "ledger_tampered",
            f"{len(failed)} of {len(results)} histories fail verification "
            f"(first: {first.subject} at position {first.problems[0].position})",
        )
        if not as_json:
            _emit(as_json, data, lines)
        error.payload = data | {"error": error.data}
        raise error
    _emit(as_json, data, lines or ["(no history to verify)"])


# -- import ------------------------------------------------------------------------------
@cli.group("import")
def import_() -> None:
    """Bulk imports from CSV files."""


@import_.command("candidates")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--terms-accepted",
    is_flag=True,
    help="Confirm that the people in the file accepted the Terms of Use in effect; "
    "the import records that acceptance on behalf of each row.",
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--outbox",
    "outbox_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the activation messages (what a host application would e-mail) to this "
    "JSON-lines file.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@pass_state
def import_candidates(
    state: _State,
    file: Path,
    terms_accepted: bool,
    batch_size: int,
    outbox_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Register every candidate of FILE.csv, streaming it in batches.

    Columns: email, given_name, family_name, company_name, partner_company,
    preferred_language; optional phone, address_line1, address_line2, city,
    region, postal_code, country. Bad rows are reported with their line numbers and
    skipped; rows whose e-mail is already registered are skipped, so an interrupted
    import can simply be run again. Imported accounts have no usable password until
    the person activates and uses "Forgot password".
    """
    from symprogram._cli.importer import CandidateImport, UnusablePasswords

    if not terms_accepted:
        raise CliError(
            "terms_not_accepted",
            "the import accepts the Terms of Use on behalf of every row: pass "
            "--terms-accepted to confirm the people in the file accepted them",
        )
    if not file.is_file():
        raise CliError("csv_unreadable", f"no such file: {file}")
    program = state.program(accounts={"hasher": UnusablePasswords()})
    sink = None if outbox_file is None else outbox_file.open("a", encoding="utf-8")

    def write(messages: tuple[Message, ...]) -> None:
        if sink is not None:
            for m in _message_data(messages):
                sink.write(json.dumps(m, ensure_ascii=False, default=str) + "\n")
            sink.flush()

    bar = _Progress(file.stat().st_size, show=not quiet and not as_json)
    importer = CandidateImport(
        program,
        state.outbox,
        batch_size=batch_size,
        on_start=bar.start,
        on_progress=bar.advance,
        on_messages=write,
    )
    try:
        report = importer.run(file)
    except KeyboardInterrupt:
        bar.finish()
        done = importer.report
        raise CliError(
            "interrupted",
            f"import interrupted ({done.imported} imported, {done.skipped} skipped in "
            f"{done.batches} committed batches); run the same command again to import the rest",
            exit_code=130,
        ) from None
    finally:
        bar.finish()
        if sink is not None:
            sink.close()
    data = report.as_dict()
    error = None
    if report.bad:
        first = report.bad[0]
        error = CliError(
            "import_bad_rows",
            f"{len(report.bad)} row(s) not imported (first: line {first.line}, [{first.code}])",
        )
        error.payload = data | {"error": error.data}
        if as_json:
            raise error
        for bad in report.bad:
            click.echo(str(bad), err=True)
    _emit(
        as_json,
        data,
        [
            f"{report.rows} rows: {report.imported} imported, {report.skipped} already "
            f"registered (skipped), {len(report.bad)} bad, in {report.batches} batches",
            *(
                [f"ignored columns: {', '.join(report.ignored_columns)}"]
                if report.ignored_columns
                else []
            ),
        ],
    )
    if error is not None:
        raise error


class _Progress:
    """A click progress bar on stderr, drawn once the CSV header has been accepted."""

    def __init__(self, size: int, *, show: bool) -> None:
        self._size = size
        self._show = show
        self._bar: Any = None
        self._early = 0

    def start(self) -> None:
        if self._show and self._bar is None:
            self._bar = click.progressbar(
                length=self._size, label="importing", file=sys.stderr, show_eta=True
            )
            self._bar.__enter__()
            self._bar.update(self._early)

    def advance(self, count: int) -> None:
        if self._bar is None:
            self._early += count
        else:
            self._bar.update(count)

    def finish(self) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.__exit__(None, None, None)


# -- entry point -------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> NoReturn:
    """Run the ``symprogram`` command (the console script and ``python -m symprogram``)."""
    cli.main(args=argv, prog_name="symprogram")
    raise SystemExit(0)  # pragma: no cover - click exits itself
