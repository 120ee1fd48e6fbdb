"""Read-only reporting views over symprogram's tables, one SQL text per database.

The storage port keeps every record as a JSON document per ``(kind, key)``; these
views extract the columns analysts and BI tools ask for with each database's own
JSON functions (SQLite ``json_extract`` / ``json_each``, PostgreSQL ``jsonb``
operators, MariaDB ``JSON_VALUE`` / ``JSON_TABLE``), so that the program can be
queried with plain SQL:

* ``<prefix>v_candidates`` — one row per candidate account that is not erased:
  ``candidate_id, status, email, given_name, family_name, preferred_language,
  registered_at, activated_at`` (``activated_at`` is the first change from
  ``pending_activation`` to ``active`` in the account history, NULL before);
* ``<prefix>v_awards_held`` — one row per award a candidate (not erased) holds or
  held, its newest grant: ``candidate_id, award_id, grant_id, earned_at,
  expires_at, revoked_at, status``; ``expires_at`` counts every renewal and
  ``status`` (``active``, ``expired``, ``revoked``) is as of the database's clock;
* ``<prefix>v_consent`` — one row per standing choice of a subject that is not
  erased: ``subject, purpose, channel, state, decided_at, policy_version``
  (``purpose`` is the topic: a purpose id or ``channel.<channel>``);
* ``<prefix>v_agreements`` — one row per support agreement: ``customer_id,
  agreement_id, service_level, starts, ends, status`` (``status`` is the latest
  status change, ``active`` without one).

Instants are ISO-8601 text in UTC on SQLite, ``timestamptz`` on PostgreSQL and
``DATETIME(6)`` in UTC on MariaDB; ``starts`` and ``ends`` are dates (ISO text on
SQLite). Erased people do not appear: the views read the same records erasure
scrubs and leave out those marked erased.

The adapters create the views in their schema migration and drop and recreate
them whenever the schema is migrated forward, so a newer release's views replace
the older ones. Databases other than these three get no views.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "VIEWS",
    "create_statements",
    "drop_statements",
    "supports",
    "view_names",
]

VIEWS: tuple[str, ...] = ("v_agreements", "v_awards_held", "v_candidates", "v_consent")
"""The reporting views' names without the table prefix, sorted."""

Quote = Callable[[str], str]


def _double_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _backtick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _candidates(head: str, *, json_value: str, history_stream: str) -> str:
    """``v_candidates``: ``head``, then the end where SQLite and MariaDB differ only in names.

    ``activated_at`` is the first change from ``pending_activation`` to ``active``
    in the account's history; the rows are the candidates not erased.
    """
    return (
        head
        + f"""\
         WHERE s.stream = {history_stream}
           AND {json_value}(s.data, '$.kind') = 'account_status_changed'
           AND {json_value}(s.data, '$.data.previous') = 'pending_activation'
           AND {json_value}(s.data, '$.data.status') = 'active') AS activated_at
  FROM {{records}} AS r
 WHERE r.kind = 'candidate' AND {json_value}(r.data, '$.erased_at') IS NULL"""
    )


# -- SQLite (the SQLite adapter and SQLAlchemy on SQLite) ----------------------------

_SQLITE_NOW = "julianday('now')"

