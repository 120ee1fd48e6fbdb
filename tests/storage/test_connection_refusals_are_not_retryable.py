"""A server that refuses to open the storage for good (authentication, privileges, an
unknown database, connection settings the driver or server rejects) raises a
StorageError that is never retryable, with a stable code: ``access_denied``,
``database_not_found`` or ``invalid_connection_settings``. Only a server that
cannot be reached stays the retryable ``database_unavailable``.

The translation is checked on constructed driver errors (no server needed); the
refusals of real servers run when ``SYMPROGRAM_TEST_POSTGRES_URL`` /
``SYMPROGRAM_TEST_MARIADB_URL`` are set."""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

import psycopg
import pymysql
import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from symprogram import Program
from symprogram.errors import StorageError, SymprogramError, ValidationError
from symprogram.storage import open_store
from symprogram.storage.sqlalchemy import SQLAlchemyStore
from symprogram.storage.sqlalchemy._errors import translate

SERVERS = {"postgresql": "SYMPROGRAM_TEST_POSTGRES_URL", "mariadb": "SYMPROGRAM_TEST_MARIADB_URL"}

LIBPQ = 'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  '


def connect_error(orig: BaseException, *, invalidated: bool = False) -> exc.DBAPIError:
    """What SQLAlchemy raises when the driver refuses a new connection."""
    return exc.OperationalError(None, None, orig, connection_invalidated=invalidated)


def final(translated: SymprogramError, code: str) -> None:
    assert isinstance(translated, StorageError)
    assert (code, False) == (translated.code, translated.details["retryable"])


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (1044, "access_denied"),  # no rights on the database
        (1045, "access_denied"),  # wrong password
        (1698, "access_denied"),  # MariaDB: unknown user / no password
        (1130, "access_denied"),  # host not allowed to connect
        (1142, "access_denied"),  # table privilege
        (1227, "access_denied"),  # a missing privilege
        (1251, "access_denied"),  # authentication plugin not supported
        (1049, "database_not_found"),
    ],
)
@pytest.mark.parametrize("during", ["connect", "statement"])
def test_mysql_refusals_by_error_number_are_final(number: int, code: str, during: str) -> None:
    """MariaDB / MySQL error numbers of a refusal map to a code, never retryable."""
    orig = pymysql.err.OperationalError(number, "Access denied for user 'nouser'@'127.0.0.1'")
    translated = translate(connect_error(orig), during=during)
    assert isinstance(translated, StorageError)
    final(translated, code)
    assert number == translated.details["errno"]


@pytest.mark.parametrize(
    ("orig", "code"),
    [
        (
            psycopg.errors.InvalidAuthorizationSpecification('role "x" does not exist'),
            "access_denied",
        ),
        (psycopg.errors.InvalidPassword("password authentication failed"), "access_denied"),
        (psycopg.errors.InsufficientPrivilege("permission denied for database"), "access_denied"),
        (psycopg.errors.InvalidCatalogName('database "x" does not exist'), "database_not_found"),
    ],
)
def test_postgresql_refusals_by_sqlstate_are_final(orig: BaseException, code: str) -> None:
    """SQLSTATE 28000, 28P01, 42501 and 3D000 are final, even on a connection marked lost."""
    for invalidated in (False, True):
        translated = translate(connect_error(orig, invalidated=invalidated), during="connect")
        assert isinstance(translated, StorageError)
        final(translated, code)


class _DiagOnly(Exception):
    """A PostgreSQL driver error whose SQLSTATE is only on its ``diag``."""

    diag = SimpleNamespace(sqlstate="28P01")


class _Pg8000Style(Exception):
    """pg8000 carries the server's fields in a dict, the SQLSTATE under ``C``."""


@pytest.mark.parametrize(
    "orig",
    [_DiagOnly("password authentication failed"), _Pg8000Style({"C": "28000", "M": "no role"})],
)
def test_a_sqlstate_is_found_on_diag_or_in_the_server_fields(orig: BaseException) -> None:
    """The SQLSTATE is read from ``diag.sqlstate`` or pg8000's ``{"C": ...}`` too."""
    final(translate(connect_error(orig), during="statement"), "access_denied")


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (LIBPQ + 'role "nobody" does not exist', "access_denied"),
        (LIBPQ + 'password authentication failed for user "postgres"', "access_denied"),
        (LIBPQ + 'Peer authentication failed for user "postgres"', "access_denied"),
        (
            LIBPQ + 'no pg_hba.conf entry for host "10.0.0.1", user "a", database "b"',
            "access_denied",
        ),
        (LIBPQ + 'role "reporting" is not permitted to log in', "access_denied"),
        (LIBPQ + 'permission denied for database "fix"', "access_denied"),
        ("connection failed: fe_sendauth: no password supplied", "access_denied"),
        (LIBPQ + 'database "nowhere" does not exist', "database_not_found"),
        (LIBPQ + 'unrecognized configuration parameter "foo"', "invalid_connection_settings"),
        ('connection is bad: invalid sslmode value: "bogus"', "invalid_connection_settings"),
    ],
)
def test_postgresql_refusals_without_a_sqlstate_are_found_by_their_words(
    message: str, code: str
) -> None:
    """psycopg's connection errors carry libpq's message only: its words decide."""
    orig = psycopg.OperationalError(message)
    assert orig.sqlstate is None
    translated = translate(connect_error(orig), during="connect")
    final(translated, code)
    assert message.split("FATAL:  ")[-1] in translated.message


