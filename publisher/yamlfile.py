"""YAML parsing that remembers where every key is, so errors can say ``path:line``.

PyYAML's plain ``safe_load`` forgets positions; here we compose the node tree once,
record the 1-based line of each key path (``series[0].slug``) and construct values from
the same tree, so a well-formed value of the wrong kind is still reported at its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from publisher.errors import PublisherError


class LineMap(dict):
    """Maps a key path (``site.title``, ``series[1].slug``) to its 1-based line."""

    def line(self, key_path: str, default: int | None = None) -> int | None:
        """Line of ``key_path`` or of its nearest recorded parent."""
        path = key_path
        while path:
            if path in self:
                return self[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return default


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
    if _FAST_LOADER is not None:
        try:
            return _load(_FAST_LOADER, text, line_offset)
        except yaml.YAMLError:
            pass  # parse again below: the pure-Python parser words its errors more clearly
    try:
        return _load(_SafeLoader, text, line_offset)
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


def _load(loader_class: type, text: str, line_offset: int) -> tuple[Any, LineMap]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineMap()
        lines = LineMap()
        _walk(node, "", line_offset, lines)
        return loader.construct_document(node), lines
    finally:
        loader.dispose()
