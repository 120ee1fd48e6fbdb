"""Driver and SQLAlchemy errors translated into symprogram errors at the boundary.

Each database names its failures its own way: PostgreSQL (and the databases that
speak its protocol) by SQLSTATE, MariaDB and MySQL by error number, SQLite in
words. :func:`translate` reads them through small tables, in order: a refusal
that no retry can cure first (authentication, privileges, an unknown database,
connection settings the driver or server rejects), then a lost connection, then
the SQLSTATE, the error number and the words, and gives every failure a stable
code (``details["retryable"]`` says whether re-running the whole unit of work
may succeed).

A server refuses a connection before any session exists, so the drivers often
have no SQLSTATE for it (psycopg's connection errors carry only libpq's message):
those refusals are also recognised by the server's (English) words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection

from symprogram.errors import IntegrityError, LimitExceeded, StorageError, SymprogramError

__all__ = [
    "close_quietly",
    "connect_failure",
    "is_duplicate",
    "joined_error",
    "rollback_quietly",
    "translate",
]

_PG_CODES: Mapping[str, tuple[str, bool]] = {
    "40001": ("serialization_failure", True),
    "40P01": ("deadlock", True),
    "55P03": ("lock_timeout", True),
    "57014": ("statement_timeout", False),
    "25006": ("database_read_only", False),
    "42P01": ("schema_missing", False),
    "54000": ("database_limit_exceeded", False),
    "53300": ("database_unavailable", True),
    "57P03": ("database_unavailable", True),
}
# Refusals no retry can cure (never retryable): SQLSTATE / error number -> code.
# Any other SQLSTATE of class 28 (invalid authorization) is access_denied too.
_PG_REFUSED: Mapping[str, str] = {
    "28000": "access_denied",  # invalid_authorization_specification (unknown role, pg_hba)
    "28P01": "access_denied",  # invalid_password
    "42501": "access_denied",  # insufficient_privilege (e.g. no CONNECT on the database)
    "3D000": "database_not_found",  # invalid_catalog_name
}
_MYSQL_REFUSED: Mapping[int, str] = {
    1044: "access_denied",  # ER_DBACCESS_DENIED_ERROR: no rights on the database
    1045: "access_denied",  # ER_ACCESS_DENIED_ERROR: wrong user or password
    1130: "access_denied",  # ER_HOST_NOT_PRIVILEGED: this host may not connect
    1142: "access_denied",  # ER_TABLEACCESS_DENIED_ERROR
    1143: "access_denied",  # ER_COLUMNACCESS_DENIED_ERROR
    1227: "access_denied",  # ER_SPECIFIC_ACCESS_DENIED_ERROR: a privilege is missing
    1251: "access_denied",  # ER_NOT_SUPPORTED_AUTH_MODE: the client cannot authenticate
    1698: "access_denied",  # ER_ACCESS_DENIED_NO_PASSWORD_ERROR (e.g. unknown user)
    1862: "access_denied",  # ER_MUST_CHANGE_PASSWORD_LOGIN: the password has expired
    3118: "access_denied",  # ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL)
    4151: "access_denied",  # ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB)
    1049: "database_not_found",  # ER_BAD_DB_ERROR: unknown database
}
# A server's or driver's words for the same refusals, for a connection refused
# without a code (psycopg's connection errors carry libpq's message only), in order.
_REFUSED_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'database "[^"]*" does not exist|unknown database'), "database_not_found"),
    (
        re.compile(
            r"authentication failed"  # password, peer, ident, gss, sspi, ldap, cert ...
            r'|role "[^"]*" does not exist'
            r"|is not permitted to log in"
            r"|pg_hba\.conf"  # no pg_hba.conf entry / pg_hba.conf rejects connection
            r"|permission denied for database"
            r"|no password supplied"
            r"|access denied"
        ),
        "access_denied",
    ),
    (
        re.compile(
            r"invalid connection option"
            r"|unrecognized configuration parameter"
            r"|invalid value for parameter"
            r"|bad value for"
            r"|invalid \w+ value"
            r"|invalid integer value"
            r"|invalid port number"
        ),
        "invalid_connection_settings",
    ),
)
_REFUSED_MESSAGES: Mapping[str, str] = {
    "access_denied": "access denied",
    "database_not_found": "the database does not exist",
    "invalid_connection_settings": "the connection settings are refused",
}
_MYSQL_CODES: Mapping[int, tuple[str, bool]] = {
    1213: ("deadlock", True),
    1205: ("lock_timeout", True),
    1020: ("serialization_failure", True),  # record changed since last read
    1969: ("statement_timeout", False),
    3024: ("statement_timeout", False),
    1146: ("schema_missing", False),
    1290: ("database_read_only", False),
    1792: ("database_read_only", False),
    1040: ("database_unavailable", True),
    1203: ("database_unavailable", True),  # max_user_connections reached
}
_MYSQL_LOST = frozenset({1927, 2003, 2006, 2013, 2055, 4031})
_MYSQL_DUPLICATE = 1062
_MYSQL_PACKET_TOO_LARGE = 1153
_PG_LOST = frozenset({"57P01", "57P02"})

# SQLite (and drivers without codes) in words: (words, message, code, retryable).
_WORDS: tuple[tuple[tuple[str, ...], str, str, bool], ...] = (
    (("locked", "busy"), "the database is busy", "database_busy", True),
    (("readonly", "read-only"), "the database is read-only", "database_read_only", False),
    (("no such table",), "the tables are missing", "schema_missing", False),
)
# SQLite's words for a damaged file: the same error as the SQLite adapter's.
_DAMAGED = ("not a database", "malformed")

_MYSQL_DRIVERS = ("pymysql", "MySQLdb", "mariadb", "mysql", "asyncmy", "aiomysql")


def _is_mysql_error(orig: BaseException | None) -> bool:
    return type(orig).__module__.split(".")[0] in _MYSQL_DRIVERS


def _sqlstate(orig: BaseException | None) -> str | None:
    """The SQLSTATE of a PostgreSQL-protocol error: psycopg's ``sqlstate``,
    psycopg2's ``pgcode``, either's ``diag.sqlstate``, or pg8000's field ``C``."""
    if orig is None or _is_mysql_error(orig):
        return None  # MySQL drivers' SQLSTATEs are coarse: use the error number
    candidates = [
        getattr(orig, "sqlstate", None),
        getattr(orig, "pgcode", None),
        getattr(getattr(orig, "diag", None), "sqlstate", None),
    ]
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], dict):
        candidates.append(args[0].get("C"))
    for state in candidates:
        if isinstance(state, str) and len(state) == 5:
            return state
    return None


