"""One symprogram Program per process, its tables in the project's database.

:func:`get_program` opens the program on first use (under a lock, so threads of a
threaded server share one) with ``Program.open(engine)``: an SQLAlchemy engine on
the database Django uses (``DATABASES["default"]``), so symprogram creates its
tables (``sp_records``, ``sp_index``, ``sp_streams``, ``sp_schema``) there, next
to the project's own, and migrates them itself. Django's migrations never see
them (they are not models); see ``docs/howto-alembic.md`` if the project also
uses Alembic.

symprogram's messages (activation links, ...) are delivered with Django's
e-mail machinery (:class:`DjangoMailNotifier`).
"""

from __future__ import annotations

import atexit
import threading
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import mail
from django.urls import reverse

from symprogram import Program
from symprogram.notify import Message

__all__ = ["DjangoMailNotifier", "close_program", "get_program", "sqlalchemy_url"]

_DRIVERS = {
    "django.db.backends.sqlite3": "sqlite+pysqlite",
    "django.db.backends.postgresql": "postgresql+psycopg",
    "django.db.backends.mysql": "mysql+pymysql",
}

_lock = threading.Lock()
_state: dict[str, Any] = {}


def sqlalchemy_url(database: dict[str, Any]) -> Any:
    """The SQLAlchemy URL of a Django ``DATABASES`` entry (SQLite, PostgreSQL, MySQL/MariaDB)."""
    from sqlalchemy.engine import URL

    driver = _DRIVERS.get(database["ENGINE"])
    if driver is None:
        raise ValueError(f"no SQLAlchemy driver known for {database['ENGINE']}")
    if driver.startswith("sqlite"):
        return URL.create(driver, database=str(database["NAME"]))
    return URL.create(
        driver,
        username=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=int(database["PORT"]) if database.get("PORT") else None,
        database=database.get("NAME"),
    )


class DjangoMailNotifier:
    """A symprogram notifier that sends each message with :func:`django.core.mail.send_mail`.

    An activation message gets its link, built from the configured
    ``SYMPROGRAM["BASE_URL"]`` (never from the request's ``Host`` header).
    """

    def send(self, message: Message) -> None:
        """Send ``message`` to its recipient."""
        body = message.body
        if message.kind == "activation" and "token" in message.data:
            base = getattr(settings, "SYMPROGRAM", {}).get("BASE_URL", "http://localhost:8000")
            query = urlencode({"token": message.data["token"]})
            body = f"{body}\n\n{base.rstrip('/')}{reverse('activate')}?{query}\n"
        mail.send_mail(
            message.subject, body, settings.DEFAULT_FROM_EMAIL, [message.to], fail_silently=False
        )


def get_program() -> Program:
    """The process's program, opened on first use."""
    program = _state.get("program")
    if program is None:
        with _lock:
            program = _state.get("program")
            if program is None:
                import sqlalchemy

                config = getattr(settings, "SYMPROGRAM", {})
                engine = sqlalchemy.create_engine(sqlalchemy_url(settings.DATABASES["default"]))
                program = Program.open(
                    engine, notifier=DjangoMailNotifier(), options=config.get("OPTIONS") or None
                )
                _state["engine"], _state["program"] = engine, program
    return program


@atexit.register
def close_program() -> None:
    """Close the program and dispose of its engine (at exit; tests call it too)."""
    with _lock:
        program = _state.pop("program", None)
        engine = _state.pop("engine", None)
    if program is not None:
        program.close()
    if engine is not None:
        engine.dispose()
