"""End-to-end test of the symportal example in headless Chromium (Selenium).

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``.ci/run``
installs them). The driver is passed explicitly, so Selenium Manager never
downloads anything. Without a browser the test is skipped, unless
``SYMPROGRAM_BROWSER_TESTS=1`` is set (as in CI): then a missing browser fails.
Screenshots of every step are saved under ``test-artifacts/webapp/``.

The portal is configured with the base URL ``http://portal.test:PORT`` (Chromium
maps ``portal.test`` to 127.0.0.1) and browsed at ``http://127.0.0.1:PORT``: the
activation link must come from the configuration, not from the ``Host`` header.
Local-language sites are unreachable for this portal (its probe says so).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import symportal
from webapp_helpers import NOW, PASSWORD
from werkzeug.serving import make_server

from _programs import ProgramFactory
from symprogram import Program

# A browser test starts Chromium for each test (about a minute of CPU in all): left out
# of the quick run, as the load tests are; ``pytest -m slow`` and ``.ci/run`` run them.
pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "webapp"
REQUIRED = os.environ.get("SYMPROGRAM_BROWSER_TESTS", "") not in ("", "0")
CANDIDATE_ID = re.compile(r"^SP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]$")


def _find(*candidates: str) -> str | None:
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None


def _browser_or_skip() -> tuple[str, str]:
    chromium = _find("/usr/bin/chromium", "chromium", "chromium-browser")
    driver = _find("/usr/bin/chromedriver", "chromedriver")
    missing = [
        name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path
    ]
    if missing:
        message = (
            f"{' and '.join(missing)} not found: "
            "install Debian chromium and chromium-driver or run .ci/run"
        )
        if REQUIRED:
            pytest.fail(f"SYMPROGRAM_BROWSER_TESTS is set but {message}")
        pytest.skip(message)
    assert chromium is not None and driver is not None
    return chromium, driver


@pytest.fixture
def live_program(make_program: ProgramFactory) -> Program:
    """A program on an SQLite file, as a deployed portal would have (closed afterwards)."""
    return make_program("sqlite", start=NOW)


#: The host name of the portal's configured base URL (Chromium resolves it to 127.0.0.1).
PORTAL_HOST = "portal.test"


def _serve(app: Any) -> tuple[Any, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="symportal", daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def base_url(live_program: Program) -> Iterator[str]:
    """The portal served on 127.0.0.1, on a free port, from a background thread; its
    configured base URL is ``http://portal.test:PORT``."""
    server, thread = _serve(symportal.create_app(live_program))
    server.app = symportal.create_app(
        live_program,
        secret_key="browser-test",
        base_url=f"http://{PORTAL_HOST}:{server.server_port}",
        site_reachable=lambda url: False,
    )
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def framing_page(base_url: str) -> Iterator[str]:
    """Another origin whose page frames the portal's home page."""
    html = f'<!doctype html><title>framer</title><iframe id="framed" src="{base_url}/"></iframe>'

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html.encode()]

    server, thread = _serve(app)
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _driver(tmp_path: Path, language: str) -> Any:
    chromium, chromedriver = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1100,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--lang={language}",
        f"--host-resolver-rules=MAP {PORTAL_HOST} 127.0.0.1",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium whose browser language is English."""
    driver = _driver(tmp_path, "en-GB,en")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def german_browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium whose browser language is German."""
    driver = _driver(tmp_path, "de-DE,de")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def hebrew_browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium whose browser language is Hebrew."""
    driver = _driver(tmp_path, "he")
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def _text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _wait_for(driver: Any, css: str, contains: str = "") -> str:
    """Wait (up to 15 s) for the element at ``css`` to show ``contains``; its text."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> str | bool:
        try:
            text = str(d.find_element(By.CSS_SELECTOR, css).text)
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        except WebDriverException as error:
            # The page was replaced between finding the element and reading it:
            # Chromium says so as an inspector error, not as a stale element.
            if "does not belong to the document" in str(error.msg):
                return False
            raise
        return text if contains in text else False

    return str(WebDriverWait(driver, 15).until(shown, f"{css!r} never showed {contains!r}"))


def _attribute(driver: Any, css: str, name: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).get_attribute(name))


def _configured(base_url: str) -> str:
    """The portal's configured base URL: its served address with host ``portal.test``."""
    return base_url.replace("127.0.0.1", PORTAL_HOST)


def _responses(driver: Any) -> dict[str, dict[str, str]]:
    """The headers (lower-case names) of the responses the browser received since the
    last call, by URL (from Chromium's performance log)."""
    found: dict[str, dict[str, str]] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.responseReceived":
            response = message["params"]["response"]
            headers = {k.lower(): v for k, v in response["headers"].items()}
            found[response["url"]] = headers
    return found


def _click(driver: Any, css: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, css).click()


