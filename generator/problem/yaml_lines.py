"""Read YAML safely and remember the line of every field, for error messages.

Before libyaml builds anything, one pass over the parser's events checks the limits below,
and stops at the first one exceeded: nested collections (libyaml composes them recursively and
crashes past some ten thousand levels) and the size of the document once its aliases are
expanded (a few `*alias` lines can stand for millions of numbers). Then the text is composed,
every mapping is checked for a key written twice, and the data is constructed from the same
node tree whose marks give the lines.

Numbers keep the text they were written as (``Written``): a question number ``3.10`` is
"3.10", not 3.1, and ``1.0e-400`` is read exactly instead of as the float 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

# libyaml's parser when PyYAML was built with it (the wheels are): the same safe constructor as
# yaml.safe_load (plain data only, no Python objects), parsing some ten times faster
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 40  # nested collections; a problem file needs fewer than ten
MAX_NODES = 500_000  # values in the document with every alias expanded
MAX_INT_DIGITS = 400  # 10^400 is far beyond float64 already (and Python refuses 4300 digits)


@dataclass(frozen=True)
class YamlIssue:
    """One mistake found while reading the YAML itself (``field`` may be empty)."""

    line: int | None
    field: str
    message: str


class YamlIssues(yaml.YAMLError):
    """The text cannot be read as the problem file's YAML; ``issues`` says where and why."""

    def __init__(self, issues: list[YamlIssue]):
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


class WrittenInt(int):
    """An integer with the text it was written as (``written``)."""

    written: str


class WrittenFloat(float):
    """A float with the text it was written as (``written``), e.g. '3.10' or '1.0e-400'."""

    written: str


def _construct_int(loader: SafeConstructor, node: yaml.ScalarNode) -> int:
    digits = sum(ch.isdigit() for ch in node.value)
    if digits > MAX_INT_DIGITS:
        raise ConstructorError(None, None, f"an integer of {digits} digits; at most {MAX_INT_DIGITS} "
                                           "digits are read", node.start_mark)
    value = WrittenInt(SafeConstructor.construct_yaml_int(loader, node))
    value.written = node.value
    return value


def _construct_float(loader: SafeConstructor, node: yaml.ScalarNode) -> float:
    value = WrittenFloat(SafeConstructor.construct_yaml_float(loader, node))
    value.written = node.value
    return value


def _construct_text(loader: SafeConstructor, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)  # a date stays the text it was written as


def _loader_class(base: type) -> type:
    loader = type(f"Written{base.__name__}", (base,), {})
    loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)
    return loader


FastLoader = _loader_class(SafeLoader)
PureLoader = _loader_class(yaml.SafeLoader)


def load_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Parse safely (yaml.safe_load's constructor); return the data and a map from field path to
    1-based line. Raises YamlIssues for a limit exceeded or a key written twice, and
    yaml.YAMLError for text that is not YAML."""
    check_limits(text)
    try:
        return _parse(text, FastLoader)
    except yaml.YAMLError:
        if FastLoader is PureLoader:
            raise
        return _parse(text, PureLoader)  # raises again, with PyYAML's own wording


def check_limits(text: str) -> None:
    """Walk the parser's events once, stopping at the first limit exceeded (cheap: the events
    are produced lazily, so a file nested 100,000 deep costs MAX_DEPTH events)."""
    open_at: list[int] = []  # for each open collection: the count when it opened
    anchors: dict[str, int] = {}  # anchor -> values under it, aliases expanded
    anchored: list[tuple[str, int]] = []  # (anchor, count at its start) of open anchored collections
    count = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                count += anchors.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                count += 1
                if event.anchor:
                    anchors[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                count += 1
                open_at.append(count)
                anchored.append((event.anchor, count) if event.anchor else ("", 0))
                if len(open_at) > MAX_DEPTH:
                    raise YamlIssues([YamlIssue(event.start_mark.line + 1, "",
                                                f"collections nested more than {MAX_DEPTH} deep; "
                                                f"a problem file needs a few levels")])
            elif isinstance(event, yaml.CollectionEndEvent):
                open_at.pop()
                anchor, start = anchored.pop()
                if anchor:
                    anchors[anchor] = count - start + 1
            else:
                continue
            if count > MAX_NODES:
                raise YamlIssues([YamlIssue(event.start_mark.line + 1, "",
                                            f"more than {MAX_NODES:,} values once aliases are expanded"
                                            + (" (here, an alias)" if isinstance(event, yaml.AliasEvent) else "")
                                            + f"; at most {MAX_NODES:,} are allowed")])
    except YamlIssues:
        raise
    except yaml.YAMLError:
        return  # not YAML: the parse below reports it, with PyYAML's wording


def _parse(text: str, loader_class: type) -> tuple[Any, dict[str, int]]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        lines: dict[str, int] = {}
        spots: dict[tuple[int, int], str] = {}  # (line, column) where each value starts -> its field
        issues: list[YamlIssue] = []
        _walk(root, "", lines, issues, spots)
        if issues:
            raise YamlIssues(issues)
        try:
            return loader.construct_document(root), lines
        except ConstructorError as err:
            mark = err.problem_mark
            line = mark.line + 1 if mark else None
            field = spots.get((mark.line, mark.column), "") if mark else ""
            raise YamlIssues([YamlIssue(line, field, err.problem or str(err))]) from None
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: str, lines: dict[str, int], issues: list[YamlIssue],
          spots: dict[tuple[int, int], str], seen: set[int] | None = None) -> None:
    # an anchor's node is shared by all its aliases: walk it once (a self-referencing alias,
    # `&a [*a]`, would recurse forever, and nested aliases would cost exponential time)
    seen = set() if seen is None else seen
    lines[path] = node.start_mark.line + 1
    if id(node) in seen:
        return
    seen.add(id(node))
    spots[node.start_mark.line, node.start_mark.column] = path
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                if key.value in first:
                    issues.append(YamlIssue(line, child, f"key {key.value!r} written twice, on lines "
                                                         f"{first[key.value]} and {line}; keep one"))
                first.setdefault(key.value, line)
            _walk(value, child, lines, issues, spots, seen)
            lines[child] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, issues, spots, seen)


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest enclosing field."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return lines.get("")
