"""Helpers for the CLI tests: parsing JSON, checking one-line errors, registering people."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import Result

NOW = "2011-01-10T09:00:00+00:00"

#: The columns of a candidates CSV file, in the documented order.
CSV_HEADER = [
    "email",
    "given_name",
    "family_name",
    "company_name",
    "partner_company",
    "preferred_language",
]

Invoke = Callable[..., Result]


def parsed(result: Result) -> Any:
    """The JSON document a ``--json`` command printed on stdout."""
    return json.loads(result.stdout)


def assert_one_line_error(result: Result, code: str, exit_code: int = 1) -> None:
    """The command failed with ``exit_code`` and exactly one ``error: [code] ...`` line."""
    assert exit_code == result.exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith(f"error: [{code}] "), lines[0]
    assert "Traceback" not in result.output


def register(run: Invoke, email: str = "ada@example.com", language: str = "en-GB") -> Any:
    """Register ``email`` and return the activation message's data."""
    result = run(
        "candidates",
        "register",
        "--email",
        email,
        "--given-name",
        "Ada",
        "--family-name",
        "Lovelace",
        "--company",
        "Analytical Engines",
        "--partner-company",
        "Babbage & Co",
        "--language",
        language,
        "--password",
        "a long passphrase 42",
        "--accept-terms",
        "--json",
    )
    assert 0 == result.exit_code, result.output
    return parsed(result)["messages"][0]["data"]


def active_candidate(run: Invoke, email: str = "ada@example.com") -> str:
    """Register and activate ``email``; return the candidate ID."""
    token = register(run, email)["token"]
    result = run("candidates", "activate", "--json", "--", token)
    assert 0 == result.exit_code, result.output
    candidate_id: str = parsed(result)["candidate_id"]
    return candidate_id


def ledger_env(current: bytes | None, *retired: bytes) -> dict[str, str | None]:
    """The environment of a CLI run with ledger key ``current`` and ``retired`` keys
    (``None``: no key), and no legacy key."""
    return {
        "SYMPROGRAM_LEDGER_KEY": None if current is None else current.hex(),
        "SYMPROGRAM_LEDGER_RETIRED_KEYS": ",".join(k.hex() for k in retired) or None,
        "SYMPROGRAM_LEDGER_LEGACY_KEY": None,
    }
