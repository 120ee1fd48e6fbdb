"""Programs on every storage backend, written once for the whole test suite.

The root ``conftest.py`` turns this into the ``program``, ``make_program`` and
``clock`` fixtures; code that cannot use a fixture (a child process, a Hypothesis
example with its own directory) calls :func:`open_program`. Importable as
``_programs`` because the ``tests`` directory, home of the root ``conftest.py``, is
on ``sys.path``.

Backends: ``memory``, ``sqlite`` (a file), ``sqlalchemy`` (the SQLAlchemy adapter
on a SQLite file), and ``postgresql`` / ``mariadb`` only when
``SYMPROGRAM_TEST_POSTGRES_URL`` / ``SYMPROGRAM_TEST_MARIADB_URL`` are set. Every
SQLAlchemy URL gets a table prefix of its own (``symprogram_table_prefix``), and
the server tables are dropped afterwards, as in ``tests/storage``.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from symprogram import ConcurrencyError, Program, StorageError
from symprogram._anchors import AggregateMismatch
from symprogram.accounts import ContactDetails, ScryptHasher
from symprogram.clock import FixedClock
from symprogram.persistence import Store

#: The instant every program of the suite starts at unless a test says otherwise.
START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)

#: The environment variable naming each server backend's URL.
SERVER_ENV = {
    "postgresql": "SYMPROGRAM_TEST_POSTGRES_URL",
    "mariadb": "SYMPROGRAM_TEST_MARIADB_URL",
}

#: The backends that need nothing but this machine.
EMBEDDED = ("memory", "sqlite", "sqlalchemy")

#: The stores a context's unit tests run on (the ``store`` fixture): fast and embedded.
STORES = ("memory", "sqlite")

#: Every backend by name (``@pytest.mark.backends(*ALL)``: servers only when set).
ALL = (*EMBEDDED, *SERVER_ENV)

#: The SQL backends reached through the SQLAlchemy adapter.
SQLALCHEMY = ("sqlalchemy", *SERVER_ENV)


def servers() -> tuple[str, ...]:
    """The server backends whose URL is set in the environment."""
    return tuple(name for name, variable in SERVER_ENV.items() if os.environ.get(variable))


def backends() -> tuple[str, ...]:
    """Every backend a test can run on here: the embedded ones and the servers set."""
    return (*EMBEDDED, *servers())


def fast_options() -> dict[str, dict[str, Any]]:
    """Program options with a tiny scrypt cost so that tests run fast."""
    return {"accounts": {"hasher": ScryptHasher(n=2**4)}}


def merged_options(options: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """:func:`fast_options` with ``options`` laid over it, service by service."""
    merged = fast_options()
    for name, values in (options or {}).items():
        merged.setdefault(name, {}).update(values)
    return merged


def with_prefix(url: str, prefix: str) -> str:
    """``url`` with ``symprogram_table_prefix=prefix`` added to its query."""
    return f"{url}{'&' if '?' in url else '?'}symprogram_table_prefix={prefix}"


def new_prefix() -> str:
    """A table prefix no other test run uses."""
    return f"t{uuid.uuid4().hex[:10]}_"


def db_path(directory: Path) -> Path:
    """The file of a ``sqlite`` program opened in ``directory``."""
    return directory / "program.db"


def sqlalchemy_db_path(directory: Path) -> Path:
    """The SQLite file of a ``sqlalchemy`` program opened in ``directory``."""
    return directory / "program-sa.db"


def program_url(backend: str, directory: Path, prefix: str) -> str:
    """The storage URL of ``backend`` (files in ``directory``, tables named ``prefix*``)."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{db_path(directory)}"
    if backend == "sqlalchemy":
        return with_prefix(f"sqlite+pysqlite:///{sqlalchemy_db_path(directory)}", prefix)
    if backend not in SERVER_ENV:
        raise ValueError(f"unknown test backend {backend!r}; known: {', '.join(backends())}")
    base = os.environ.get(SERVER_ENV[backend])
    if not base:
        import pytest

        pytest.skip(f"{SERVER_ENV[backend]} is not set: no {backend} server to test against")
    return with_prefix(base, prefix)


