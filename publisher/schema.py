"""Build frozen settings dataclasses from parsed YAML, collecting every problem at once.

A settings class is an ordinary ``@dataclass(frozen=True)``; its field types are the schema
(``str``, ``int``, ``float``, ``bool``, ``Literal[...]``, ``X | None``, ``tuple[X, ...]``,
``dict[str, X]`` and nested settings classes) and ``field(metadata={"doc": ..., "check": f})``
adds documentation and a value check (``f(value) -> error message | None``).
Unknown keys are errors with a close-match hint, and a present-but-wrong value is an error,
never silently replaced by the default.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal
from collections.abc import Callable

from publisher.errors import Location, Problem
from publisher.yamlfile import LineMap

Check = Callable[[Any], "str | None"]

_KIND_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def doc(text: str, check: Check | None = None, *, multiline: bool = False) -> dict:
    """Field metadata: documentation (shown by ``publisher check --keys``), a value check,
    and whether text may span lines (else it must be one line: most settings end up in an
    email header, a page title or a feed, where a line break is an injection or a crash)."""
    return {"doc": text, "check": check, "multiline": multiline}


def describe(tp: Any) -> str:
    """A person's name for a type, used in 'expected ...' messages."""
    origin = typing.get_origin(tp)
    if tp in _KIND_NAMES:
        return _KIND_NAMES[tp]
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "a list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a mapping"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(tp) if a is not type(None))
    return getattr(tp, "__name__", str(tp))


class Builder:
    """Turns plain data into settings objects, recording problems with file lines."""

    def __init__(self, path: Path | str, lines: LineMap) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, key_path: str, message: str) -> None:
        self.problems.append(Problem(Location(self.path, self.lines.line(key_path)),
                                     f"{key_path}: {message}" if key_path else message))

    def build(self, cls: type, data: Any, key_path: str = "") -> Any:
        """Build ``cls`` (a settings dataclass) from ``data``; None if it failed."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.problem(key_path, f"must be a mapping, got {type(data).__name__}")
            return None
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        values: dict[str, Any] = {}
        failed = False
        for key in data:
            if key not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else \
                    f" (allowed: {', '.join(fields)})"
                self.problem(_join(key_path, key), f"unknown key{hint}")
                failed = True
        for name, f in fields.items():
            sub_path = _join(key_path, name)
            required = f.default is dataclasses.MISSING and \
                f.default_factory is dataclasses.MISSING  # type: ignore[misc]
            if name not in data:
                if required:
                    self.problems.append(Problem(
                        Location(self.path, self.lines.line(key_path) if key_path else None),
                        f"{sub_path}: required ({describe(hints[name])})"))
                    failed = True
                elif dataclasses.is_dataclass(hints[name]):
                    # a nested section that was left out entirely: its own defaults apply
                    nested = self.build(hints[name], {}, sub_path)
                    if nested is None:
                        failed = True
                    else:
                        values[name] = nested
                continue
            ok, value = self.convert(hints[name], data[name], sub_path)
            if not ok:
                failed = True
                continue
            check = f.metadata.get("check") if f.metadata else None
            if isinstance(value, str) and "\n" in value.strip() and \
                    not (f.metadata or {}).get("multiline"):
                self.problem(sub_path, "must be one line")
                failed = True
                continue
            if check is not None and value is not None:
                message = check(value)
                if message:
                    self.problem(sub_path, message)
                    failed = True
                    continue
            values[name] = value
        if failed:
            return None
        return cls(**values)

    def convert(self, tp: Any, value: Any, key_path: str) -> tuple[bool, Any]:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = typing.get_args(tp)
            if value is None and type(None) in args:
                return True, None
            inner = [a for a in args if a is not type(None)]
            if len(inner) == 1:
                return self.convert(inner[0], value, key_path)
            for candidate in inner:  # first kind that accepts the value silently
                probe = Builder(self.path, self.lines)
                ok, converted = probe.convert(candidate, value, key_path)
                if ok:
                    return True, converted
            self.problem(key_path, f"must be {describe(tp)}, got {value!r}")
            return False, None
        if dataclasses.is_dataclass(tp):
            built = self.build(tp, value, key_path)
            return built is not None, built
        if origin is Literal:
            if value in typing.get_args(tp):
                return True, value
            self.problem(key_path, f"must be {describe(tp)}, got {value!r}")
            return False, None
        if origin in (tuple, list):
            if not isinstance(value, list):
                self.problem(key_path, f"must be a list, got {value!r}")
                return False, None
            item_tp = typing.get_args(tp)[0]
            items, ok = [], True
            for index, item in enumerate(value):
                item_ok, converted = self.convert(item_tp, item, f"{key_path}[{index}]")
                ok = ok and item_ok
                items.append(converted)
            return ok, tuple(items)
        if origin is dict:
            if not isinstance(value, dict):
                self.problem(key_path, f"must be a mapping, got {value!r}")
                return False, None
            _, value_tp = typing.get_args(tp)
            out, ok = {}, True
            for key, item in value.items():
                item_ok, converted = self.convert(value_tp, item, f"{key_path}.{key}")
                ok = ok and item_ok
                out[str(key)] = converted
            return ok, out
        if tp is bool:
            if isinstance(value, bool):
                return True, value
        elif tp is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return True, value
        elif tp is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                    math.isfinite(value):
                return True, float(value)
        elif tp is str:
            if isinstance(value, str):
                return True, value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return True, str(value)  # list ids such as 12345 are strings to the ESP
        elif tp is Any:
            return True, value
        self.problem(key_path, f"must be {describe(tp)}, got {value!r}")
        return False, None


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def documented_keys(cls: type, prefix: str = "",
                    _seen: tuple[type, ...] = ()) -> list[tuple[str, str]]:
    """Every key path of a settings class with its documentation (for README and tests)."""
    out: list[tuple[str, str]] = []
    _seen = _seen + (cls,)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        path = _join(prefix, f.name)
        tp = hints[f.name]
        out.append((path, (f.metadata or {}).get("doc", "")))
        inner = tp
        if typing.get_origin(tp) in (tuple, list):
            inner = typing.get_args(tp)[0]
            path += "[]"
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            inner = next(a for a in typing.get_args(tp) if a is not type(None))
        if dataclasses.is_dataclass(inner) and inner not in _seen:  # children: same shape
            out.extend(documented_keys(inner, path, _seen))
    return out
