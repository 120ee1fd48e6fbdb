"""The consent centre records choices only about the purposes it offers on the page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webapp_helpers import csrf_of, register_and_activate

from symprogram import Program

pytestmark = pytest.mark.backends("memory")


@pytest.fixture
def logged_in(client: Any) -> tuple[str, str]:
    """(candidate ID, the consent centre's page) of a logged-in visitor."""
    candidate_id = register_and_activate(client)
    return candidate_id, client.get("/consent").text


def _offered(page: str) -> set[str]:
    """The purposes the page lists (a necessary one with no button included)."""
    return set(re.findall(r'<tr id="([^"]+)" data-allowed=', page))


def _not_offered(program: Program, page: str) -> list[str]:
    offered = _offered(page)
    declared = [p.id for p in program.consent.get_policy().purposes]
    return [purpose for purpose in declared if purpose not in offered]


def test_the_policy_declares_purposes_the_page_does_not_offer(
    program: Program, logged_in: tuple[str, str]
) -> None:
    """The test below is not empty: remote_access (a service-terms purpose) is one."""
    assert "remote_access" in _not_offered(program, logged_in[1])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), action=st.sampled_from(["grant", "withdraw", "opt_out"]))
def test_a_purpose_not_offered_is_refused(
    client: Any, program: Program, logged_in: tuple[str, str], data: Any, action: str
) -> None:
    """A declared purpose the page does not offer, or any other string, is a 400
    ``purpose_not_offered``; nothing is recorded."""
    candidate_id, page = logged_in
    purpose = data.draw(st.sampled_from(_not_offered(program, page)) | st.text(max_size=20))
    if purpose in _offered(page):
        return
    before = program.consent.history(candidate_id)
    response = client.post(
        "/consent", data={"csrf": csrf_of(page), "purpose": purpose, "action": action}
    )
    assert 400 == response.status_code
    assert 'data-code="purpose_not_offered"' in response.text
    assert before == program.consent.history(candidate_id)
