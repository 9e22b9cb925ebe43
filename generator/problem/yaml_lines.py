"""Read YAML safely and remember the line of every field, for error messages."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (the wheels are): the same safe constructor as
# yaml.safe_load (plain data only, no Python objects), parsing some ten times faster
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Parse safely (yaml.safe_load's constructor); return the data and a map from field path to
    1-based line. The text is parsed once: the data is constructed from the same node tree whose
    marks give the lines."""
    try:
        data, root = _parse(text, SafeLoader)
    except yaml.YAMLError:
        if SafeLoader is yaml.SafeLoader:
            raise
        data, root = _parse(text, yaml.SafeLoader)  # raises again, with PyYAML's own wording
    lines: dict[str, int] = {}
    if root is not None:
        _walk(root, "", lines)
    return data, lines


def _parse(text: str, loader_class: type) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: str, lines: dict[str, int], seen: set[int] | None = None) -> None:
    # an anchor's node is shared by all its aliases: walk it once (a self-referencing alias,
    # `&a [*a]`, would recurse forever, and nested aliases would cost exponential time)
    seen = set() if seen is None else seen
    lines[path] = node.start_mark.line + 1
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            _walk(value, child, lines, seen)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, seen)


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest enclosing field."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return lines.get("")
