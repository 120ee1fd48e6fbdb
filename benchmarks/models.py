"""Equivalent models in pydantic v2 and msgspec for the serialization round trip.

symprogram's models are also run through cattrs alone (``cattrs``): the same
converter from ``make_converter()`` with its generated code switched off (as
registering any further hook does), i.e. cattrs' general path. The generated
code is kept only where it is at least 1.5x faster than that on these models.

Two symprogram models are mirrored field for field:

* ``ConsentState`` (consent projection): nested tuples of frozen records, enums,
  timezone-aware instants, optional instants;
* ``ContactDetails`` (accounts): validated text. symprogram normalizes the address
  with email-validator; the pydantic model does the same with ``EmailStr`` (which
  calls email-validator); msgspec has no e-mail validation, so its model only
  checks lengths: it is the "no validation" ceiling, not an equivalent.

Each round trip is model -> JSON text -> model, cycling over a pool of distinct
objects larger than symprogram's e-mail normalization cache (4096), so no library
answers from a cache.
"""

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import attrs

POOL = 6000


BASE = datetime(2011, 1, 14, tzinfo=UTC)
TOPICS = ("special_offers", "newsletters", "partner_sharing", "channel.email")


def state_fields(i: int) -> dict[str, Any]:
    """The fields of the ``i``-th consent state, as plain values."""
    from symprogram.consent.models import Channel, Choice

    at = BASE + timedelta(minutes=i)
    return {
        "subject": f"subj-{i:07d}",
        "choices": [
            {
                "topic": t,
                "choice": Choice.GRANTED if (i + k) % 2 else Choice.WITHDRAWN,
                # Each choice made at its own instant: no two timestamps alike.
                "at": at + timedelta(seconds=k + 1),
                "channel": Channel.WEB_FORM,
                "policy_version": "2005-07",
                "position": k + 1,
            }
            for k, t in enumerate(TOPICS)
        ],
        "seen": [{"policy_version": "2005-07", "at": at}],
        "sites": [],
        "last_at": at + timedelta(seconds=len(TOPICS)),
        "length": len(TOPICS),
        "erased_at": None,
    }


def sym_state(i: int) -> Any:
    """The ``i``-th symprogram ``ConsentState``."""
    from symprogram.consent.models import ChoiceState, ConsentState, SeenPolicy

    raw = state_fields(i)
    return ConsentState(
        subject=raw["subject"],
        choices=tuple(ChoiceState(**c) for c in raw["choices"]),
        seen=tuple(SeenPolicy(**s) for s in raw["seen"]),
        last_at=raw["last_at"],
        length=raw["length"],
    )


def contact_fields(i: int) -> dict[str, Any]:
    """The fields of the ``i``-th contact details."""
    return {
        "email": f"candidate.{i}@example{i % 97}.com",
        "given_name": "Ann",
        "family_name": f"Lee-{i}",
        "company_name": "Acme Storage",
        "partner_company": "Acme Partner",
        "preferred_language": "de",
    }


def symprogram_pools() -> dict[str, list[Any]]:
    """``{model: POOL distinct symprogram objects}``."""
    from symprogram.accounts.models import ContactDetails

    return {
        "ConsentState": [sym_state(i) for i in range(POOL)],
        "ContactDetails": [ContactDetails(**contact_fields(i)) for i in range(POOL)],
    }


