"""One cattrs converter for every model, JSON in and out.

:func:`make_converter` builds a fresh converter (never a shared mutable global):
instants are ISO 8601 strings in UTC, dates ISO dates, candidate IDs their
display form, enumerations their string values, tuples and frozensets JSON
arrays (frozensets sorted, so the output is canonical), an error
(:class:`~symprogram.errors.SymprogramError`) what its ``to_dict()`` gives (read
back as the class it names), and a value where a union of models is expected
carries its class under :data:`TAG`
(``{"_type": "AllOf", ...}``), so that models of the same shape read back as
themselves. :func:`dumps` and
:func:`loads` use a module-private converter built once by
:func:`make_converter`, for convenience.

For speed, :func:`dumps` and :func:`loads` use code generated per model class
(:mod:`symprogram._codegen`) on a converter from :func:`make_converter`: it writes
the canonical text directly and builds the model from the parsed JSON, giving
exactly the text and model of cattrs' general path (every converter and
validator of the model still runs). Values of any other shape, and every error,
take the general path. Registering a further hook on such a converter switches
the generated code off for it.

Example:
    >>> import attrs
    >>> from datetime import datetime, timezone
    >>> @attrs.frozen
    ... class Seen:
    ...     at: datetime
    >>> conv = make_converter()
    >>> conv.structure(conv.unstructure(Seen(datetime(2011, 1, 15, tzinfo=timezone.utc))), Seen)
    Seen(at=datetime.datetime(2011, 1, 15, 0, 0, tzinfo=datetime.timezone.utc))
"""

from __future__ import annotations

import contextlib
import enum
import errno
import json
import os
import stat
import tomllib
import types
import typing
from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.preconf.json import JsonConverter, configure_converter

from symprogram import _codegen
from symprogram._checks import shown
from symprogram._deprecation import warn_deprecated
from symprogram.clock import ensure_utc
from symprogram.errors import CatalogueError, SymprogramError, ValidationError
from symprogram.ids import CandidateId

__all__ = [
    "TAG",
    "canonical_json",
    "catalogue_file_text",
    "dumps",
    "dumps_without",
    "loads",
    "loads_without",
    "json_value",
    "toml_value",
    "make_converter",
]

T = TypeVar("T")


def _unstructure_datetime(value: datetime) -> str:
    tz = value.tzinfo
    if tz is UTC:
        return value.isoformat()
    if tz is None:
        raise ValidationError("naive datetimes cannot be stored", code="naive_datetime")
    return ensure_utc(value, field="value").isoformat()  # instant_out_of_range, not OverflowError


def _structure_datetime(value: Any, _: type) -> datetime:
    if value.__class__ is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(
                f"not an ISO 8601 instant: {value!r}", code="invalid_instant"
            ) from exc
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        return _structure_datetime(str(value), _)
    else:
        raise ValidationError(f"not an ISO 8601 instant: {shown(value)}", code="invalid_instant")
    tz = parsed.tzinfo
    if tz is UTC:
        return parsed
    if tz is None:
        raise ValidationError(f"instant without time zone: {value!r}", code="naive_datetime")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00
        raise ValidationError(
            f"{value!r} is outside the years 1 to 9999 in UTC", code="instant_out_of_range"
        ) from None


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, type], Any]:
    """Structure an enumeration member by a dictionary lookup (``cls(value)`` as fallback)."""
    members = cls._value2member_map_

    def structure(value: Any, _: type) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return cls(value)

    return structure


def _is_error(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, SymprogramError)


def _unstructure_error(error: SymprogramError) -> dict[str, Any]:
    """An error as :meth:`SymprogramError.to_dict` describes it: class, code, message,
    field and details (JSON-friendly by the errors' own contract)."""
    return error.to_dict()


def _error_classes(cls: type[SymprogramError]) -> dict[str, type[SymprogramError]]:
    found = {cls.__name__: cls}
    for sub in cls.__subclasses__():
        found = {**_error_classes(sub), **found}
    return found


