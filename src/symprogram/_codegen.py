"""Generated JSON writers and readers for attrs models (private to :mod:`symprogram.serialization`).

For an attrs class whose fields are all of the kinds listed below, :func:`writer`
generates a function that returns exactly the text
``canonical_json(converter.unstructure(obj))`` gives, and :func:`reader` one that
returns exactly the instance ``converter.structure(json.loads(text), cls)`` gives,
for a converter built by :func:`symprogram.serialization.make_converter`.

Each generated function handles only values of the exact expected classes (a
``str`` that is a ``str``, an ``int`` that is not a ``bool``, a UTC instant, an
enumeration member, a ``tuple`` or JSON array, a nested model of the exact
class, ...). On anything else it raises, and the caller takes the general cattrs
path, which then gives the answer or the error: the generated code never decides
an error case. (Where a C function makes the check itself, the generated code
leaves it to that function: a writer hands a ``str`` field to
``encode_basestring``, which refuses anything but a ``str`` and writes a ``str``
subclass as its text, exactly as the json module does; a reader hands an
instant's text to ``datetime.fromisoformat``, which refuses anything but a
``str``.)

A writer checks the values, then builds the whole text in one f-string per
object; an instant is written field by field from tables of digits (what
``isoformat()`` gives for a UTC instant, at a third of its cost). A reader takes
every key of an object in one ``operator.itemgetter`` call and checks the fields
that need only a check in one condition.

A reader builds the instance the way the class's ``__init__`` would: every field
converter runs, except one that is known to return the value unchanged (no
converter; the field's own enumeration class given a member of it; a function
registered with :func:`returns_as_is` for the kinds of value the reader gives).
A class with validators, ``__attrs_pre_init__``/``__attrs_post_init__``, a
hand-written ``__init__`` or slots other than its fields is built by calling
the class. Any other is filled as an instance of a private subclass of the same
layout that takes plain slot stores, then given its own class (``__class__``
assignment, see :func:`_filler`): a frozen class would otherwise need one
descriptor call per field, the largest cost of a reader.

Supported field types: ``str``, ``int``, ``bool``, ``datetime`` (UTC), ``date``,
enumerations whose values are all ``str``, ``X | None``, ``tuple[X, ...]`` and
nested attrs classes that are themselves supported. A class with any other field
type, an ``init=False`` field or a private (aliased) field gets no generated
code (``None``).
"""

from __future__ import annotations

import enum
import json
import linecache
import operator
import threading
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from typing import Any

import attrs

__all__ = [
    "READER_MISSES",
    "WRITER_MISSES",
    "Miss",
    "as_is_kinds",
    "reader",
    "returns_as_is",
    "writer",
]


class Miss(Exception):
    """The value is not of the shape the generated code handles (take the general path)."""


WRITER_MISSES: tuple[type[Exception], ...] = (Miss, TypeError, LookupError, AttributeError)
"""What a generated writer raises on a value not of the exact shape it handles.

``Miss`` from its own checks, ``TypeError`` from ``encode_basestring`` given a
non-``str``, ``IndexError`` from the year table for a year after 2999,
``KeyError`` for an item of a frozenset that is not a member of its enumeration,
``AttributeError`` for an instance missing a field. Anything else propagates.
"""

READER_MISSES: tuple[type[Exception], ...] = (
    Miss,
    TypeError,
    LookupError,
    ValueError,
    AttributeError,
)
"""What a generated reader raises on parsed JSON not of the exact shape it handles.

``Miss`` from its own checks, ``KeyError`` / ``TypeError`` from taking the keys
of a non-object or a missing key and from an unknown enumeration value,
``ValueError`` from ``fromisoformat``, ``AttributeError`` from a non-object;
also every ``ValidationError`` (a ``ValueError``) of the model's own converters
and validators, which the general path then raises again. Anything else is the
model's own error: :func:`symprogram.serialization.loads` reports it as
``invalid_data``, as it does on the general path.
"""