def _type(driver: Any, field: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(value)


def test_register_activate_and_withdraw_consent_in_a_browser(
    browser: Any, base_url: str, live_program: Program
) -> None:
    """A person registers, follows the activation link, sees the policy's defaults, then
    opts out of, agrees to and withdraws consent to special offers."""
    browser.get(f"{base_url}/register")
    assert "Create an account" == _wait_for(browser, "h1")
    _click(browser, "#agree")
    for field, value in {
        "email": "grace@example.com",
        "password": PASSWORD,
        "given_name": "Grace",
        "family_name": "Hopper",
        "company_name": "Eckert-Mauchly",
        "partner_company": "Remington Rand",
        "preferred_language": "en-US",
    }.items():
        _type(browser, field, value)
    _shot(browser, "01-register")
    _click(browser, "#register")

    assert "Activate your account" == _wait_for(browser, "#mail-subject")
    assert "Check your e-mail" == _text(browser, "h1")
    _shot(browser, "02-check-email")
    # Issue 19: the link comes from the configured base URL, not the Host header.
    link = _attribute(browser, "#activation-link", "href")
    assert link.startswith(f"{_configured(base_url)}/activate?token="), link
    _click(browser, "#activation-link")

    _wait_for(browser, "#activate")
    assert "Activate your account" == _text(browser, "h1")
    _click(browser, "#activate")

    assert "Welcome, Grace" == _wait_for(browser, "#welcome")
    assert "active" == _text(browser, "#status")
    candidate_id = _text(browser, "#candidate-id")
    assert CANDIDATE_ID.match(candidate_id), candidate_id
    assert candidate_id == _text(browser, "#signed-in")
    _shot(browser, "03-welcome")

    _click(browser, "#to-consent")
    _wait_for(browser, "#purposes")
    assert "Consent centre" == _text(browser, "h1")
    # Issue 16: a new account sees the privacy policy's defaults (special offers are
    # opt-out in the document), not "not allowed" everywhere.
    assert ["allowed", "not_opted_out"] == _text(browser, "#special_offers .state").splitlines()
    assert "allowed" == _text(browser, "#virus_alerts .state").splitlines()[0]
    _click(browser, "#opt-out-special_offers")
    assert _wait_for(browser, "#notice", "You opted out").startswith("You opted out of")
    assert ["not allowed", "opted_out"] == _text(browser, "#special_offers .state").splitlines()
    _click(browser, "#grant-special_offers")
    assert _wait_for(browser, "#notice", "You agreed to").startswith("You agreed to")
    assert "allowed" == _text(browser, "#special_offers .state").splitlines()[0]
    _shot(browser, "04-consent-granted")

    _click(browser, "#withdraw-special_offers")
    notice = _wait_for(browser, "#notice", "You withdrew")
    assert notice.startswith("You withdrew your consent to")
    state = _text(browser, "#special_offers .state")
    assert ["not allowed", "withdrawn"] == state.splitlines()
    assert "Your consent ledger: verified, untampered." == _text(browser, "#ledger")
    _shot(browser, "05-consent-withdrawn")

    assert ("withdrawn",) == live_program.consent.may_use(candidate_id, "special_offers").codes
    assert live_program.history.verify(candidate_id).ok


def test_a_hebrew_browser_reads_the_policy_right_to_left(
    hebrew_browser: Any, base_url: str
) -> None:
    """Chromium set to Hebrew is served the support policy in Hebrew, right to left."""
    from selenium.webdriver.common.by import By

    hebrew_browser.get(f"{base_url}/handbook/technical_support_policy")
    _wait_for(hebrew_browser, "#language")

    article = hebrew_browser.find_element(By.ID, "document")
    assert ("he", "rtl") == (article.get_attribute("lang"), article.get_attribute("dir"))
    assert "עברית" == _text(hebrew_browser, "#language")
    _shot(hebrew_browser, "06-handbook-hebrew")


def _log_in(driver: Any, base_url: str, email: str, password: str) -> None:
    driver.get(f"{base_url}/login")
    _wait_for(driver, "#login")
    _type(driver, "email", email)
    _type(driver, "password", password)
    _click(driver, "#login")


def _register_and_activate(driver: Any, base_url: str) -> None:
    driver.get(f"{base_url}/register")
    _wait_for(driver, "#register")
    _click(driver, "#agree")
    for field, value in {
        "email": "ada@example.com",
        "password": PASSWORD,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "company_name": "Analytical Engines",
        "partner_company": "Babbage & Co",
        "preferred_language": "en-GB",
    }.items():
        _type(driver, field, value)
    _click(driver, "#register")
    _wait_for(driver, "#activation-link")
    _click(driver, "#activation-link")
    _wait_for(driver, "#activate")
    _click(driver, "#activate")
    _wait_for(driver, "#welcome")


def test_form_errors_show_next_to_their_fields_in_plain_words(browser: Any, base_url: str) -> None:
    """Issue 19: a form with several mistakes comes back with a sentence under each bad
    field, what was typed still there, the password field empty."""
    browser.get(f"{base_url}/register")
    _wait_for(browser, "#register")
    for field, value in {
        "email": "grace at example",
        "password": "short1",
        "given_name": "Grace",
        "family_name": "Hopper",
        "company_name": "Eckert-Mauchly",
        "partner_company": "Remington Rand",
        "preferred_language": "en-US",
        "phone": "call me",
    }.items():
        _type(browser, field, value)
    _click(browser, "#register")

    assert "Please correct the 4 fields marked below." == _wait_for(browser, "#error")
    assert _text(browser, "#error-agree").startswith("Tick “I agree to these terms”")
    assert "Enter an e-mail address such as name@example.com." == _text(browser, "#error-email")
    assert "Your password needs at least 10 characters." == _text(browser, "#error-password")
    assert _text(browser, "#error-phone").startswith("A telephone number has digits")
    assert "invalid_email" not in _text(browser, "main")
    assert "grace at example" == _attribute(browser, "#email", "value")
    assert "Hopper" == _attribute(browser, "#family_name", "value")
    assert "call me" == _attribute(browser, "#phone", "value")
    assert "" == _attribute(browser, "#password", "value")
    assert "true" == _attribute(browser, "#email", "aria-invalid")
    _shot(browser, "07-form-errors")


def test_headers_cookie_and_logout_in_a_browser(
    browser: Any, base_url: str, framing_page: str, live_program: Program
) -> None:
    """Issue 19: the browser receives the CSP, X-Frame-Options and nosniff; the CSP runs
    no injected script yet applies the stylesheet; another site cannot frame the portal;
    the session cookie is HttpOnly and SameSite=Lax; logging out ends the session on the
    server, so a copy of the old cookie opens nothing."""
    _register_and_activate(browser, base_url)
    configured = _configured(base_url)
    browser.get(f"{configured}/consent")
    _wait_for(browser, "#purposes")
    headers = _responses(browser)[f"{configured}/consent"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "DENY" == headers["x-frame-options"]
    assert "nosniff" == headers["x-content-type-options"]

    # The stylesheet (a file, allowed by style-src 'self') applies; an injected script
    # does not run.
    background = browser.execute_script(
        "return getComputedStyle(document.querySelector('header')).backgroundColor"
    )
    assert "rgb(29, 53, 87)" == background
    browser.execute_script(
        "const s = document.createElement('script');"
        "s.textContent = 'document.body.dataset.injected = \"ran\"';"
        "document.body.appendChild(s);"
    )
    assert browser.execute_script("return document.body.dataset.injected") is None

    # The session cookie: HttpOnly (invisible to scripts), SameSite=Lax.
    cookie = browser.get_cookie("symportal_session")
    assert cookie is not None
    assert (True, "Lax", False) == (cookie["httpOnly"], cookie["sameSite"], cookie["secure"])
    assert "symportal_session" not in browser.execute_script("return document.cookie")

    # Log out, then put the old cookie back: the server has ended that session.
    _click(browser, "header button")
    _wait_for(browser, "h1", "Partner")
    after = browser.get_cookie("symportal_session")
    assert after is None or after["value"] != cookie["value"]
    browser.delete_all_cookies()
    browser.add_cookie({k: cookie[k] for k in ("name", "value", "path", "httpOnly")})
    browser.get(f"{configured}/consent")
    assert "Log in" == _wait_for(browser, "h1")
    assert not browser.find_elements("id", "signed-in")
    _shot(browser, "08-old-cookie-after-logout")

    # Framed by another origin, the portal is not shown.
    from selenium.webdriver.common.by import By

    browser.get(framing_page)

    frame = browser.find_element(By.ID, "framed")
    browser.switch_to.frame(frame)
    try:
        assert not browser.find_elements(By.CSS_SELECTOR, "header .brand")
    finally:
        browser.switch_to.default_content()


def test_log_ins_are_throttled_in_a_browser(browser: Any, base_url: str) -> None:
    """Issue 19: after five wrong passwords for an address the sixth attempt waits, and
    the page says for how long, next to the address."""
    for _ in range(5):
        _log_in(browser, base_url, "nobody@example.com", "not it at all")
        assert _wait_for(browser, "#error-password").startswith("That e-mail address")
    _log_in(browser, base_url, "nobody@example.com", "not it at all")
    message = _wait_for(browser, "#error-email", "Too many")
    assert "Too many failed log-ins. Please wait 5 minutes and try again." == message
    assert "nobody@example.com" == _attribute(browser, "#email", "value")
    _shot(browser, "09-throttled")


def test_an_unreachable_local_site_offers_english(german_browser: Any, base_url: str) -> None:
    """Issue 19: a German reader whose local site cannot be reached is offered the local
    site and the English version; the English link serves English here."""
    german_browser.get(f"{base_url}/handbook/technical_support_policy")
    _wait_for(german_browser, "#local-site", "cannot be reached")
    assert "https://support.example.com/de/" == _attribute(
        german_browser, "#local-site-link", "href"
    )
    _shot(german_browser, "10-local-site-unreachable")
    _click(german_browser, "#read-in-english")
    _wait_for(german_browser, "#language")
    assert "en" == _attribute(german_browser, "#language", "data-language")
    assert "English" == _text(german_browser, "#language")
