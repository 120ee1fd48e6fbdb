"""End-to-end test of the symportal example in headless Chromium (Selenium).

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``.ci/run``
installs them). The driver is passed explicitly, so Selenium Manager never
downloads anything. Without a browser the test is skipped, unless
``SYMPROGRAM_BROWSER_TESTS=1`` is set (as in CI): then a missing browser fails.
Screenshots of every step are saved under ``test-artifacts/webapp/``.
"""

from __future__ import annotations

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


@pytest.fixture
def base_url(live_program: Program) -> Iterator[str]:
    """The portal served on 127.0.0.1, on a free port, from a background thread."""
    app = symportal.create_app(live_program, secret_key="browser-test")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="symportal", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
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
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
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
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> str | bool:
        try:
            text = str(d.find_element(By.CSS_SELECTOR, css).text)
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return text if contains in text else False

    return str(WebDriverWait(driver, 15).until(shown, f"{css!r} never showed {contains!r}"))


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