_UNSUPPORTED: tuple[type[Exception], ...] = (Miss, TypeError, AttributeError, SyntaxError)
# A class of a shape the generator does not know (an unhashable type expression,
# an attribute it lacks, a name that is not an identifier): no generated code.

_MISS = Miss()
_NONE = type(None)

Writer = Callable[[Any], str]
Reader = Callable[[Any], Any]

# isoformat()'s fields: two digits, and four for a year (up to 2999)
_D2 = tuple(f"{n:02d}" for n in range(100))
_YEARS = tuple(f"{n:04d}" for n in range(3000))

_AS_IS: dict[Any, frozenset[Any]] = {}
_ATTRS_CONVERTER: Any = getattr(attrs, "Converter", ())  # attrs >= 24.1


def returns_as_is(fn: Callable[..., Any], *kinds: Any) -> None:
    """Declare that the field converter ``fn`` returns unchanged every value of ``kinds``.

    A kind is ``datetime`` (a ``datetime`` whose ``tzinfo`` is ``UTC``), ``None``,
    or an enumeration class (its members). A reader then skips the converter for
    the values it builds of those kinds; ``tests/kernel/test_serialization_codegen.py``
    checks every such declaration (``fn(value) is value``).
    """
    _AS_IS[fn] = frozenset(kinds)


def as_is_kinds(fn: Any) -> frozenset[Any]:
    """The kinds declared with :func:`returns_as_is` for ``fn`` (empty if none)."""
    try:
        return _AS_IS.get(fn, frozenset())
    except TypeError:  # an unhashable converter
        return frozenset()