def _errno(orig: BaseException | None) -> int | None:
    if not _is_mysql_error(orig):
        return None
    number = getattr(orig, "errno", None)
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and not isinstance(args[0], bool):
        return int(args[0])
    return None


def is_duplicate(error: exc.DBAPIError) -> bool:
    """Whether the database refused a row because its unique key is taken."""
    number = _errno(error.orig)
    if number is not None:
        return number == _MYSQL_DUPLICATE
    state = _sqlstate(error.orig)
    if state is not None:
        return state == "23505"
    text = str(error.orig).lower()
    return "unique constraint" in text or "duplicate" in text


def _storage_error(message: str, code: str, retryable: bool, **details: Any) -> StorageError:
    return StorageError(message, code=code, details={"retryable": retryable, **details})


class _Failure:
    """What one driver error says: its first line, SQLSTATE and error number."""

    __slots__ = ("first", "number", "state")

    def __init__(self, first: str, state: str | None, number: int | None) -> None:
        self.first = first
        self.state = state
        self.number = number


def _refused_code(error: exc.DBAPIError, failure: _Failure, during: str) -> tuple[str, str] | None:
    """The code of a refusal no retry can cure (by SQLSTATE, error number or, for a
    connection refused without a code, words) and the line of the message saying so."""
    state, number = failure.state, failure.number
    if state is not None:
        code = _PG_REFUSED.get(state) or ("access_denied" if state.startswith("28") else None)
        return None if code is None else (code, failure.first)
    if number is not None:
        code = _MYSQL_REFUSED.get(number)
        return None if code is None else (code, failure.first)
    if during != "connect":
        return None
    # libpq tries each host in turn and reports each on its own line.
    lines = str(error.orig or error).strip().splitlines() or [failure.first]
    for pattern, code in _REFUSED_WORDS:
        for line in lines:
            if pattern.search(line.lower()):
                return code, line.strip()
    if isinstance(error, exc.ProgrammingError):
        return "invalid_connection_settings", failure.first  # the driver refused its arguments
    return None


def _refused(error: exc.DBAPIError, failure: _Failure, during: str) -> StorageError | None:
    found = _refused_code(error, failure, during)
    if found is None:
        return None
    code, line = found
    codes: dict[str, object] = {"sqlstate": failure.state} if failure.state else {}
    if failure.number is not None:
        codes["errno"] = failure.number
    return _storage_error(f"{_REFUSED_MESSAGES[code]}: {line}", code, False, **codes)


def connect_failure(error: Exception) -> StorageError:
    """A failure of the driver that is no database error (a ``TypeError`` for an
    unknown URL parameter, a ``ValueError`` for a bad value, a missing certificate
    file): the connection settings are wrong, and no retry cures that."""
    text = str(error).strip().splitlines()
    first = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
    return _storage_error(
        f"the database driver refused the connection settings: {first}",
        "invalid_connection_settings",
        False,
    )


