"""The click plumbing every command shares: errors, options, the database, clock and
ledger key, output.

Private to :mod:`symprogram.cli` (see there for the command itself).

Every command that opens the database opens it through :meth:`State.program`, with
the ledger key ring the environment names (:func:`key_ring`): a keyed store is
written and read with its key by every command, never by some only. Without a key,
a store whose ledgers are keyed is refused (``ledger_key_missing``) before anything
is written (:func:`refuse_keyless`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click

from symprogram._cli.output import dump_json, printable_text
from symprogram.cli import DEFAULT_DATABASE as DEFAULT_DATABASE
from symprogram.clock import Clock, FixedClock, SystemClock, ensure_utc
from symprogram.errors import SymprogramError, ValidationError
from symprogram.ledger import Ledger
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Message, Outbox
from symprogram.program import Program

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
            with contextlib.suppress(OSError):  # stdout may be what failed (io_error)
                click.echo(
                    dump_json(self.payload if self.payload is not None else {"error": self.data})
                )
        click.echo(printable_text(f"error: [{self.code}] {self.message}"), err=True)


class Main(click.Group):
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
        except click.Abort as exc:
            # a prompt (the password) ended by Ctrl-C or by the end of its input
            raise _flag(ctx, _aborted(exc)) from exc
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # the reader went away (| head): click exits quietly
            # stdout or an output file on a full or failing disk
            where = f" ({exc.filename})" if exc.filename else ""
            error = CliError("io_error", f"input/output failed: {exc.strerror or exc}{where}")
            raise _flag(ctx, error) from exc


def _aborted(exc: click.Abort) -> CliError:
    if isinstance(exc.__context__, EOFError):
        return CliError(
            "input_ended",
            "the input ended before the prompt was answered (give the value as an option, "
            "e.g. --password)",
        )
    return CliError("interrupted", "interrupted", exit_code=130)


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


class _OneLineWarnings(logging.Handler):
    """The SDK's logged warnings as one line each on stderr, without a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {record.exc_info[1]}"
        click.echo(printable_text(f"warning: {' '.join(text.split())}"), err=True)


def log_warnings_on_one_line() -> None:
    """Show what the SDK logs (a notifier that failed, a message left pending) as
    ``warning: ...`` lines, instead of logging's last-resort traceback. Idempotent."""
    logger = logging.getLogger("symprogram")
    if not any(isinstance(h, _OneLineWarnings) for h in logger.handlers):
        logger.addHandler(_OneLineWarnings(logging.WARNING))


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


def json_command(
    group: click.Group, name: str, *params: Callable[[Any], Any]
) -> Callable[[Callable[..., None]], click.Command]:
    """``@group.command(name)`` with the parameters ``params`` (decorators, in the
    order they would be written), ``--json`` and the state: the function takes
    ``state`` first and ``as_json`` last."""

    def decorate(fn: Callable[..., None]) -> click.Command:
        command: Any = pass_state(fn)
        for param in (json_option, *reversed(params)):
            command = param(command)
        return group.command(name)(command)

    return decorate


