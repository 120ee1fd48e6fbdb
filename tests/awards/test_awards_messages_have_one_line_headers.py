"""Nothing a host supplies puts a line break into a message's recipient or subject.

Award names come from the host's catalogue and holder names from its candidate
directory; both stand in message subjects, and the directory gives the kit's
e-mail address. A line break there would add a header to the mail the host sends
(``\\r\\nBcc: ...``). A catalogue name or a directory entry with one is refused, and
a :class:`~symprogram.notify.Message` takes one line of text only, whatever built it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from awards_env import ADA, Env
from hypothesis import given
from hypothesis import strategies as st

from symprogram.awards import AwardCatalogue, KitAddress
from symprogram.errors import CatalogueError, ValidationError
from symprogram.notify import Message
from symprogram.storage.memory import MemoryStore

BREAKS = ["\r\n", "\n", "\r", "\x85", "\u2028", "\u2029", "\x00", "\x1b"]
INJECTED = [f"Ada{b}Bcc: all@evil.example" for b in BREAKS]


@pytest.mark.parametrize("text", INJECTED)
def test_a_message_takes_one_line_as_recipient_and_subject(text: str) -> None:
    """``invalid_message_header`` for a recipient or subject of more than one line."""
    for fields in ({"to": text, "subject": "s"}, {"to": "a@example.com", "subject": text}):
        with pytest.raises(ValidationError) as refused:
            Message(kind="k", body="b", **fields)
        assert "invalid_message_header" == refused.value.code


@given(st.one_of(st.integers(), st.lists(st.text(max_size=2), max_size=2), st.text()))
def test_a_message_data_is_a_mapping(data: Any) -> None:
    """``invalid_message_data`` for data that is no mapping (never a bare ValueError)."""
    with pytest.raises(ValidationError) as refused:
        Message(to="a@example.com", kind="k", subject="s", body="b", data=data)
    assert "invalid_message_data" == refused.value.code


@pytest.mark.parametrize("text", INJECTED)
def test_a_catalogue_name_of_more_than_one_line_is_refused(text: str, tmp_path: Path) -> None:
    """An award name stands in subjects: the catalogue is refused (``CatalogueError``)."""
    source = (resources.files("symprogram") / "data/awards/program.toml").read_text()
    broken = source.replace(
        'name = "Symantec Certified Specialist', f'name = "{_toml(text)} Symantec', 1
    )
    assert broken != source
    with pytest.raises(CatalogueError):
        AwardCatalogue.from_toml(broken)


@pytest.mark.parametrize("text", INJECTED)
def test_a_kit_address_of_more_than_one_line_is_refused(text: str) -> None:
    """A directory's name or e-mail address with a line break is no kit address."""
    for fields in ({"name": text}, {"email": f"ada@example.com{text[3:]}"}):
        with pytest.raises(ValidationError):
            KitAddress(**{"name": ADA.name, "email": ADA.email, **fields}, postal_address=("x",))


def test_a_holder_name_of_more_than_one_line_publishes_nothing() -> None:
    """A directory whose holder name holds a line break: the publication is refused
    (``invalid_message_header``) and nothing is written or sent."""
    env = Env(MemoryStore())
    env.service.record_exam_result("ada", "250-315", 85, taken_at=env.clock.now())
    env.service.record_exam_result("ada", "ST0-091", 85, taken_at=env.clock.now())
    env.service.evaluate("ada")
    env.people.holder_name = lambda _cid: INJECTED[0]  # type: ignore[method-assign]
    before, sent = env.snapshot(), len(env.outbox.messages)
    with pytest.raises(ValidationError) as refused:
        env.service.publish("ada", ["scs-endpoint"], "hr@example.com")
    assert "invalid_message_header" == refused.value.code
    assert (before, sent) == (env.snapshot(), len(env.outbox.messages))


def _toml(text: str) -> str:
    """``text`` as the inside of a TOML basic string (escapes for the controls)."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
