"""YAML parsing that remembers where every key is, so errors can say ``path:line``, and that
refuses the inputs that would hang or crash what reads the data.

PyYAML's plain ``safe_load`` forgets positions; here we compose the node tree once,
record the 1-based line of each key path (``series[0].slug``) and construct values from
the same tree, so a well-formed value of the wrong kind is still reported at its line.

Config, front matter and state files are written by people and merges, so before anything is
constructed the tree is checked (:func:`_check_tree`) against limits, each problem at its line:

* aliases may share a value but not multiply it: the tree counted with every alias expanded
  must stay under :data:`MAX_NODES` (nine anchors of nine references are 9**9 values), and an
  alias may not refer to the value it is inside (``tags: &a [*a]``);
* nesting is at most :data:`MAX_DEPTH` levels;
* a key appears once per mapping (a merge conflict must not change a title silently) and is
  text (``12: x`` or ``yes: x`` is read by YAML as a number or a boolean);
* numbers have at most :data:`MAX_INT_DIGITS` digits (Python refuses to parse 4,300);
* text holds no control characters (they break email headers and make feeds invalid XML).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from publisher.errors import Location, Problem, PublisherError

MAX_NODES = 100_000  # values in one document, counted with aliases expanded
MAX_DEPTH = 50  # nesting levels of mappings and lists
MAX_INT_DIGITS = 40  # a longer whole number is a typo, not a count or an id

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
_TAG_KINDS = {"tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
              "tag:yaml.org,2002:bool": "true/false", "tag:yaml.org,2002:null": "empty (null)",
              "tag:yaml.org,2002:timestamp": "a date"}


class LineMap(dict):
    """Maps a key path (``site.title``, ``series[1].slug``) to its 1-based line."""

    def line(self, key_path: str, default: int | None = None) -> int | None:
        """Line of ``key_path`` or of its nearest recorded parent."""
        path = str(key_path)
        while path:
            if path in self:
                return self[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return default


def control_character(text: str, allowed: str = "\t\n") -> str | None:
    """The first control character in ``text`` as ``U+000D``, or None (``allowed`` pass)."""
    for char in text:
        if char not in allowed and unicodedata.category(char) == "Cc":
            return f"U+{ord(char):04X}"
    return None


def _has_control(text: str) -> bool:
    # fast path: most values are short printable text
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text) and \
        control_character(text) is not None


def _check_tree(root: yaml.Node, offset: int, path: Path | str, text: str) -> list[Problem]:
    """Problems of the composed tree (see the module docstring); [] when it may be used.

    The source ``text`` says which checks can find anything: without an ``&`` there are no
    aliases, without a backslash (an escape) no control characters, without a long run of
    digits no long numbers. Ordinary files then cost one walk of their keys.
    """
    problems: list[Problem] = []

    def at(node: yaml.Node, message: str) -> None:
        problems.append(Problem(Location(path, node.start_mark.line + 1 + offset), message))

    if "&" in text and not _check_aliases(root, at):
        return problems
    scalars = "\\" in text or _LONG_NUMBER.search(text) is not None
    _check_nodes(root, at, offset, scalars)
    return sorted(problems, key=lambda p: p.location.line or 0)


def _check_aliases(root: yaml.Node, at) -> bool:  # type: ignore[no-untyped-def]
    """Expanded size and depth of every distinct node, post-order and iterative (no recursion
    on hostile depth); a node met again while still open is an alias inside itself."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size.get(id(c), 1) for c in children)
            depth[key] = 1 + max((depth.get(id(c), 0) for c in children), default=0)
            if size[key] > MAX_NODES:
                at(node, f"too many values: more than {MAX_NODES:,} once aliases are expanded "
                         "(an alias bomb?); write the values out or use fewer aliases")
                return False
            if depth[key] > MAX_DEPTH:
                at(node, f"nested more than {MAX_DEPTH} levels deep")
                return False
            continue
        if key in size:
            continue
        if key in open_nodes:
            at(node, "an alias refers to the value it is part of (a recursive alias); "
                     "write the value out")
            return False
        if isinstance(node, yaml.ScalarNode):
            size[key], depth[key] = 1, 0
            continue
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return True


_LONG_NUMBER = re.compile(rf"[0-9a-fA-F_:]{{{MAX_INT_DIGITS + 1}}}")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_scalar(node: yaml.ScalarNode, at) -> None:  # type: ignore[no-untyped-def]
    value = node.value
    if node.tag == _INT and len(value.replace("_", "")) > MAX_INT_DIGITS:
        # decimal, hex or base-60 alike: Python cannot even print one of 4,300 digits
        at(node, f"number too long ({len(value):,} characters; at most {MAX_INT_DIGITS} "
                 "digits)")
    elif _has_control(value):
        at(node, f"control character {control_character(value)} in a value (remove it: it "
                 "breaks email headers and feeds)")