def cases() -> dict[str, dict[str, Callable[[], object]]]:
    """``{model: {library: zero-argument round trip}}``."""
    import msgspec
    import pydantic

    from symprogram.accounts.models import ContactDetails
    from symprogram.consent.models import Channel, Choice, ConsentState
    from symprogram.serialization import dumps, loads, make_converter

    plain = cattrs_only(make_converter)

    aware = Annotated[datetime, msgspec.Meta(tz=True)]

    class PChoice(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)
        topic: str
        choice: Choice
        at: pydantic.AwareDatetime
        channel: Channel
        policy_version: str
        position: int

    class PSeen(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)
        policy_version: str
        at: pydantic.AwareDatetime

    class PState(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)
        subject: str
        choices: tuple[PChoice, ...] = ()
        seen: tuple[PSeen, ...] = ()
        sites: tuple[str, ...] = ()
        last_at: pydantic.AwareDatetime | None = None
        length: int = 0
        erased_at: pydantic.AwareDatetime | None = None
        version: int = 0

    class MChoice(msgspec.Struct, frozen=True):
        topic: str
        choice: Choice
        at: aware
        channel: Channel
        policy_version: str
        position: int

    class MSeen(msgspec.Struct, frozen=True):
        policy_version: str
        at: aware

    class MState(msgspec.Struct, frozen=True):
        subject: str
        choices: tuple[MChoice, ...] = ()
        seen: tuple[MSeen, ...] = ()
        sites: tuple[str, ...] = ()
        last_at: aware | None = None
        length: int = 0
        erased_at: aware | None = None
        version: int = 0

    line = Annotated[str, pydantic.StringConstraints(strip_whitespace=True, max_length=100)]

    class PContact(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)
        email: pydantic.EmailStr
        given_name: line
        family_name: line
        company_name: line
        partner_company: line
        preferred_language: Annotated[str, pydantic.StringConstraints(max_length=35)]
        phone: str | None = None
        postal_address: None = None

    mline = Annotated[str, msgspec.Meta(max_length=100)]

    class MContact(msgspec.Struct, frozen=True):
        email: Annotated[str, msgspec.Meta(max_length=254)]
        given_name: mline
        family_name: mline
        company_name: mline
        partner_company: mline
        preferred_language: Annotated[str, msgspec.Meta(max_length=35)]
        phone: str | None = None
        postal_address: None = None

    sym = symprogram_pools()
    pools: dict[str, dict[str, list[Any]]] = {
        "ConsentState": {
            "symprogram": sym["ConsentState"],
            "cattrs": sym["ConsentState"],
            "pydantic": [PState(**state_fields(i)) for i in range(POOL)],
            "msgspec": [
                msgspec.convert(state_fields(i), MState, from_attributes=True) for i in range(POOL)
            ],
        },
        "ContactDetails": {
            "symprogram": sym["ContactDetails"],
            "cattrs": sym["ContactDetails"],
            "pydantic": [PContact(**contact_fields(i)) for i in range(POOL)],
            "msgspec": [MContact(**contact_fields(i)) for i in range(POOL)],
        },
    }
    types = {
        "ConsentState": {
            "symprogram": ConsentState,
            "cattrs": ConsentState,
            "pydantic": PState,
            "msgspec": MState,
        },
        "ContactDetails": {
            "symprogram": ContactDetails,
            "cattrs": ContactDetails,
            "pydantic": PContact,
            "msgspec": MContact,
        },
    }
    encoder, decoders = msgspec.json.Encoder(), {}

    def make(model: str, lib: str) -> Callable[[], object]:
        objects = itertools.cycle(pools[model][lib])
        cls = types[model][lib]
        if lib == "symprogram":
            return lambda: loads(dumps(next(objects)), cls)
        if lib == "cattrs":
            return lambda: loads(dumps(next(objects), converter=plain), cls, converter=plain)
        if lib == "pydantic":
            return lambda: cls.model_validate_json(next(objects).model_dump_json())
        decoder = decoders.setdefault(model, msgspec.json.Decoder(cls))
        return lambda: decoder.decode(encoder.encode(next(objects)))

    # sanity: every library round-trips to an equal object
    for model, libs in pools.items():
        for lib, objects in libs.items():
            fn = make(model, lib)
            assert fn() == objects[0], (model, lib)

    return {model: {lib: make(model, lib) for lib in libs} for model, libs in pools.items()}


class _Unused:
    """A class no model uses: a hook for it switches a converter's generated code off."""


def cattrs_only(make_converter: Callable[[], Any]) -> Any:
    """symprogram's converter without its generated code: cattrs' general path alone."""
    conv = make_converter()
    conv.register_unstructure_hook(_Unused, lambda _: None)
    return conv


def one_way() -> dict[str, dict[str, Callable[[], object]]]:
    """``{model: {"generated-dumps" | "cattrs-dumps" | ...-loads: one direction}}``.

    symprogram's two models, each direction alone, with and without the
    generated code, on the same pool of distinct objects (and their texts).
    """
    from symprogram.serialization import dumps, dumps_without, loads, loads_without, make_converter

    plain = cattrs_only(make_converter)
    pools = symprogram_pools()
    out: dict[str, dict[str, Callable[[], object]]] = {}
    version = frozenset({"version"})
    for model, objects in pools.items():
        cls = type(objects[0])
        texts = [dumps(obj) for obj in objects]
        assert texts == [dumps(obj, converter=plain) for obj in objects], model
        # a stored record's text: without the version the store keeps beside it
        stored = [dumps_without(obj, version) for obj in objects]
        cases: dict[str, Callable[[], object]] = {}
        for label, conv in (("generated", None), ("cattrs", plain)):
            items, lines = itertools.cycle(objects), itertools.cycle(texts)
            cases[f"{label}-dumps"] = lambda i=items, c=conv: dumps(next(i), converter=c)
            cases[f"{label}-loads"] = lambda t=lines, c=conv, k=cls: loads(next(t), k, converter=c)
            if "version" in attrs.fields_dict(cls):
                rows = itertools.cycle(stored)
                cases[f"{label}-stored-loads"] = lambda t=rows, c=conv, k=cls: loads_without(
                    next(t), k, version, converter=c
                )
        out[model] = cases
    return out
