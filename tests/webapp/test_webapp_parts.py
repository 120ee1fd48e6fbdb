"""The portal's parts on their own: the session store, the site probe, the plain words."""

from __future__ import annotations

import socket
import threading

import portal_sessions
import portal_sites
import portal_words
import pytest
import webapp_helpers

from symprogram.errors import LimitExceeded, RateLimited, ValidationError

assert webapp_helpers.WEBAPP.is_dir()


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_session_expires_after_its_lifetime_and_ends_when_deleted() -> None:
    """Stored data is a copy; an entry expires ``lifetime`` after its last write."""
    clock = _Clock()
    store = portal_sessions.SessionStore(lifetime=60, clock=clock)
    data = {"candidate_id": "SP-1", "pending": {"email": "a@example.com"}}
    store.put("abc", data)
    data["pending"]["email"] = "changed@example.com"
    assert {"candidate_id": "SP-1", "pending": {"email": "a@example.com"}} == store.get("abc")
    clock.now += 59
    assert "abc" in store
    clock.now += 1
    assert store.get("abc") is None
    store.put("def", {})
    store.delete("def")
    assert "def" not in store
    assert 0 == len(store)


def test_the_store_keeps_at_most_its_limit() -> None:
    """Beyond ``limit`` entries, the one closest to expiring is dropped."""
    clock = _Clock()
    store = portal_sessions.SessionStore(lifetime=60, limit=2, clock=clock)
    for sid in ("a", "b", "c"):
        store.put(sid, {"n": sid})
        clock.now += 1
    store.put("b", {"n": "b2"})
    assert (None, {"n": "b2"}, {"n": "c"}) == tuple(store.get(k) for k in "abc")
    assert 2 == len(store)


def test_the_probe_finds_a_listening_port_and_remembers_the_answer() -> None:
    """A port that accepts is reachable; the answer is reused within ``ttl``."""
    clock = _Clock()
    probe = portal_sites.SiteProbe(timeout=2, ttl=30, clock=clock)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert probe(f"http://127.0.0.1:{port}/de/")
    assert probe(f"http://127.0.0.1:{port}/fr/")  # remembered, though closed now
    clock.now += 31
    assert not probe(f"http://127.0.0.1:{port}/de/")


@pytest.mark.parametrize(
    "url",
    ["https://support.invalid/de/", "ftp://127.0.0.1/", "not a url", "http://127.0.0.1:99999/"],
)
def test_the_probe_refuses_what_cannot_be_reached(url: str) -> None:
    """A name that never resolves (.invalid), another scheme, no host, a bad port."""
    assert not portal_sites.SiteProbe(timeout=2)(url)


def test_the_probe_gives_up_after_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection that hangs is unreachable after ``timeout`` seconds."""
    release = threading.Event()

    def hang(*_: object, **__: object) -> socket.socket:
        release.wait(5)
        raise OSError("too late")

    monkeypatch.setattr(portal_sites.socket, "create_connection", hang)
    try:
        assert not portal_sites.SiteProbe(timeout=0.2)("https://slow.example/")
    finally:
        release.set()


def test_plain_words_fill_in_the_details_and_fall_back_to_the_message() -> None:
    """A known code gets its sentence with details; an unknown one the error's message."""
    long = LimitExceeded("x is too long", field="x", code="text_too_long", details={"limit": 200})
    assert "This is too long: at most 200 characters." == portal_words.plain(long)
    assert "Too many failed log-ins. Please wait 42 seconds and try again." == portal_words.plain(
        RateLimited("too many", retry_after=42)
    )
    odd = ValidationError("something odd happened", field="x", code="no_such_code")
    assert "Something odd happened" == portal_words.plain(odd)
    assert ["30 seconds", "1 second", "1 minute", "5 minutes"] == [
        portal_words.wait_words(s) for s in (30, 1, 60, 290)
    ]