def _check_nodes(root: yaml.Node, at, offset: int,  # type: ignore[no-untyped-def]
                 scalars: bool) -> None:
    """Depth; every mapping key is text and appears once; scalars when ``scalars`` (each
    distinct node checked once)."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, level = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if scalars:
                _check_scalar(node, at)
            continue
        if level >= MAX_DEPTH:
            at(node, f"nested more than {MAX_DEPTH} levels deep")
            return
        stack.extend((child, level + 1) for child in _children(node))
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict[str, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                at(key_node, "a key must be a name, not a list or mapping")
                continue
            if key_node.tag != _STR:
                kind = _TAG_KINDS.get(key_node.tag, "not text")
                at(key_node, f"key {key_node.value!r} is read by YAML as {kind}; keys are "
                             "names (put it in quotes if it is meant)")
                continue
            line = key_node.start_mark.line + 1 + offset
            if key_node.value in first:
                at(key_node, f"duplicate key '{key_node.value}' (also at line "
                             f"{first[key_node.value]}); keep one of them")
            else:
                first[key_node.value] = line


def _walk(node: yaml.Node, prefix: str, offset: int, lines: LineMap) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            path = f"{prefix}.{key}" if prefix else key
            lines.setdefault(path, key_node.start_mark.line + 1 + offset)
            _walk(value_node, path, offset, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}[{index}]"
            lines.setdefault(path, item.start_mark.line + 1 + offset)
            _walk(item, path, offset, lines)


def parse_yaml(text: str, path: Path | str, *, line_offset: int = 0,
               error: type[PublisherError] = PublisherError) -> tuple[Any, LineMap]:
    """Parse one YAML document; return (data, line map). Raise ``error`` at ``path:line``.

    ``line_offset`` is added to every line: front matter starts after the opening ``---``.
    """
    fast_error: yaml.MarkedYAMLError | None = None
    if _FAST_LOADER is not None:
        try:
            return _load(_FAST_LOADER, text, line_offset, path, error)
        except yaml.MarkedYAMLError as exc:
            fast_error = exc  # parse again below: the pure-Python parser words errors better
        except yaml.YAMLError:
            pass
    try:
        return _load(_SafeLoader, text, line_offset, path, error)
    except RecursionError:  # the pure-Python composer recurses; libyaml stops at 1,000
        mark = fast_error.problem_mark if fast_error is not None else None
        raise error.at(path, mark.line + 1 + line_offset if mark else None,
                       f"invalid YAML: nested more than {MAX_DEPTH} levels deep") from None
    except _BadValue as exc:
        mark = exc.problem_mark
        raise error.at(path, mark.line + 1 + line_offset if mark else None,
                       str(exc.problem)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            started = exc.context_mark
            if started is not None and mark is not None and started.line != mark.line:
                # "while parsing a flow sequence" is more use with where that sequence began
                what = f"{exc.problem} ({exc.context} at line {started.line + 1 + line_offset})"
            else:
                what = f"{exc.problem} ({exc.context})"
        raise error.at(path, line, f"invalid YAML: {what}") from None
    except yaml.YAMLError as exc:  # reader errors (bad characters) have no problem_mark
        raise error.at(path, None, f"invalid YAML: {exc}") from None


class _BadValue(yaml.constructor.ConstructorError):
    """A well-formed scalar whose value is impossible (``2020-13-15``), with its position."""


def _timestamp(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:  # PyYAML lets datetime's ValueError escape without a position
        raise _BadValue(None, None, f"not a real date: {node.value} ({exc})",
                        node.start_mark) from None


class _SafeLoader(yaml.SafeLoader):
    pass


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_FAST_LOADER: type | None = None
if hasattr(yaml, "CSafeLoader"):
    # libyaml's parser is ~5x faster on valid files and gives the same node tree with the
    # same marks; it is tried first, errors are reported by the pure-Python one
    class _CSafeLoader(yaml.CSafeLoader):  # type: ignore[name-defined, misc]
        pass

    _CSafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _FAST_LOADER = _CSafeLoader


def _load(loader_class: type, text: str, line_offset: int, path: Path | str,
          error: type[PublisherError]) -> tuple[Any, LineMap]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineMap()
        problems = _check_tree(node, line_offset, path, text)
        if problems:
            raise error(problems=problems)
        lines = LineMap()
        _walk(node, "", line_offset, lines)
        return loader.construct_document(node), lines
    finally:
        loader.dispose()