def _lost(error: exc.DBAPIError, failure: _Failure) -> bool:
    state, number = failure.state, failure.number
    return (
        bool(error.connection_invalidated)
        or (state is not None and (state.startswith("08") or state in _PG_LOST))
        or (number is not None and number in _MYSQL_LOST)
    )


def _lost_error(failure: _Failure, during: str) -> StorageError:
    first = failure.first
    if during == "commit":
        return _storage_error(
            f"the connection was lost while committing; the outcome is unknown: {first}",
            "connection_lost",
            False,
            during=during,
            outcome="unknown",
        )
    if during == "connect":
        return _storage_error(
            f"cannot connect to the database: {first}", "database_unavailable", True
        )
    return _storage_error(
        f"the database connection was lost; the unit of work was rolled back: {first}",
        "connection_lost",
        True,
        during=during,
    )


def _by_sqlstate(failure: _Failure) -> SymprogramError | None:
    state = failure.state
    if state is None:
        return None
    if state in _PG_CODES:
        code, retryable = _PG_CODES[state]
        message = f"the database refused: {failure.first}"
        return _storage_error(message, code, retryable, sqlstate=state)
    return None


def _by_errno(failure: _Failure) -> SymprogramError | None:
    number = failure.number
    if number == _MYSQL_PACKET_TOO_LARGE:
        return LimitExceeded(
            f"the data is larger than the server accepts (max_allowed_packet): {failure.first}",
            field="data",
            code="data_too_large",
        )
    if number is not None and number in _MYSQL_CODES:
        code, retryable = _MYSQL_CODES[number]
        message = f"the database refused: {failure.first}"
        return _storage_error(message, code, retryable, errno=number)
    return None


def _by_words(failure: _Failure) -> SymprogramError | None:
    lowered = failure.first.lower()
    for words, message, code, retryable in _WORDS:
        if any(word in lowered for word in words):
            return _storage_error(f"{message}: {failure.first}", code, retryable)
    if any(word in lowered for word in _DAMAGED):
        return IntegrityError(
            f"the database file is damaged: {failure.first}", code="database_corrupt"
        )
    return None


_RULES: tuple[Callable[[_Failure], SymprogramError | None], ...] = (
    _by_sqlstate,
    _by_errno,
    _by_words,
)


def _not_dbapi(error: BaseException, first: str) -> StorageError:
    if isinstance(error, exc.TimeoutError):
        return _storage_error(
            f"no database connection free in the pool: {first}", "pool_timeout", True
        )
    if isinstance(error, exc.ResourceClosedError | exc.InvalidRequestError):
        return _storage_error(f"the connection is unusable: {first}", "connection_lost", False)
    return _storage_error(f"SQLAlchemy failed: {first}", "storage_error", False)


def translate(error: BaseException, *, during: str = "statement") -> SymprogramError:
    """Turn an SQLAlchemy or driver error into a SymprogramError (never raises).

    Args:
        error: what SQLAlchemy raised.
        during: ``"statement"``, ``"connect"``, ``"begin"`` or ``"commit"``: a
            connection lost while committing leaves the outcome unknown.
    """
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    if isinstance(error, exc.TimeoutError) or not isinstance(error, exc.DBAPIError):
        return _not_dbapi(error, first)
    failure = _Failure(first, _sqlstate(error.orig), _errno(error.orig))
    refused = _refused(error, failure, during)
    if refused is not None:
        return refused
    if _lost(error, failure):
        return _lost_error(failure, during)
    for rule in _RULES:
        found = rule(failure)
        if found is not None:
            return found
    if during == "connect":
        return _storage_error(
            f"cannot connect to the database: {first}", "database_unavailable", True
        )
    return _storage_error(f"the database failed: {first}", "storage_error", False)


def joined_error(error: exc.SQLAlchemyError) -> SymprogramError:
    """:func:`translate` for a unit of work inside a host's transaction: only the
    host can re-run its transaction, so nothing is retryable here."""
    translated = translate(error)
    if translated.details.get("retryable"):
        translated.details["retryable"] = False
        translated.details["scope"] = "host_transaction"
    return translated


def rollback_quietly(target: Connection | sa.Transaction) -> None:
    """Roll back, ignoring a failure (the error being handled matters more)."""
    try:
        if isinstance(target, Connection) or target.is_active:
            target.rollback()
    except (exc.SQLAlchemyError, OSError):
        pass


def close_quietly(conn: Connection) -> None:
    """Close a connection, ignoring a failure."""
    with suppress(exc.SQLAlchemyError, OSError):
        conn.close()