def test_a_refusal_on_a_later_line_of_a_multi_host_message_is_found() -> None:
    """libpq reports each host on its own line: a refusal on any of them is final."""
    message = (
        'connection failed: connection to server at "::1", port 5432 failed: Connection refused\n'
        'connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
        'password authentication failed for user "app"'
    )
    translated = translate(connect_error(psycopg.OperationalError(message)), during="connect")
    final(translated, "access_denied")
    assert "password authentication failed" in translated.message


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.OperationalError(LIBPQ.replace("FATAL:  ", "Connection refused")),
        psycopg.OperationalError(LIBPQ + "sorry, too many clients already"),
        pymysql.err.OperationalError(2003, "Can't connect to MySQL server on '127.0.0.1'"),
        pymysql.err.OperationalError(1040, "Too many connections"),
    ],
)
def test_an_unreachable_or_busy_server_stays_retryable(orig: BaseException) -> None:
    """A server that is down or full may accept the next attempt: database_unavailable."""
    translated = translate(connect_error(orig), during="connect")
    assert ("database_unavailable", True) == (translated.code, translated.details["retryable"])


def test_refusal_words_outside_connecting_are_not_read() -> None:
    """The words decide only for a new connection; a statement's error keeps its code."""
    orig = psycopg.OperationalError('role "nobody" does not exist')
    assert "storage_error" == translate(connect_error(orig), during="statement").code


def test_a_driver_rejecting_its_arguments_is_invalid_connection_settings() -> None:
    """A DB-API ProgrammingError while connecting is a settings error, not an outage."""
    orig = psycopg.ProgrammingError('invalid connection option "foo"')
    error = exc.ProgrammingError(None, None, orig)
    final(translate(error, during="connect"), "invalid_connection_settings")


def test_urls_with_settings_the_driver_refuses_never_raise_a_bare_error() -> None:
    """Unknown or malformed URL parameters are refused before any connection is tried."""
    for url in (
        "postgresql+psycopg://u@127.0.0.1:9/x?foo=bar",  # psycopg ProgrammingError
        "mysql+pymysql://u@127.0.0.1:9/x?foo=bar",  # pymysql TypeError
        "mysql+pymysql://u@127.0.0.1:9/x?charset=bogus",  # pymysql AttributeError
        "mysql+pymysql://u@127.0.0.1:9/x?ssl_ca=/nonexistent/ca.pem",  # FileNotFoundError
    ):
        with pytest.raises(StorageError) as info:
            open_store(url)
        final(info.value, "invalid_connection_settings")
        assert info.value.__cause__ is not None
    with pytest.raises(ValidationError) as bad:  # SQLAlchemy's own check: int("abc")
        open_store("mysql+pymysql://u@127.0.0.1:9/x?connect_timeout=abc")
    assert "invalid_storage_url" == bad.value.code


def test_a_host_engine_whose_driver_raises_a_builtin_is_translated() -> None:
    """SQLAlchemyStore(engine=...) never lets a driver's bare exception escape."""

    def creator() -> object:
        raise TypeError("connect() got an unexpected keyword argument 'sslmode'")

    engine = sa.create_engine("sqlite+pysqlite://", creator=creator)
    with pytest.raises(StorageError) as info:
        SQLAlchemyStore(engine=engine)
    final(info.value, "invalid_connection_settings")
    assert isinstance(info.value.__cause__, TypeError)
    engine.dispose()


# -- real servers -----------------------------------------------------------------


def server_url(name: str) -> sa.URL:
    url = os.environ.get(SERVERS[name])
    if not url:
        pytest.skip(f"set {SERVERS[name]} to run the {name} refusal tests")
    return sa.make_url(url)


def refused(url: sa.URL) -> StorageError:
    with pytest.raises(StorageError) as info:
        Program.open(url.render_as_string(hide_password=False))
    return info.value


@pytest.mark.parametrize("name", ["postgresql", "mariadb"])
def test_an_unknown_user_is_access_denied(name: str) -> None:
    """PostgreSQL 'role does not exist' (28000) and MariaDB 1698/1045: access_denied."""
    url = server_url(name).set(username=f"symprogram_nobody_{uuid.uuid4().hex[:8]}")
    final(refused(url), "access_denied")


@pytest.mark.parametrize("name", ["postgresql", "mariadb"])
def test_an_unknown_database_is_database_not_found(name: str) -> None:
    """PostgreSQL 3D000 and MariaDB 1049: database_not_found, never retryable."""
    url = server_url(name).set(database=f"symprogram_nowhere_{uuid.uuid4().hex[:8]}")
    error = refused(url)
    final(error, "database_not_found")
    assert "symprogram_nowhere_" in error.message


def test_a_wrong_password_on_mariadb_is_access_denied() -> None:
    """MariaDB 1045 (the password is checked even for a password-less account)."""
    final(refused(server_url("mariadb").set(password="symprogram-wrong-password")), "access_denied")


def test_an_unreachable_server_is_retryable() -> None:
    """Nothing listening on the port: database_unavailable, retryable (no server needed)."""
    with pytest.raises(StorageError) as info:
        Program.open("postgresql+psycopg://u@127.0.0.1:9/x?connect_timeout=2")
    assert ("database_unavailable", True) == (info.value.code, info.value.details["retryable"])