def open_store(backend: str, directory: Path, *, name: str = "store.db") -> Store:
    """A fresh store of ``backend`` (``memory``, a ``sqlite`` file ``directory/name``, or
    ``sqlalchemy`` on such a file); the caller closes it."""
    if backend == "memory":
        from symprogram.storage.memory import MemoryStore

        return MemoryStore()
    if backend == "sqlite":
        from symprogram.storage.sqlite import SQLiteStore

        return SQLiteStore(directory / name)
    if backend == "sqlalchemy":
        from symprogram.storage.sqlalchemy import SQLAlchemyStore

        return SQLAlchemyStore.from_url(f"sqlite+pysqlite:///{directory / name}")
    raise ValueError(f"unknown test store {backend!r}; known: memory, sqlite, sqlalchemy")


def open_program(
    backend: str,
    directory: Path,
    *,
    prefix: str | None = None,
    clock: FixedClock | None = None,
    start: datetime = START,
    options: dict[str, dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Program:
    """A program on ``backend`` with a FixedClock at ``start`` and fast password hashing.

    SQL tables get ``prefix`` (a fresh one by default). The caller closes the program
    (and drops server tables: see :func:`drop_tables`).
    """
    prefix = prefix if prefix is not None else new_prefix()
    clock = clock if clock is not None else FixedClock(start)
    merged = merged_options(options)
    if backend == "memory":
        return Program.in_memory(clock=clock, options=merged, **kwargs)
    return Program.open(
        program_url(backend, directory, prefix), clock=clock, options=merged, **kwargs
    )


def drop_tables(backend: str, directory: Path, prefix: str) -> None:
    """Drop the tables a server backend's programs created under ``prefix``."""
    if backend not in SERVER_ENV or not os.environ.get(SERVER_ENV[backend]):
        return
    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    store = SQLAlchemyStore.from_url(program_url(backend, directory, prefix))
    try:
        store.drop_tables()
    finally:
        store.close()


class ProgramFactory:
    """The ``make_program`` fixture: ``make_program("sqlite")`` -> an open Program.

    Every program made is closed at teardown, and the server tables dropped. Two
    calls for the same backend in one test open the same database (the same file
    or the same table prefix), so a test can close a program and reopen its data.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._prefixes: dict[str, str] = {}
        self._made: list[Program] = []

    def prefix(self, backend: str) -> str:
        """The table prefix of ``backend``'s programs in this test."""
        return self._prefixes.setdefault(backend, new_prefix())

    def url(self, backend: str) -> str:
        """The storage URL ``make_program(backend)`` opens (skips a server not set)."""
        return program_url(backend, self.directory, self.prefix(backend))

    def __call__(
        self,
        backend: str = "memory",
        *,
        clock: FixedClock | None = None,
        start: datetime | None = None,
        options: dict[str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> Program:
        """An open program on ``backend`` with ``clock``, else a fresh FixedClock at
        ``start`` (:data:`START` by default); ``options`` are laid over fast hashing."""
        made = open_program(
            backend,
            self.directory,
            prefix=self.prefix(backend),
            clock=clock,
            start=start or START,
            options=options,
            **kwargs,
        )
        self._made.append(made)
        return made

    def close(self) -> None:
        """Close every program made and drop the server tables they created."""
        for made in self._made:
            made.close()
        for backend, prefix in self._prefixes.items():
            drop_tables(backend, self.directory, prefix)


#: The password of the suite's standard registration form.
PASSWORD = "correct horse battery staple"

#: The suite's standard registration form, less the e-mail address and password.
FORM: dict[str, str] = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "company_name": "Analytical Engines",
    "partner_company": "Babbage & Co",
    "preferred_language": "en-GB",
}

#: A stranger's form (what a prober types when registering a taken address).
PROBER: dict[str, str] = {
    **FORM,
    "given_name": "Eve",
    "family_name": "Prober",
    "company_name": "Probing Ltd",
}


def contact(email: str) -> ContactDetails:
    """Contact details of one person (the standard form's, of a "Ltd" company), differing
    only in the e-mail address."""
    return ContactDetails(email=email, **{**FORM, "company_name": "Analytical Engines Ltd"})


def register_form(
    accounts: Any,
    email: str,
    *,
    password: str = PASSWORD,
    terms_receipt: str | None = None,
    **fields: str,
) -> Any:
    """Register ``email`` with the standard form (``fields`` override it) and return the
    receipt; the current terms are accepted first unless ``terms_receipt`` is given."""
    if terms_receipt is None:
        terms_receipt = accounts.accept_terms(path="create_account").token
        assert terms_receipt is not None
    return accounts.register(
        terms_receipt=terms_receipt,
        email=email,
        password=password,
        **{**FORM, **fields},
    )


#: The suite's standard agreement of customer C-1: essential support for NetBackup in 2012.
AGREEMENT: dict[str, Any] = {
    "agreement_id": "A-1",
    "level": "essential_support",
    "products": ["NetBackup"],
    "starts_on": date(2012, 1, 1),
    "ends_on": date(2012, 12, 31),
    "by": "sales",
}


def add_agreement(entitlements: Any, customer: str = "C-1", **fields: Any) -> Any:
    """Add the standard agreement (``fields`` override it) to ``customer`` and return it."""
    return entitlements.add_agreement(customer, **{**AGREEMENT, **fields})


#: The suite's standard courtesy grant of customer C-1: essential support for NetBackup
#: in 2012, given by staff for a migration with a manager's approval.
GRANT: dict[str, Any] = {
    "kind": "courtesy",
    "level": "essential_support",
    "products": ["NetBackup"],
    "starts_on": date(2012, 1, 1),
    "ends_on": date(2012, 12, 31),
    "reason": "migration",
    "approver": "manager",
    "by": "staff",
}


def add_grant(entitlements: Any, customer: str = "C-1", **fields: Any) -> Any:
    """Grant the standard entitlement (``fields`` override it) to ``customer``; return it."""
    return entitlements.grant_entitlement(customer, **{**GRANT, **fields})


#: The suite's standard support extension of customer C-1: NetBackup in 2012.
EXTENSION: dict[str, Any] = {
    "extension_id": "X-1",
    "product": "NetBackup",
    "starts_on": date(2012, 1, 1),
    "ends_on": date(2012, 12, 31),
    "by": "sales",
}


def add_extension(entitlements: Any, customer: str = "C-1", **fields: Any) -> Any:
    """Add the standard extension (``fields`` override it, ``releases`` at least) to
    ``customer``; return it."""
    return entitlements.add_extension(customer, **{**EXTENSION, **fields})


#: How many times the suite retries a write that lost a race (docs/storage.md,
#: "Concurrency: what a caller retries").
RETRIES = 20


def within_retries(action: Callable[[], object], retries: int = RETRIES) -> int:
    """Run ``action`` under the documented retry policy; the number of retries it took.

    A ``ConcurrencyError`` or a ``StorageError`` whose details say ``retryable`` is
    retried; any other error is raised at once.

    Raises:
        AssertionError: it still failed after ``retries`` retries.
    """
    for attempt in range(retries + 1):
        try:
            action()
            return attempt
        except ConcurrencyError:
            continue
        except StorageError as exc:
            if exc.details.get("retryable"):
                continue
            raise
    raise AssertionError(f"gave up after {retries} retries")


def register_active(program: Any, email: str = "ada@example.com", **fields: str) -> str:
    """Register ``email`` with the standard form (``fields`` override it) and activate
    the account from its activation message; return the candidate ID."""
    register_form(program.accounts, email, **fields)
    token = program.notifier.last("activation", to=email).data["token"]
    return str(program.accounts.activate(token).candidate_id)


def change_email(program: Any, cid: str, new_email: str) -> None:
    """Request and confirm an e-mail change of ``cid`` to ``new_email`` (the link taken
    from the program's outbox)."""
    program.accounts.request_email_change(cid, new_email)
    token = program.notifier.last("email_verification", to=new_email).data["token"]
    assert isinstance(token, str)
    program.accounts.confirm_email_change(token)


def record_report(program: Any, number: str = "REG-0001") -> None:
    """Record Ada's exam score report (250-315, 85 of 70) before any account claims it."""
    program.accounts.record_score_report(
        registration_number=number,
        exam_code="250-315",
        candidate_name="Ada Lovelace",
        email="ada@example.com",
        score=85,
        passing_score=70,
        exam_date=date(2012, 2, 1),
        test_centre="London",
    )


def register_earned(program: Any, email: str) -> str:
    """An active candidate holding SCS Endpoint (its two exams passed yesterday; with
    no postal address, its kit is held); return the candidate ID."""
    cid = register_active(program, email)
    taken = program.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)
    return cid


def spy_locks(monkeypatch: Any, *modules: Any) -> list[tuple[str, str]]:
    """Record every ``(kind, key)`` read locked (``persistence.load_for_update``, and
    the same name in ``modules`` that imported it), in order; the list fills as
    the test runs."""
    from symprogram import persistence

    locked: list[tuple[str, str]] = []
    real = persistence.load_for_update

    def spy(tx: Any, kind: str, key: str) -> Any:
        locked.append((kind, key))
        return real(tx, kind, key)

    monkeypatch.setattr(persistence, "load_for_update", spy)
    for module in modules:
        monkeypatch.setattr(module, "load_for_update", spy, raising=False)
    return locked


def run_together(work: Callable[[int], object], count: int) -> list[BaseException]:
    """Run ``work(n)`` for ``n`` in ``range(count)``, in ``count`` threads released
    together; the exceptions they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def wrapped(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:  # reported to the caller
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def reported_mismatches(program: Program) -> set[tuple[str, str, str]]:
    """``(kind, key, field)`` of every ``aggregate_mismatch`` ``verify_all()`` reports."""
    return {
        (problem.kind, problem.key, problem.field)
        for failed in program.verify_all().failures
        for problem in failed.problems
        if isinstance(problem, AggregateMismatch)
    }


def count_lines(path: Path) -> int:
    """How many line ends ``path`` holds (0 while it does not exist): how far a child
    process writing it has got."""
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def awards_write_calls(
    program: Any, cid: str, *, verify_code: str | None = None
) -> dict[str, Callable[[], object]]:
    """Every awards call that writes about ``cid`` (an earned candidate), by name, in an
    order in which each succeeds; with ``verify_code``, a third party's verification
    of that disclosure code (it is counted in the holder's history) after the publish."""
    taken = program.now() - timedelta(hours=1)
    calls: dict[str, Callable[[], object]] = {
        "record_exam_result": lambda: program.awards.record_exam_result(
            cid, "250-315", 90, taken_at=taken
        ),
        "evaluate": lambda: program.awards.evaluate(cid),
        "publish": lambda: program.awards.publish(cid, ["scs-endpoint"], "it@example.com"),
    }
    if verify_code is not None:
        calls["verify_disclosure"] = lambda: program.awards.verify_disclosure(verify_code)
    calls.update(
        {
            "revoke_disclosure": lambda: program.awards.revoke_disclosure(
                cid, program.awards.disclosures_of(cid)[-1].disclosure_id
            ),
            "revoke": lambda: program.awards.revoke(cid, "scs-endpoint", reason="audit"),
            "release_held_kits": lambda: program.awards.release_held_kits(cid),
            "erase": lambda: program.awards.erase(cid),
        }
    )
    return calls