_SQLITE = {
    "v_candidates": _candidates(
        """
SELECT r.key AS candidate_id,
       json_extract(r.data, '$.status') AS status,
       json_extract(r.data, '$.contact.email') AS email,
       json_extract(r.data, '$.contact.given_name') AS given_name,
       json_extract(r.data, '$.contact.family_name') AS family_name,
       json_extract(r.data, '$.contact.preferred_language') AS preferred_language,
       json_extract(r.data, '$.registered_at') AS registered_at,
       (SELECT min(json_extract(s.data, '$.at')) FROM {streams} AS s
""",
        json_value="json_extract",
        history_stream="'history:' || r.key",
    ),
    "v_awards_held": """
SELECT candidate_id, award_id, grant_id, earned_at, expires_at, revoked_at,
       CASE WHEN revoked_at IS NOT NULL AND julianday(revoked_at) <= {now} THEN 'revoked'
            WHEN expires_at IS NOT NULL AND julianday(expires_at) <= {now} THEN 'expired'
            ELSE 'active' END AS status
  FROM (SELECT r.key AS candidate_id,
               json_extract(g.value, '$.award_id') AS award_id,
               json_extract(g.value, '$.grant_id') AS grant_id,
               json_extract(g.value, '$.granted_at') AS earned_at,
               coalesce(json_extract(g.value, '$.renewals[#-1].new_expiry'),
                        json_extract(g.value, '$.expires_at')) AS expires_at,
               json_extract(g.value, '$.revoked_at') AS revoked_at,
               row_number() OVER (PARTITION BY r.key, json_extract(g.value, '$.award_id')
                                  ORDER BY g.key DESC) AS newest
          FROM {records} AS r, json_each(r.data, '$.grants') AS g
         WHERE r.kind = 'award_candidate' AND json_extract(r.data, '$.erased_at') IS NULL)
 WHERE newest = 1""",
    "v_consent": """
SELECT json_extract(r.data, '$.subject') AS subject,
       json_extract(c.value, '$.topic') AS purpose,
       json_extract(c.value, '$.channel') AS channel,
       json_extract(c.value, '$.choice') AS state,
       json_extract(c.value, '$.at') AS decided_at,
       json_extract(c.value, '$.policy_version') AS policy_version
  FROM {records} AS r, json_each(r.data, '$.choices') AS c
 WHERE r.kind = 'consent_state' AND json_extract(r.data, '$.erased_at') IS NULL""",
    "v_agreements": """
SELECT json_extract(a.value, '$.customer_id') AS customer_id,
       json_extract(a.value, '$.agreement_id') AS agreement_id,
       json_extract(a.value, '$.level') AS service_level,
       json_extract(a.value, '$.starts_on') AS starts,
       json_extract(a.value, '$.ends_on') AS ends,
       coalesce(json_extract(a.value, '$.status_changes[#-1].status'), 'active') AS status
  FROM {records} AS r, json_each(r.data, '$.agreements') AS a
 WHERE r.kind = 'entitlements_customer'""",
}

# -- PostgreSQL ------------------------------------------------------------------------

_PG_NOW = "CURRENT_TIMESTAMP"

_POSTGRESQL = {
    # The lateral join decodes each document once, and keeps the views read-only
    # (PostgreSQL makes a view over one table without joins updatable).
    "v_candidates": """
SELECT r.key AS candidate_id,
       j.d ->> 'status' AS status,
       j.d -> 'contact' ->> 'email' AS email,
       j.d -> 'contact' ->> 'given_name' AS given_name,
       j.d -> 'contact' ->> 'family_name' AS family_name,
       j.d -> 'contact' ->> 'preferred_language' AS preferred_language,
       (j.d ->> 'registered_at')::timestamptz AS registered_at,
       (SELECT min((s.data::jsonb ->> 'at')::timestamptz) FROM {streams} AS s
         WHERE s.stream = 'history:' || r.key
           AND s.data::jsonb ->> 'kind' = 'account_status_changed'
           AND s.data::jsonb -> 'data' ->> 'previous' = 'pending_activation'
           AND s.data::jsonb -> 'data' ->> 'status' = 'active') AS activated_at
  FROM {records} AS r CROSS JOIN LATERAL (SELECT r.data::jsonb AS d) AS j
 WHERE r.kind = 'candidate' AND j.d ->> 'erased_at' IS NULL""",
    "v_awards_held": """
SELECT candidate_id, award_id, grant_id, earned_at, expires_at, revoked_at,
       CASE WHEN revoked_at IS NOT NULL AND revoked_at <= {now} THEN 'revoked'
            WHEN expires_at IS NOT NULL AND expires_at <= {now} THEN 'expired'
            ELSE 'active' END AS status
  FROM (SELECT r.key AS candidate_id,
               g.value ->> 'award_id' AS award_id,
               g.value ->> 'grant_id' AS grant_id,
               (g.value ->> 'granted_at')::timestamptz AS earned_at,
               (coalesce(g.value -> 'renewals' -> -1 ->> 'new_expiry',
                         g.value ->> 'expires_at'))::timestamptz AS expires_at,
               (g.value ->> 'revoked_at')::timestamptz AS revoked_at,
               row_number() OVER (PARTITION BY r.key, g.value ->> 'award_id'
                                  ORDER BY g.n DESC) AS newest
          FROM {records} AS r
               CROSS JOIN LATERAL jsonb_array_elements(r.data::jsonb -> 'grants')
                    WITH ORDINALITY AS g(value, n)
         WHERE r.kind = 'award_candidate' AND r.data::jsonb ->> 'erased_at' IS NULL) AS h
 WHERE newest = 1""",
    "v_consent": """
SELECT j.d ->> 'subject' AS subject,
       c.value ->> 'topic' AS purpose,
       c.value ->> 'channel' AS channel,
       c.value ->> 'choice' AS state,
       (c.value ->> 'at')::timestamptz AS decided_at,
       c.value ->> 'policy_version' AS policy_version
  FROM {records} AS r
       CROSS JOIN LATERAL (SELECT r.data::jsonb AS d) AS j
       CROSS JOIN LATERAL jsonb_array_elements(j.d -> 'choices') AS c(value)
 WHERE r.kind = 'consent_state' AND j.d ->> 'erased_at' IS NULL""",
    "v_agreements": """
SELECT a.value ->> 'customer_id' AS customer_id,
       a.value ->> 'agreement_id' AS agreement_id,
       a.value ->> 'level' AS service_level,
       (a.value ->> 'starts_on')::date AS starts,
       (a.value ->> 'ends_on')::date AS ends,
       coalesce(a.value -> 'status_changes' -> -1 ->> 'status', 'active') AS status
  FROM {records} AS r
       CROSS JOIN LATERAL jsonb_array_elements(r.data::jsonb -> 'agreements') AS a(value)
 WHERE r.kind = 'entitlements_customer'""",
}