def _optional_arg(tp: Any) -> Any:
    """``X`` for ``X | None`` / ``Optional[X]``, else ``None``."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if len(args) == 2 and _NONE in args:
            return args[0] if args[1] is _NONE else args[1]
    return None


def _tuple_arg(tp: Any) -> Any:
    """``X`` for ``tuple[X, ...]``, else ``None``."""
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return None


def _frozenset_arg(tp: Any) -> Any:
    """``X`` for ``frozenset[X]``, else ``None``."""
    if typing.get_origin(tp) is frozenset:
        args = typing.get_args(tp)
        if len(args) == 1:
            return args[0]
    return None


def _str_enum(tp: Any) -> bool:
    return (
        isinstance(tp, type)
        and issubclass(tp, enum.Enum)
        and len(tp.__members__) > 0
        and all(type(m.value) is str for m in tp.__members__.values())
    )


def _produced_kinds(tp: Any) -> frozenset[Any] | None:
    """The kinds of value a reader gives for ``tp``, if all are kinds of :func:`returns_as_is`."""
    inner = _optional_arg(tp)
    if inner is not None:
        kinds = _produced_kinds(inner)
        return None if kinds is None else kinds | {None}
    if tp is datetime or _str_enum(tp):
        return frozenset({tp})
    return None


def _fields(cls: type) -> list[tuple[attrs.Attribute[Any], Any]] | None:
    """The fields of ``cls`` with their resolved types, or ``None`` if unsupported."""
    if not attrs.has(cls):
        return None
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError, AttributeError, SyntaxError):  # unresolvable annotations
        return None
    out = []
    for field in attrs.fields(cls):
        if not field.init or field.alias != field.name or field.name not in hints:
            return None
        out.append((field, hints[field.name]))
    return out


def _slot_setters(cls: type, fields: list[tuple[attrs.Attribute[Any], Any]]) -> bool:
    """Whether an instance of ``cls`` may be built by setting its slots, as its ``__init__`` does.

    True for a slotted attrs class with an attrs-generated ``__init__``, no
    validator, no pre/post-init hook, and no slot but its fields (``cache_hash``
    and similar options add slots, so they are excluded).
    """
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return False
    if any(field.validator is not None for field, _ in fields):
        return False
    slots: set[str] = set()
    for klass in cls.__mro__[:-1]:
        if "__slots__" not in klass.__dict__:
            return False
        names = klass.__dict__["__slots__"]
        slots.update([names] if isinstance(names, str) else names)
    slots.discard("__weakref__")
    names = {field.name for field, _ in fields}
    if slots != names:
        return False
    return all(type(getattr(cls, name, None)) is types.MemberDescriptorType for name in names)


def _filler(cls: type) -> type | None:
    """A private subclass of ``cls`` whose instances are filled by plain slot stores, or ``None``.

    A frozen class's slots can only be set through their descriptors' ``__set__``
    (a call per field); an instance of this subclass, of the very same layout
    (no slot of its own) and with ``object``'s attribute setting, takes plain
    stores, then becomes an instance of ``cls`` by assigning ``__class__``
    (which CPython allows between classes of the same layout; one such
    assignment is tried here). ``None`` for a class with a metaclass or an
    ``__init_subclass__`` of its own (defining a subclass could run code), or
    when the assignment is refused: its readers use the descriptors.
    """
    if type(cls) is not type or any("__init_subclass__" in k.__dict__ for k in cls.__mro__[:-1]):
        return None
    namespace = {
        "__slots__": (),
        "__setattr__": object.__setattr__,
        # both, or the class keeps the frozen slot function and every store calls it
        "__delattr__": object.__delattr__,
        "__module__": __name__,
        "__doc__": f"Filled by generated readers, then given the class {cls.__qualname__}.",
    }
    try:
        filler = type(f"_Filling{cls.__name__}", (cls,), namespace)
        probe: Any = object.__new__(filler)
        probe.__class__ = cls
    except TypeError:  # a layout CPython does not let an instance change between
        return None
    return filler


def _unique_filename(base: str, source: str) -> str:
    """A file name for ``source``, registered in :mod:`linecache`, unique to that source.

    The same source compiled again reuses its name; other source under the same
    class name gets ``-2``, ``-3``, ...
    """
    lines = source.splitlines(True)
    with _FILENAMES_LOCK:
        count = 1
        while True:
            filename = f"<{base}>" if count == 1 else f"<{base}-{count}>"
            cached = linecache.cache.get(filename)
            if cached is None:
                linecache.cache[filename] = (len(source), None, lines, filename)
                return filename
            if len(cached) == 4 and cached[2] == lines:
                return filename
            count += 1


_FILENAMES_LOCK = threading.Lock()


def _check_condition(line: str, ind: str) -> str | None:
    """``X`` for the line ``{ind}if X: raise _MISS``, else ``None``."""
    head, tail = f"{ind}if ", ": raise _MISS"
    if line.startswith(head) and line.endswith(tail) and ":" not in line[len(head) : -len(tail)]:
        return line[len(head) : -len(tail)]
    return None


class _Builder:
    """Generates the functions of one kind (writers or readers), one per class and type."""

    def __init__(
        self,
        kind: str,
        own_hooks: frozenset[Any],
        by_text: typing.Mapping[type, Callable[[Any], Any]] | None = None,
    ) -> None:
        self.kind = kind
        self.own_hooks = own_hooks
        self.by_text = dict(by_text or {})
        # classes written and read through the converter's own hooks, never as attrs classes
        self.hooked = own_hooks | frozenset(self.by_text)
        self.ns: dict[str, Any] = {
            "_MISS": _MISS,
            "_esc": encode_basestring,
            "_datetime": datetime,
            "_date": date,
            "_UTC": UTC,
            "_fromiso": datetime.fromisoformat,
            "_date_fromiso": date.fromisoformat,
            "_tuple": tuple,
            "_list": list,
            "_str": str,
            "_int": int,
            "_bool": bool,
            "_new": object.__new__,
            "_map": map,
            "_sorted": sorted,
            "_frozenset": frozenset,
            "_D2": _D2,
            "_Y": _YEARS,
        }
        self.count = 0
        self.top: type | None = None  # the class asked for, written without `exclude`
        self.exclude: frozenset[str] = frozenset()
        self.classes: dict[type, str | None] = {}
        self.active: set[type] = set()  # classes whose code is being generated
        self.sources: list[str] = []

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value: Any, prefix: str) -> str:
        key = self.name(f"_{prefix}")
        self.ns[key] = value
        return key

    def compile(self, cls: type) -> dict[str, Any]:
        """Compile the generated functions, their source registered in :mod:`linecache`.

        The file name is unique, e.g. ``<symprogram generated writer Candidate>``,
        so a traceback through generated code shows its lines (as attrs does).
        """
        code = "\n\n".join(self.sources) + "\n"
        filename = _unique_filename(f"symprogram generated {self.kind} {cls.__qualname__}", code)
        exec(compile(code, filename, "exec"), self.ns)  # noqa: S102
        return self.ns

    # -- writers ------------------------------------------------------------------
    # A writer is statements that check the values, then one f-string of the text.
    # write() gives both for one value: the statements, and the f-string piece
    # (literal text with braces doubled, and replacement fields) of its JSON text.
    def local(self, expr: str, ind: str, lines: list[str]) -> str:
        """A local variable holding ``expr`` (assigned in ``lines`` unless already a name)."""
        if expr.isidentifier():
            return expr
        var = self.name("_v")
        lines.append(f"{ind}{var} = {expr}")
        return var

    def write(self, tp: Any, expr: str, ind: str) -> tuple[list[str], str] | None:
        """Statements checking ``expr`` (of type ``tp``) and the f-string piece of its text."""
        if tp in self.own_hooks:
            return None
        lines: list[str] = []
        if tp in self.by_text:
            # the converter writes str(value): only an instance of exactly tp
            klass = self.const(tp, "cls")
            var = self.local(expr, ind, lines)
            lines.append(f"{ind}if {var}.__class__ is not {klass}: raise _MISS")
            return lines, f"{{_esc(_str({var}))}}"
        members = _frozenset_arg(tp)
        if members is not None and _str_enum(members):
            # the converter writes a frozenset as the list of its unstructured items
            # sorted by their JSON text (json.dumps with sort_keys and default=str)
            enc = self.const({m: encode_basestring(m.value) for m in members}, "enc")
            order = self.const(
                {m: json.dumps(m.value, sort_keys=True, default=str) for m in members}, "order"
            )
            var = self.local(expr, ind, lines)
            lines.append(f"{ind}if {var}.__class__ is not _frozenset: raise _MISS")
            return lines, (
                f'[{{",".join([{enc}[_e] for _e in _sorted({var}, key={order}.__getitem__)])}}]'
            )
        piece = self.write_scalar(tp, expr, ind, lines)
        if piece is not None:
            return lines, piece
        inner = _optional_arg(tp)
        if inner is not None:
            var = self.local(expr, ind, lines)
            written = self.write(inner, var, ind + "    ")
            if written is None:
                return None
            body, piece = written
            out = self.name("_s")
            lines += [
                f"{ind}if {var} is None: {out} = 'null'",
                f"{ind}else:",
                *body,
                f"{ind}    {out} = f'{piece}'",
            ]
            return lines, f"{{{out}}}"
        item = _tuple_arg(tp)
        if item is not None:
            return self.write_tuple(item, expr, ind)
        if attrs.has(tp):
            fn = self.write_class(tp)
            return None if fn is None else (lines, f"{{{fn}({expr})}}")
        return None

    def write_scalar(self, tp: Any, expr: str, ind: str, lines: list[str]) -> str | None:
        """The f-string piece of a scalar ``expr`` (checks appended to ``lines``), else ``None``."""
        if tp is str:
            # encode_basestring raises TypeError on anything but a str, and writes a
            # str subclass as its text, as the json module does
            return f"{{_esc({expr})}}"
        if tp is int:
            # an exact int formats as its repr, as the json module writes it
            var = self.local(expr, ind, lines)
            lines.append(f"{ind}if {var}.__class__ is not _int: raise _MISS")
            return f"{{{var}}}"
        if tp is bool:
            var = self.local(expr, ind, lines)
            out = self.name("_s")
            lines += [
                f"{ind}if {var} is True: {out} = 'true'",
                f"{ind}elif {var} is False: {out} = 'false'",
                f"{ind}else: raise _MISS",
            ]
            return f"{{{out}}}"
        if tp is datetime:
            # what isoformat() gives for a UTC instant, field by field (the year
            # table ends at 2999: a later year raises IndexError, the general path
            # then writes it)
            v = self.local(expr, ind, lines)
            lines.append(
                f"{ind}if {v}.__class__ is not _datetime or {v}.tzinfo is not _UTC: raise _MISS"
            )
            return (
                f'"{{_Y[{v}.year]}}-{{_D2[{v}.month]}}-{{_D2[{v}.day]}}'
                f"T{{_D2[{v}.hour]}}:{{_D2[{v}.minute]}}:{{_D2[{v}.second]}}"
                f'{{{v}.microsecond and ".%06d" % {v}.microsecond or ""}}+00:00"'
            )
        if tp is date:
            var = self.local(expr, ind, lines)
            lines.append(f"{ind}if {var}.__class__ is not _date: raise _MISS")
            return f'"{{{var}.isoformat()}}"'
        if _str_enum(tp):
            cls = self.const(tp, "enum")
            table = self.const({m: encode_basestring(m.value) for m in tp}, "enc")
            var = self.local(expr, ind, lines)
            lines.append(f"{ind}if {var}.__class__ is not {cls}: raise _MISS")
            return f"{{{table}[{var}]}}"
        return None

    def write_tuple(self, item: Any, expr: str, ind: str) -> tuple[list[str], str] | None:
        """Statements checking the tuple ``expr`` of ``item`` values and its f-string piece."""
        lines: list[str] = []
        var = self.local(expr, ind, lines)
        lines.append(f"{ind}if {var}.__class__ is not _tuple: raise _MISS")
        if item is str:
            return lines, f'[{{",".join(_map(_esc, {var}))}}]'
        if attrs.has(item) and item not in self.classes and item not in self.hooked:
            # the item's code inline in the loop
            each, parts = self.name("_e"), self.name("_p")
            written = self.write_body(item, each, ind + "    ")
            if written is not None:
                body, piece = written
                lines += [
                    f"{ind}{parts} = []",
                    f"{ind}for {each} in {var}:",
                    *body,
                    f"{ind}    {parts}.append(f'{piece}')",
                ]
                return lines, f'[{{",".join({parts})}}]'
        fn = self.item_function(item)
        if fn is None:
            return None
        return lines, f'[{{",".join([{fn}(_e) for _e in {var}])}}]'

    def write_class(self, cls: type) -> str | None:
        """The name of the generated writer function of ``cls`` (``None``: unsupported)."""
        if cls in self.hooked or cls in self.active:
            return None
        if cls in self.classes:
            return self.classes[cls]
        self.classes[cls] = None  # a class that refers to itself is not supported
        fn = self.name(f"_write_{cls.__name__}_")
        written = self.write_body(cls, "_o", "    ")
        if written is None:
            return None
        body, piece = written
        self.sources.append("\n".join([f"def {fn}(_o):", *body, f"    return f'{piece}'"]))
        self.classes[cls] = fn
        return fn

    def write_body(self, cls: type, obj: str, ind: str) -> tuple[list[str], str] | None:
        """Statements checking ``obj`` (exactly ``cls``) and the f-string piece of its text."""
        if cls in self.active:  # a class that refers to itself is not supported
            return None
        self.active.add(cls)
        try:
            return self._write_body(cls, obj, ind)
        finally:
            self.active.discard(cls)

    def _write_body(self, cls: type, obj: str, ind: str) -> tuple[list[str], str] | None:
        fields = _fields(cls)
        if fields is None:
            return None
        klass = self.const(cls, "cls")
        lines = [f"{ind}if {obj}.__class__ is not {klass}: raise _MISS"]
        parts = []
        skipped = self.exclude if cls is self.top else frozenset()
        for field, tp in sorted(fields, key=lambda f: f[0].name):
            if field.name in skipped:
                continue
            written = self.write(tp, f"{obj}.{field.name}", ind)
            if written is None:
                return None
            body, piece = written
            lines.extend(body)
            parts.append(f'"{field.name}":{piece}')
        return lines, f"{{{{{','.join(parts)}}}}}"

    # -- readers ------------------------------------------------------------------
    def read(self, tp: Any, var: str, ind: str) -> list[str] | None:
        """Statements replacing ``var`` (parsed JSON) by its structured value of type ``tp``."""
        if tp in self.own_hooks:
            return None
        if tp in self.by_text:
            # what the converter's hook calls, on whatever the JSON holds
            parse = self.const(self.by_text[tp], "parse")
            return [f"{ind}{var} = {parse}({var})"]
        members = _frozenset_arg(tp)
        if members is not None and _str_enum(members):
            table = self.const(dict(members._value2member_map_), "members")
            return [
                f"{ind}if {var}.__class__ is not _list: raise _MISS",
                f"{ind}{var} = _frozenset([{table}[_e] for _e in {var}])",
            ]
        if tp is str or tp is int or tp is bool:
            check = {str: "_str", int: "_int", bool: "_bool"}[tp]
            return [f"{ind}if {var}.__class__ is not {check}: raise _MISS"]
        if tp is datetime:
            # fromisoformat raises TypeError on anything but a str
            return [
                f"{ind}{var} = _fromiso({var})",
                f"{ind}if {var}.tzinfo is not _UTC: raise _MISS",
            ]
        if tp is date:
            return [
                f"{ind}if {var}.__class__ is not _str: raise _MISS",
                f"{ind}{var} = _date_fromiso({var})",
            ]
        if _str_enum(tp):
            # parsed JSON that is not a str never equals a str value: KeyError or TypeError
            table = self.const(dict(tp._value2member_map_), "members")
            return [f"{ind}{var} = {table}[{var}]"]
        inner = _optional_arg(tp)
        if inner is not None:
            body = self.read(inner, var, ind + "    ")
            if body is None:
                return None
            return [f"{ind}if {var} is not None:", *body]
        item = _tuple_arg(tp)
        if item is not None:
            return self.read_tuple(item, var, ind)
        if attrs.has(tp):
            fn = self.read_class(tp)
            return None if fn is None else [f"{ind}{var} = {fn}({var})"]
        return None

    def read_tuple(self, item: Any, var: str, ind: str) -> list[str] | None:
        """Statements replacing ``var`` (a JSON array) by the tuple of its ``item`` values."""
        if item is str or item is int:
            check = "_str" if item is str else "_int"
            return [
                f"{ind}if {var}.__class__ is not _list: raise _MISS",
                f"{ind}for _e in {var}:",
                f"{ind}    if _e.__class__ is not {check}: raise _MISS",
                f"{ind}{var} = _tuple({var})",
            ]
        head = [f"{ind}if {var}.__class__ is not _list: raise _MISS"]
        if attrs.has(item) and item not in self.classes and item not in self.hooked:
            # the item's code inline in the loop
            each, built = self.name("_e"), self.name("_b")
            body = self.read_body(item, each, each, ind + "    ")
            if body is not None:
                return [
                    *head,
                    f"{ind}{built} = []",
                    f"{ind}for {each} in {var}:",
                    *body,
                    f"{ind}    {built}.append({each})",
                    f"{ind}{var} = _tuple({built})",
                ]
        fn = self.item_function(item)
        if fn is None:
            return None
        return [*head, f"{ind}{var} = _tuple([{fn}(_e) for _e in {var}])"]

    def read_class(self, cls: type) -> str | None:
        """The name of the generated reader function of ``cls`` (``None``: unsupported)."""
        if cls in self.hooked:
            return None
        if cls in self.classes:
            return self.classes[cls]
        self.classes[cls] = None
        fn = self.name(f"_read_{cls.__name__}_")
        body = self.read_body(cls, "_o", "_r", "    ")
        if body is None:
            return None
        self.sources.append("\n".join([f"def {fn}(_o):", *body, "    return _r"]))
        self.classes[cls] = fn
        return fn

    def read_body(self, cls: type, raw: str, out: str, ind: str) -> list[str] | None:
        """Statements setting ``out`` to the instance of ``cls`` built from ``raw``."""
        if cls in self.hooked or cls in self.active:  # no self-referring class
            return None
        self.active.add(cls)
        try:
            return self._read_body(cls, raw, out, ind)
        finally:
            self.active.discard(cls)

    def _read_body(self, cls: type, raw: str, out: str, ind: str) -> list[str] | None:
        fields = _fields(cls)
        if fields is None:
            return None
        klass = self.const(cls, "cls")
        skipped = self.exclude if cls is self.top else frozenset()
        names: list[str] = []
        read: list[tuple[str, str, Any]] = []
        for field, tp in fields:
            if field.name not in skipped:
                names.append(self.name("_v"))
                read.append((names[-1], field.name, tp))
            elif field.converter is None and type(field.default) in (int, str, bool, type(None)):
                names.append(self.const(field.default, f"default_{field.name}_"))  # not in text
            else:
                return None
        # one C call takes every item; a non-dict or a missing key raises
        # (itemgetter of one key gives the item itself, of several a tuple)
        if read:
            keys = self.const(operator.itemgetter(*(name for _, name, _ in read)), "items")
            lines = [f"{ind}{', '.join(var for var, _, _ in read)} = {keys}({raw})"]
        else:
            lines = [f"{ind}{raw}.keys()"]  # a non-dict raises
        # a text that holds a left-out field after all is not of the shape expected
        lines += [f"{ind}if {name!r} in {raw}: raise _MISS" for name in sorted(skipped)]
        # the leading checks of every field first, in one condition (each reads
        # only its own field's value, which no other field's statements touch)
        checks: list[str] = []
        others: list[str] = []
        for var, _, tp in read:
            body = self.read(tp, var, ind)
            if body is None:
                return None
            lead = 0
            while lead < len(body) and (condition := _check_condition(body[lead], ind)):
                checks.append(condition)
                lead += 1
            others.extend(body[lead:])
        if checks:
            lines.append(f"{ind}if {' or '.join(checks)}: raise _MISS")
        lines.extend(others)
        if _slot_setters(cls, fields):
            lines.extend(self.fill(cls, klass, fields, names, out, ind))
        else:
            args = [
                f"{field.name}={var}" if field.kw_only else var
                for var, (field, _) in zip(names, fields, strict=True)
            ]
            lines.append(f"{ind}{out} = {klass}({', '.join(args)})")
        return lines

    def fill(
        self,
        cls: type,
        klass: str,
        fields: list[tuple[attrs.Attribute[Any], Any]],
        names: list[str],
        out: str,
        ind: str,
    ) -> list[str]:
        """Statements setting ``out`` to an instance of ``cls`` whose slots hold ``names``.

        Every converter runs first (one that raises leaves nothing built); then
        an instance of the class's filler (:func:`_filler`) takes plain stores
        and is given the class, or, without a filler, each slot is set through
        its descriptor.
        """
        lines: list[str] = []
        values = []
        for var, (field, tp) in zip(names, fields, strict=True):
            convert = field.converter
            if convert is not None and not self.converter_as_is(convert, tp):
                lines.append(f"{ind}{var} = {self.const(convert, 'conv')}({var})")
            values.append(var)
        filler = _filler(cls)
        if filler is None:
            lines.append(f"{ind}{out} = _new({klass})")
            for value, (field, _) in zip(values, fields, strict=True):
                setter = self.const(getattr(cls, field.name).__set__, f"set_{field.name}_")
                lines.append(f"{ind}{setter}({out}, {value})")
            return lines
        lines.append(f"{ind}{out} = _new({self.const(filler, 'fill')})")
        lines += [f"{ind}{out}.{f.name} = {v}" for v, (f, _) in zip(values, fields, strict=True)]
        lines.append(f"{ind}{out}.__class__ = {klass}")
        return lines

    @staticmethod
    def converter_as_is(convert: Any, tp: Any) -> bool:
        """Whether ``convert`` returns unchanged every value a reader gives for ``tp``."""
        if isinstance(convert, _ATTRS_CONVERTER):
            raise Miss  # takes self or the field: built by calling the class instead
        kinds = _produced_kinds(tp)
        if kinds is None:
            return False
        if convert is tp and _str_enum(tp):  # Enum(member) is member
            return True
        return kinds <= as_is_kinds(convert)

    # -- shared -------------------------------------------------------------------
    def item_function(self, tp: Any) -> str | None:
        """A one-argument function for the items of a tuple."""
        if attrs.has(tp):
            return self.write_class(tp) if self.kind == "writer" else self.read_class(tp)
        fn = self.name("_item")
        if self.kind == "writer":
            written = self.write(tp, "_v", "    ")
            if written is None:
                return None
            body = [*written[0], f"    return f'{written[1]}'"]
        else:
            read = self.read(tp, "_v", "    ")
            if read is None:
                return None
            body = [*read, "    return _v"]
        self.sources.append("\n".join([f"def {fn}(_v):", *body]))
        return fn


def writer(
    cls: type,
    own_hooks: frozenset[Any] = frozenset(),
    exclude: frozenset[str] = frozenset(),
    by_text: typing.Mapping[type, Callable[[Any], Any]] | None = None,
) -> Writer | None:
    """A function giving the canonical JSON text of an instance of exactly ``cls``, or ``None``.

    ``own_hooks``: classes the
    converter serializes with hooks of its own (no code is generated for them, nor
    for a class with a field of one). ``exclude``: names of ``cls``'s own fields
    left out of the text (not of the classes of its fields). ``by_text``: classes
    the converter writes as ``str(value)`` and reads with the function given.
    """
    builder = _Builder("writer", own_hooks, by_text)
    builder.top, builder.exclude = cls, exclude
    fn: Writer | None = _generate(builder, cls, builder.write_class)
    return fn


def reader(
    cls: type,
    own_hooks: frozenset[Any] = frozenset(),
    by_text: typing.Mapping[type, Callable[[Any], Any]] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> Reader | None:
    """A function building ``cls`` from parsed JSON of the exact expected shape, or ``None``.

    ``own_hooks``, ``by_text``: as for :func:`writer`. ``exclude``: ``cls``'s own
    fields a writer's ``exclude`` left out; each takes its default, which must be a
    plain value without a converter (else there is no reader).
    """
    builder = _Builder("reader", own_hooks, by_text)
    builder.top, builder.exclude = cls, exclude
    fn: Reader | None = _generate(builder, cls, builder.read_class)
    return fn


def _generate(builder: _Builder, cls: type, function_of: Callable[[type], str | None]) -> Any:
    """The compiled function ``function_of(cls)`` names, or ``None`` for an unsupported class."""
    try:
        name = function_of(cls)
        return None if name is None else builder.compile(cls)[name]
    except _UNSUPPORTED:
        return None