class FilePath(click.Path):
    """A ``click.Path`` that refuses a name with a NUL byte as a usage error.

    No file name can hold a NUL byte; ``click.Path`` would let ``os.stat`` raise
    ``ValueError`` (a traceback) for one given through ``main(argv)``.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if (isinstance(value, str) and "\x00" in value) or (
            isinstance(value, bytes) and b"\x00" in value
        ):
            self.fail(f"{value!r} is not a file name: it holds a NUL byte", param, ctx)
        return super().convert(value, param, ctx)


def parse_instant(value: str, field: str) -> datetime:
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


def instant_option(help_text: str, name: str = "--at") -> Callable[[F], F]:
    """An option taking an ISO 8601 date (midnight UTC) or a timezone-aware instant."""

    def parse(_ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
        if value is None:
            return None
        return parse_instant(value, param.name or "at")

    return click.option(name, metavar="DATE|INSTANT", callback=parse, help=help_text)


def _database_url(value: str | None) -> str:
    raw = value or os.environ.get("SYMPROGRAM_DB") or os.environ.get("SYMPROGRAM_STORAGE")
    if not raw:
        return DEFAULT_DATABASE
    return raw if "://" in raw else f"sqlite:///{raw}"


def sqlite_file(url: str) -> str | None:
    """The file an SQLite storage URL names (``None``: not SQLite, or in memory)."""
    scheme, _, rest = url.partition("://")
    if scheme.split("+", 1)[0] != "sqlite":
        return None
    rest = rest.split("?", 1)[0]
    if rest in ("", "/", "/:memory:") or not rest.startswith("/"):
        return None
    return rest[1:]


# -- the ledger key ----------------------------------------------------------------------
KEY_ENV = "SYMPROGRAM_LEDGER_KEY"
RETIRED_ENV = "SYMPROGRAM_LEDGER_RETIRED_KEYS"
LEGACY_ENV = "SYMPROGRAM_LEDGER_LEGACY_KEY"
_KEYED_SAMPLE = 32
"""How many stream heads :func:`refuse_keyless` reads (one small query)."""


def _key(variable: str, text: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError as exc:
        raise CliError("invalid_key", f"{variable} must be hex digits") from exc
    if not key:
        raise CliError("invalid_key", f"{variable} is empty")
    return key


def key_ring() -> LedgerKeys | None:
    """The key ring the environment names (``None``: no ``SYMPROGRAM_LEDGER_KEY``).

    A variable that is set names a key: set but empty, it is refused
    (``invalid_key``), never taken for no key. ``SYMPROGRAM_LEDGER_RETIRED_KEYS``
    may be empty (no retired key), but none of its comma-separated keys may be.
    """
    current = os.environ.get(KEY_ENV)
    if current is None:
        if os.environ.get(RETIRED_ENV) or os.environ.get(LEGACY_ENV):
            raise CliError("invalid_key", f"retired or legacy keys given without {KEY_ENV}")
        return None
    listed = os.environ.get(RETIRED_ENV, "")
    retired = [_key(RETIRED_ENV, k) for k in listed.split(",")] if listed.strip() else []
    legacy = os.environ.get(LEGACY_ENV)
    return LedgerKeys(
        _key(KEY_ENV, current),
        retired=retired,
        legacy=None if legacy is None else _key(LEGACY_ENV, legacy),
    )


def refuse_keyless(program: Program) -> None:
    """Refuse a program without a key over a store whose ledgers are keyed.

    A keyed ledger authenticates each stream head (its ``mac``, with the id of the
    key that made it, ``key``; heads written before key ids have a ``mac`` alone);
    a store written without a key has none. The first stream heads are read (one
    small query): if one is keyed, ``ledger_key_missing`` is raised, before the
    command writes anything, instead of entries without the key that the host's
    ``verify_all()`` would then report as tampering.
    """
    with program.store.transaction(readonly=True) as tx:
        heads = tx.scan(Ledger.HEAD_KIND, limit=_KEYED_SAMPLE)
    for head in heads:
        try:
            raw = json.loads(head.data)
        except ValueError:
            continue  # an unreadable head: the ledger itself reports it
        if isinstance(raw, dict) and "mac" in raw:
            named = f" (key id {raw['key']})" if isinstance(raw.get("key"), str) else ""
            raise CliError(
                "ledger_key_missing",
                f"the ledgers of this database are keyed{named}: set {KEY_ENV} (hex) to the "
                "program's ledger key; nothing was written",
            )


class State:
    """What the group options set up for the commands: the database, the clock and the
    ledger key ring (read from the environment by :meth:`program`)."""

    def __init__(self, db: str | None, now: str | None) -> None:
        self.url = _database_url(db)
        self._now = now
        self.outbox = Outbox()
        self._program: Program | None = None

    def clock(self) -> Clock:
        if self._now is None:
            return SystemClock()
        return FixedClock(parse_instant(self._now, "now"))

    def existing_program(self) -> Program:
        """The program over a database that exists: what a read-only command uses.

        A read-only command never creates a database: on an SQLite file that does
        not exist it stops with ``database_missing`` naming the file.
        """
        path = sqlite_file(self.url)
        if path is not None and not os.path.exists(path):
            raise CliError(
                "database_missing",
                f"no database at {path}: create it with 'symprogram --db {path} init' "
                "(or 'symprogram import candidates'), or name another one with --db or "
                "SYMPROGRAM_DB",
            )
        return self.program()

    def catalogue_program(self) -> Program:
        """The program for a command that reads only the catalogues (``terms``).

        Such a command needs no database: on an SQLite file that does not exist it
        reads the same catalogues from a program in memory, and creates nothing.
        """
        path = sqlite_file(self.url)
        if path is not None and not os.path.exists(path) and self._program is None:
            self._program = Program.open("memory://", clock=self.clock(), notifier=self.outbox)
        if self._program is None:  # it reads no ledger: a keyed store needs no key here
            self._program = self._open({}, keyless_ok=True)
        return self._program

    def program(self, **options: dict[str, Any]) -> Program:
        """The program over the database, with the environment's key ring (:func:`key_ring`).

        What every command that opens the database uses. Without a key, a store whose
        ledgers are keyed is refused (``ledger_key_missing``, :func:`refuse_keyless`).
        """
        if self._program is None:
            self._program = self._open(options, keyless_ok=False)
        return self._program

    def _open(self, options: dict[str, Any], *, keyless_ok: bool) -> Program:
        ring = key_ring()
        program = Program.open(
            self.url,
            clock=self.clock(),
            notifier=self.outbox,
            ledger_key=ring,
            options=options or None,
        )
        if ring is None and not keyless_ok:
            try:
                refuse_keyless(program)
            except BaseException:
                program.close()
                raise
        return program

    def close(self) -> None:
        if self._program is not None:
            self._program.close()
            self._program = None


pass_state = click.make_pass_decorator(State)


def emit(as_json: bool, data: Any, lines: list[str] | Callable[[], list[str]]) -> None:
    if as_json:
        click.echo(dump_json(data))
        return
    for line in lines() if callable(lines) else lines:
        click.echo(printable_text(line))


def message_lines(messages: tuple[Message, ...] | list[Message]) -> list[str]:
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


def message_data(messages: tuple[Message, ...] | list[Message]) -> list[dict[str, Any]]:
    return [
        {
            "message_id": m.message_id,  # the same each time the message is sent again
            "to": m.to,
            "kind": m.kind,
            "subject": m.subject,
            "body": m.body,
            "data": dict(m.data),
        }
        for m in messages
    ]