# -- MariaDB (and MySQL 8) -------------------------------------------------------------

_MARIA_NOW = "UTC_TIMESTAMP(6)"

# ISO-8601 UTC text (...+00:00) becomes DATETIME(6) in UTC: CAST(REPLACE(x, '+00:00', '')).
_MARIADB = {
    "v_candidates": _candidates(
        """
SELECT r.`key` AS candidate_id,
       JSON_VALUE(r.data, '$.status') AS status,
       JSON_VALUE(r.data, '$.contact.email') AS email,
       JSON_VALUE(r.data, '$.contact.given_name') AS given_name,
       JSON_VALUE(r.data, '$.contact.family_name') AS family_name,
       JSON_VALUE(r.data, '$.contact.preferred_language') AS preferred_language,
       CAST(REPLACE(JSON_VALUE(r.data, '$.registered_at'), '+00:00', '') AS DATETIME(6))
           AS registered_at,
       (SELECT MIN(CAST(REPLACE(JSON_VALUE(s.data, '$.at'), '+00:00', '') AS DATETIME(6)))
          FROM {streams} AS s
""",
        json_value="JSON_VALUE",
        history_stream="CONCAT('history:', r.`key`)",
    ),
    "v_awards_held": """
SELECT candidate_id, award_id, grant_id, earned_at, expires_at, revoked_at,
       CASE WHEN revoked_at IS NOT NULL AND revoked_at <= {now} THEN 'revoked'
            WHEN expires_at IS NOT NULL AND expires_at <= {now} THEN 'expired'
            ELSE 'active' END AS status
  FROM (SELECT r.`key` AS candidate_id, g.award_id, g.grant_id,
               CAST(REPLACE(g.granted_at, '+00:00', '') AS DATETIME(6)) AS earned_at,
               CAST(REPLACE(COALESCE(g.renewed_until, g.expires_at), '+00:00', '')
                    AS DATETIME(6)) AS expires_at,
               CAST(REPLACE(g.revoked_at, '+00:00', '') AS DATETIME(6)) AS revoked_at,
               ROW_NUMBER() OVER (PARTITION BY r.`key`, g.award_id ORDER BY g.n DESC) AS newest
          FROM {records} AS r,
               JSON_TABLE(r.data, '$.grants[*]' COLUMNS (
                   n FOR ORDINALITY,
                   award_id {text} PATH '$.award_id',
                   grant_id {text} PATH '$.grant_id',
                   granted_at VARCHAR(64) CHARACTER SET utf8mb4 PATH '$.granted_at',
                   expires_at VARCHAR(64) CHARACTER SET utf8mb4 PATH '$.expires_at',
                   renewed_until VARCHAR(64) CHARACTER SET utf8mb4
                       PATH '$.renewals[last].new_expiry',
                   revoked_at VARCHAR(64) CHARACTER SET utf8mb4 PATH '$.revoked_at')) AS g
         WHERE r.kind = 'award_candidate' AND JSON_VALUE(r.data, '$.erased_at') IS NULL) AS h
 WHERE newest = 1""",
    "v_consent": """
SELECT JSON_VALUE(r.data, '$.subject') AS subject, c.purpose, c.channel, c.state,
       CAST(REPLACE(c.decided_at, '+00:00', '') AS DATETIME(6)) AS decided_at, c.policy_version
  FROM {records} AS r,
       JSON_TABLE(r.data, '$.choices[*]' COLUMNS (
           purpose {text} PATH '$.topic',
           channel {text} PATH '$.channel',
           state {text} PATH '$.choice',
           decided_at VARCHAR(64) CHARACTER SET utf8mb4 PATH '$.at',
           policy_version {text} PATH '$.policy_version')) AS c
 WHERE r.kind = 'consent_state' AND JSON_VALUE(r.data, '$.erased_at') IS NULL""",
    "v_agreements": """
SELECT a.customer_id, a.agreement_id, a.service_level,
       CAST(a.starts AS DATE) AS starts, CAST(a.ends AS DATE) AS ends,
       COALESCE(a.status, 'active') AS status
  FROM {records} AS r,
       JSON_TABLE(r.data, '$.agreements[*]' COLUMNS (
           customer_id {text} PATH '$.customer_id',
           agreement_id {text} PATH '$.agreement_id',
           service_level {text} PATH '$.level',
           starts VARCHAR(64) CHARACTER SET utf8mb4 PATH '$.starts_on',
           ends VARCHAR(64) CHARACTER SET utf8mb4 PATH '$.ends_on',
           status {text} PATH '$.status_changes[last].status')) AS a
 WHERE r.kind = 'entitlements_customer'""",
}