def _structure_error(value: Any, cls: type[SymprogramError]) -> SymprogramError:
    """The error ``value`` (written by :func:`_unstructure_error`) describes, of class
    ``cls`` or of the subclass of ``cls`` it names."""
    kind = None
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        name = value.get("error", cls.__name__)
        kind = _error_classes(cls).get(name) if isinstance(name, str) else None
    if (
        kind is None
        or not isinstance(value.get("field"), str | None)
        or not isinstance(value.get("code"), str | None)
        or not isinstance(value.get("details"), dict | None)
    ):
        raise ValidationError(f"not a {cls.__name__} error: {shown(value)}", code="invalid_data")
    return kind(
        value["message"],
        field=value.get("field"),
        code=value.get("code"),
        details=value.get("details"),
    )


def _structure_date(value: Any, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(f"not an ISO 8601 date: {value!r}", code="invalid_date") from exc
    raise ValidationError(f"not an ISO 8601 date: {shown(value)}", code="invalid_date")


TAG = "_type"
"""The key that names the class of a value written where a union of models is expected.

A field typed as a union of attrs classes (``AllOf | AnyOf | ...``) is written
with ``{"_type": "AllOf", ...}``, so that classes of the same shape read back as
themselves (cattrs' ``configure_tagged_union`` convention). Text written without
the key is still read: the one member whose fields fit the keys is chosen.
"""


def _tagged_members(tp: Any) -> tuple[type, ...] | None:
    """The attrs classes of a union of two or more of them (``None`` allowed), else ``None``."""
    origin = typing.get_origin(tp)
    if origin is not typing.Union and origin is not types.UnionType:
        return None
    members = tuple(arg for arg in typing.get_args(tp) if arg is not type(None))
    if len(members) < 2 or not all(isinstance(m, type) and attrs.has(m) for m in members):
        return None
    return members


def _fits(cls: type, keys: AbstractSet[str]) -> bool:
    """Whether an object with ``keys`` could be an instance of ``cls`` written without a tag."""
    fields = attrs.fields(cls)
    names = {f.alias for f in fields}
    required = {f.alias for f in fields if f.default is attrs.NOTHING}
    return required <= keys <= names


def _union_unstructure(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    def factory(tp: Any) -> Callable[[Any], Any]:
        members = frozenset(_tagged_members(tp) or ())

        def unstructure(value: Any) -> Any:
            cls = value.__class__
            raw = conv.unstructure(value, cls)
            if cls in members and isinstance(raw, dict):
                raw[TAG] = cls.__name__
            return raw

        return unstructure

    return factory


def _union_structure(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(tp: Any) -> Callable[[Any, Any], Any]:
        members = _tagged_members(tp) or ()
        by_tag = {m.__name__: m for m in members}
        optional = type(None) in typing.get_args(tp)

        def structure(value: Any, _: Any) -> Any:
            if value is None and optional:
                return None
            if not isinstance(value, dict):
                raise ValidationError(
                    f"expected an object of one of {', '.join(by_tag)}, got {value!r}",
                    code="invalid_data",
                )
            tag = value.get(TAG)
            if tag is None:  # written without a tag: the one member that fits
                fitting = [m for m in members if _fits(m, value.keys())]
                if len(fitting) != 1:
                    raise ValidationError(
                        f"an object without {TAG!r} fits {len(fitting)} of {', '.join(by_tag)}",
                        code="invalid_data",
                    )
                return conv.structure(value, fitting[0])
            if tag.__class__ is not str or tag not in by_tag:
                raise ValidationError(
                    f"{TAG} {tag!r} is none of {', '.join(by_tag)}", code="invalid_data"
                )
            return conv.structure({k: v for k, v in value.items() if k != TAG}, by_tag[tag])

        return structure

    return factory


def _sorted_key(item: Any) -> Any:
    return json.dumps(item, sort_keys=True, default=str)


def _first_validation_error(exc: BaseException) -> ValidationError | None:
    """Find a symprogram ValidationError inside cattrs' exception groups."""
    if isinstance(exc, ValidationError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _first_validation_error(inner)
        if found is not None:
            return found
    return None


class _Converter(JsonConverter):
    """The JSON converter with generated writers and readers per model class.

    The generated code (:mod:`symprogram._codegen`) reproduces the hooks
    :func:`make_converter` registers; registering any further hook switches it
    off for this converter, so the general path then always applies.
    """

    __slots__ = ("_sym_fast", "_sym_readers", "_sym_writers")

    def _sym_enable(self) -> None:
        self._sym_writers: dict[Any, _codegen.Writer | None] = {}
        self._sym_readers: dict[Any, _codegen.Reader | None] = {}
        self._sym_fast = True

    def _sym_disable(self) -> None:
        self._sym_fast = False
        if hasattr(self, "_sym_writers"):
            self._sym_writers.clear()
            self._sym_readers.clear()


# Registering any hook switches the generated code off (then calls cattrs' own method).
_REGISTERING = (
    "register_unstructure_hook",
    "register_unstructure_hook_func",
    "register_unstructure_hook_factory",
    "register_structure_hook",
    "register_structure_hook_func",
    "register_structure_hook_factory",
)


def _switching_off(name: str) -> Callable[..., Any]:
    inherited = getattr(JsonConverter, name)

    def register(self: _Converter, *args: Any, **kwargs: Any) -> Any:
        self._sym_disable()
        return inherited(self, *args, **kwargs)

    register.__name__, register.__qualname__ = name, f"_Converter.{name}"
    register.__doc__ = inherited.__doc__
    return register


for _name in _REGISTERING:
    setattr(_Converter, _name, _switching_off(_name))


# Classes make_converter gives hooks of their own beyond what _codegen reproduces.
_OWN_HOOKS: frozenset[Any] = frozenset({timedelta})
# Classes make_converter writes as str(value) and reads with the function given
# (its hooks for them are exactly these).
_BY_TEXT: dict[type, Callable[[Any], Any]] = {CandidateId: CandidateId.parse}


def _writer(
    conv: cattrs.Converter, cls: type, exclude: frozenset[str] = frozenset()
) -> _codegen.Writer | None:
    """The generated writer for ``cls`` (without the fields ``exclude``) on ``conv``,
    built and kept on first use; else ``None``."""
    if not getattr(conv, "_sym_fast", False):
        return None
    fn = _codegen.writer(cls, _OWN_HOOKS, exclude, _BY_TEXT)
    conv._sym_writers[(cls, exclude) if exclude else cls] = fn  # type: ignore[attr-defined]
    return fn


def _reader(
    conv: cattrs.Converter, cls: Any, absent: frozenset[str] = frozenset()
) -> _codegen.Reader | None:
    """The generated reader for ``cls`` (of a text without the fields ``absent``) on
    ``conv``, built and kept on first use; else ``None``."""
    if not getattr(conv, "_sym_fast", False):
        return None
    fn = _codegen.reader(cls, _OWN_HOOKS, _BY_TEXT, absent) if isinstance(cls, type) else None
    with contextlib.suppress(TypeError):  # an unhashable type expression is not kept
        conv._sym_readers[(cls, absent) if absent else cls] = fn  # type: ignore[attr-defined]
    return fn


def make_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """Return a new converter that round-trips every symprogram model through JSON.

    Args:
        detailed_validation: cattrs' detailed validation (every structuring error
            collected into exception groups with their paths). Off by default: the
            generated code is then markedly faster, and :func:`loads` reports the
            first error either way (a ``ValidationError`` with its own code, or
            ``invalid_data``).
    """
    conv = _Converter(
        detailed_validation=detailed_validation,
        unstruct_collection_overrides={AbstractSet: list, Counter: dict},
    )
    configure_converter(conv)  # as cattrs.preconf.json.make_converter does
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(date, lambda d: d.isoformat())
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook(CandidateId, str)
    conv.register_structure_hook(CandidateId, lambda v, _: _BY_TEXT[CandidateId](v))
    conv.register_unstructure_hook(timedelta, lambda d: d.total_seconds())
    conv.register_structure_hook(timedelta, lambda v, _: timedelta(seconds=float(v)))
    conv.register_unstructure_hook_func(_is_error, _unstructure_error)
    conv.register_structure_hook_func(_is_error, _structure_error)

    def _unstructure_frozenset(value: frozenset[Any]) -> list[Any]:
        items = [conv.unstructure(v) for v in value]
        return sorted(items, key=_sorted_key)

    conv.register_unstructure_hook_func(
        lambda t: t is frozenset or getattr(t, "__origin__", None) is frozenset,
        _unstructure_frozenset,
    )
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_hook
    )
    conv.register_unstructure_hook_factory(
        lambda t: _tagged_members(t) is not None, _union_unstructure(conv)
    )
    conv.register_structure_hook_factory(
        lambda t: _tagged_members(t) is not None, _union_structure(conv)
    )
    conv._sym_enable()
    return conv


_DEFAULT = make_converter()


def _not_serializable(exc: Exception) -> ValidationError:
    return ValidationError(
        f"the value cannot be written as JSON: {exc}", field="value", code="not_serializable"
    )


def canonical_json(value: Any) -> str:
    """Serialize already-unstructured data canonically (sorted keys, no spaces, UTF-8 safe).

    Every encoder of the ledgers writes what this writes (``NaN`` and infinities
    as Python's ``json`` does), so a chain's text never depends on which wrote it.

    Raises:
        ValidationError: ``not_serializable``: a value JSON cannot hold (an object of
            another type, a key that is not text or a number), or nested too deeply.
    """
    try:
        return _canonical_encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise _not_serializable(exc) from None


# What ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
# runs, its encoder built once: ``json.dumps`` with any option builds a new one per call.
_canonical_encode: Callable[[Any], str] = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode


# What json.loads(str) runs, less its wrapping (same options as json's default decoder).
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _written(fast: Callable[[Any], str] | None, obj: Any) -> str | None:
    """The text of ``obj`` by its generated writer ``fast``; ``None`` where there is
    none or ``obj`` is not of its exact shape (the general path then answers)."""
    if fast is not None:
        try:
            return fast(obj)
        except _codegen.WRITER_MISSES:
            pass
    return None


def _unstructured(conv: cattrs.Converter, obj: Any) -> Any:
    """``conv.unstructure(obj)``; what it cannot take apart is ``not_serializable``."""
    try:
        return conv.unstructure(obj)
    except ValidationError:  # the converter's own refusal (a naive instant, ...)
        raise
    except (TypeError, ValueError, RecursionError) as exc:
        raise _not_serializable(exc) from None


def dumps(obj: Any, *, converter: cattrs.Converter | None = None) -> str:
    """Serialize a model to canonical JSON text.

    Raises:
        ValidationError: ``not_serializable`` (see :func:`canonical_json`).
    """
    conv = converter or _DEFAULT
    try:  # the generated writer, as dumps_without finds it (one call less)
        fast = conv._sym_writers[obj.__class__]  # type: ignore[attr-defined]
    except (AttributeError, KeyError):
        return dumps_without(obj, _NOTHING, converter=conv)
    text = _written(fast, obj)
    return canonical_json(_unstructured(conv, obj)) if text is None else text


_NOTHING: frozenset[str] = frozenset()


def dumps_without(
    obj: Any, exclude: frozenset[str], *, converter: cattrs.Converter | None = None
) -> str:
    """:func:`dumps` of ``obj`` less its own fields named in ``exclude`` (e.g. the
    ``version`` a store keeps beside a record's text): the same text as the
    unstructured dictionary without those keys, canonically serialized."""
    conv = converter or _DEFAULT
    cls = obj.__class__
    try:
        fast = conv._sym_writers[(cls, exclude) if exclude else cls]  # type: ignore[attr-defined]
    except (AttributeError, KeyError):
        fast = _writer(conv, cls, exclude)
    text = _written(fast, obj)
    if text is not None:
        return text
    raw = _unstructured(conv, obj)
    if exclude and isinstance(raw, dict):
        for name in exclude:
            raw.pop(name, None)
    return canonical_json(raw)


def loads(text: str | bytes, cls: type[T], *, converter: cattrs.Converter | None = None) -> T:
    """Parse JSON text into ``cls``.

    Raises:
        ValidationError: the text is not valid JSON or does not fit ``cls``.
    """
    return _load(text, cls, converter or _DEFAULT, _NOTHING)


def loads_without(
    text: str | bytes,
    cls: type[T],
    absent: frozenset[str],
    *,
    converter: cattrs.Converter | None = None,
) -> T:
    """:func:`loads` of a text :func:`dumps_without` wrote: the fields of ``cls``
    named in ``absent`` (e.g. the ``version`` a store keeps beside a record's text)
    are not in it and take their defaults.

    Raises:
        ValidationError: the text is not valid JSON or does not fit ``cls``.
    """
    return _load(text, cls, converter or _DEFAULT, absent)


def _load(text: str | bytes, cls: type[T], conv: cattrs.Converter, absent: frozenset[str]) -> T:
    raw = _parse(text)
    try:
        fast = conv._sym_readers[(cls, absent) if absent else cls]  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        fast = _reader(conv, cls, absent)
    if fast is not None:
        try:
            return fast(raw)  # type: ignore[no-any-return]
        except _codegen.READER_MISSES:  # not the exact shape: the general path answers
            pass
        except Exception as exc:  # the model's own error, reported as the general path does
            raise _not_fitting(cls, exc) from exc
    try:
        return conv.structure(raw, cls)
    except ValidationError:
        raise
    except cattrs.BaseValidationError as exc:
        inner = _first_validation_error(exc)
        if inner is not None:
            raise inner from exc
        raise _not_fitting(cls, exc) from exc
    except Exception as exc:  # without detailed validation: the hook's own error
        raise _not_fitting(cls, exc) from exc


def _parse(text: str | bytes) -> Any:
    """The JSON value of ``text``, as ``json.loads`` gives it.

    Raises:
        ValidationError: the text is not valid JSON, or is nested deeper than the
            parser can read (code ``invalid_json``).
    """
    if text.__class__ is str:
        # One bare JSON value from the first to the last character: what
        # json.loads gives. Anything else (surrounding whitespace, a byte order
        # mark, extra data, an error) goes through json.loads for its answer.
        try:
            value, end = _scan_once(text, 0)
        except (StopIteration, ValueError):  # not JSON: json.loads below gives the error
            pass
        except RecursionError as exc:
            raise _too_deep() from exc
        else:
            if end == len(text):
                return value
    try:
        return json.loads(text)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"not valid JSON: {exc}", code="invalid_json") from exc
    except RecursionError as exc:  # nested deeper than Python's parser goes
        raise _too_deep() from exc


def json_value(text: str | bytes) -> Any:
    """``json.loads(text)`` whose every failure is a ``ValidationError`` (a ``ValueError``).

    Text nested deeper than Python's parser goes raises ``RecursionError`` from
    :func:`json.loads`, and a value that is no text a ``TypeError``; here both are
    a ``ValueError`` like any other text that is not JSON, so a stored row written
    by hand (``[[[[...``) is reported by the check that reads it, never escaping as
    a bare ``RecursionError``.

    Raises:
        ValidationError: not text or bytes, not JSON, or nested too deeply (code
            ``invalid_json``, field ``text``).
    """
    try:  # json.JSONDecodeError, bytes that are not UTF-8: a ValueError
        return _parsed(json.loads, text, "JSON", said="not JSON: ")
    except TypeError as exc:
        raise ValidationError(
            f"JSON text must be str or bytes, not {type(text).__name__}",
            field="text",
            code="invalid_json",
        ) from exc


def toml_value(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)`` whose every failure is a ``ValidationError`` (a ``ValueError``).

    Arrays or tables nested deeper than Python's parser goes raise
    ``RecursionError`` from :func:`tomllib.loads`, and an integer too long for
    Python to read a plain ``ValueError``; here both are refused like any text
    that is not TOML, so every catalogue loader reports them as its
    ``CatalogueError`` (never a bare ``RecursionError``).

    Raises:
        ValidationError: not a ``str``, not TOML, an integer too long, or nested too
            deeply (code ``invalid_toml``, field ``text``; the message is the
            parser's).
    """
    if not isinstance(text, str):
        raise ValidationError(
            f"TOML text must be a str, not {type(text).__name__}", field="text", code="invalid_toml"
        )
    # tomllib.TOMLDecodeError, an integer too long: a ValueError
    return _parsed(tomllib.loads, text, "TOML")


def _parsed(loads: Callable[[Any], T], text: object, language: str, *, said: str = "") -> T:
    """``loads(text)``; text nested deeper than Python's parser goes, or that raises a
    ``ValueError`` (its message after ``said``), is refused as ``invalid_<language>``
    (field ``text``)."""
    code = f"invalid_{language.lower()}"
    try:
        return loads(text)
    except RecursionError as exc:
        raise ValidationError(
            f"{language} nested too deeply to be read", field="text", code=code
        ) from exc
    except ValueError as exc:
        raise ValidationError(f"{said}{exc}", field="text", code=code) from exc


def _path_text(path: str | os.PathLike[Any]) -> str | None:
    """``os.fspath(path)`` when it is text, else ``None`` (``__fspath__`` may return anything)."""
    try:
        name = os.fspath(path)
    except TypeError:
        return None
    return name if isinstance(name, str) else None


def catalogue_file_text(path: object, *, what: str = "catalogue", code: str | None = None) -> str:
    """The UTF-8 text of the catalogue file ``path``, for every context's ``load``.

    Every catalogue answers a file it cannot read with the same code (field
    ``path``; ``details`` name the ``file``, the ``entry`` ``path`` and the
    ``problem``).

    Args:
        path: a text path or an ``os.PathLike`` of text.
        what: what the file is, for the message.
        code: deprecated: one code for every refusal (each loader once had its own).

    Raises:
        CatalogueError: ``path`` is no text path or has a NUL byte (``invalid_path``);
            no file is there, or its name is too long for one to be
            (``catalogue_not_found``); the file cannot be read: a directory, a FIFO,
            a device, no permission, larger than :data:`MAX_CATALOGUE_BYTES`
            (``catalogue_unreadable``); it is not UTF-8, so not TOML (``invalid_toml``).
    """
    if code is not None:
        warn_deprecated(
            "catalogue_file_text(code=...)", "catalogue_file_text() without code", "0.2.0"
        )
    name = _path_text(path) if isinstance(path, str | os.PathLike) else None
    if name is None:  # no path, or an os.PathLike whose __fspath__ gives bytes
        problem = f"not a path of text but {type(path).__name__}"
        raise _unread(
            f"path must be a file path of text, not {type(path).__name__}",
            name=shown(path, limit=200),
            problem=problem,
            code=code or "invalid_path",
        )
    file, quoted = Path(name), repr(name)
    try:
        # stat first: opening a FIFO would wait for a writer, and /dev/zero never ends
        regular = stat.S_ISREG(file.stat().st_mode)
        data = b""
        if regular:
            with file.open("rb") as opened:
                data = opened.read(MAX_CATALOGUE_BYTES + 1)
    except (OSError, ValueError) as exc:  # a NUL in the path, a name too long
        problem, found = _unread_problem(exc)
        raise _unread(
            f"cannot read {what} {quoted}: {exc}", name=name, problem=problem, code=code or found
        ) from exc
    if not regular or len(data) > MAX_CATALOGUE_BYTES:
        problem = (
            "not a regular file" if not regular else f"larger than {MAX_CATALOGUE_BYTES} bytes"
        )
        raise _unread(
            f"{what} {quoted} is {problem}",
            name=name,
            problem=problem,
            code=code or "catalogue_unreadable",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _unread(
            f"{what} {quoted} is not UTF-8, so not TOML: {exc}",
            name=name,
            problem="not UTF-8",
            code=code or "invalid_toml",
        ) from exc


def _unread_problem(exc: OSError | ValueError) -> tuple[str, str]:
    """The problem and the code of a path the system refused to read."""
    if isinstance(exc, ValueError):  # a NUL byte, a lone surrogate
        return "not a valid path", "invalid_path"
    if isinstance(exc, FileNotFoundError | NotADirectoryError) or exc.errno == errno.ENAMETOOLONG:
        return "not found", "catalogue_not_found"
    return exc.strerror or type(exc).__name__, "catalogue_unreadable"


def _unread(message: str, *, name: str, problem: str, code: str) -> CatalogueError:
    return CatalogueError(
        message,
        field="path",
        code=code,
        details={"file": name, "entry": "path", "problem": problem},
    )


MAX_CATALOGUE_BYTES = 16 * 1024 * 1024
"""The largest catalogue file ``load`` reads (16 MiB); a larger one is refused."""


def _too_deep() -> ValidationError:
    return ValidationError("not valid JSON here: nested too deeply to be read", code="invalid_json")


def _not_fitting(cls: Any, exc: BaseException) -> ValidationError:
    """The ``invalid_data`` error of data that does not fit ``cls``."""
    return ValidationError(
        f"data does not fit {getattr(cls, '__name__', cls)}: {exc}", code="invalid_data"
    )