# MariaDB would let a DELETE through a view over one table reach the table: a
# TEMPTABLE view is never updatable (filters are still pushed down into it).
_MARIA_CREATE = "CREATE ALGORITHM=TEMPTABLE VIEW"

# The JSON_TABLE text columns compare by code point, as the tables' do (case, accents
# and trailing spaces count), not by the server's default collation.
_TEXT = {
    "mariadb": "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
    "mysql": "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin",
}

_DIALECTS: dict[str, tuple[dict[str, str], str, Quote, str]] = {
    "sqlite": (_SQLITE, _SQLITE_NOW, _double_quote, "CREATE VIEW"),
    "postgresql": (_POSTGRESQL, _PG_NOW, _double_quote, "CREATE VIEW"),
    "mariadb": (_MARIADB, _MARIA_NOW, _backtick, _MARIA_CREATE),
    "mysql": (_MARIADB, _MARIA_NOW, _backtick, _MARIA_CREATE),
}


def supports(dialect: str) -> bool:
    """Whether the reporting views exist for ``dialect`` (a SQLAlchemy dialect name)."""
    return dialect in _DIALECTS


def view_names(prefix: str) -> tuple[str, ...]:
    """The reporting views' names with the table ``prefix`` (e.g. ``sp_v_candidates``)."""
    return tuple(prefix + view for view in VIEWS)


def drop_statements(dialect: str, prefix: str, quote: Quote | None = None) -> tuple[str, ...]:
    """``DROP VIEW IF EXISTS`` of every reporting view (nothing for other dialects).

    Args:
        dialect: ``sqlite``, ``postgresql``, ``mariadb`` or ``mysql``.
        prefix: the table prefix (already validated: letters, digits and ``_``).
        quote: how to quote an identifier (the dialect's own quoting by default).
    """
    if dialect not in _DIALECTS:
        return ()
    quoted = quote or _DIALECTS[dialect][2]
    return tuple(f"DROP VIEW IF EXISTS {quoted(name)}" for name in view_names(prefix))


def create_statements(dialect: str, prefix: str, quote: Quote | None = None) -> tuple[str, ...]:
    """``CREATE VIEW`` of every reporting view over the tables named with ``prefix``.

    Args:
        dialect: ``sqlite``, ``postgresql``, ``mariadb`` or ``mysql`` (others: nothing).
        prefix: the table prefix (already validated: letters, digits and ``_``).
        quote: how to quote an identifier (the dialect's own quoting by default).
    """
    if dialect not in _DIALECTS:
        return ()
    bodies, now, default_quote, create = _DIALECTS[dialect]
    quoted = quote or default_quote
    tables = {"records": quoted(f"{prefix}records"), "streams": quoted(f"{prefix}streams")}
    return tuple(
        f"{create} {quoted(prefix + view)} AS"
        + bodies[view].format(now=now, text=_TEXT.get(dialect, ""), **tables)
        for view in VIEWS
    )
