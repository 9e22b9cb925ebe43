"""`python -m generator new NAME --handout ID`: a new problem file from the template, listed in
problems/handouts.yml.

handouts.yml is edited as text, minimally (one line added or one value extended), so its
comments and layout survive; the edit is checked by parsing the result, which must equal the
old data with NAME appended to the handout's problems. Files are written by generator/output.py.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import GeneratorError
from .output import write_atomic
from .problem.load import HANDOUTS_FILE, SLUG

TEMPLATE = "problem.yml"


def template_text() -> str:
    """The problem template shipped with the package (generator/templates/problem.yml)."""
    return (resources.files("generator") / "templates" / TEMPLATE).read_text(encoding="utf-8")


def default_title(name: str) -> str:
    """'002-small-tanh-network' -> 'Small tanh network'."""
    words = name.split("-")
    if len(words) > 1 and words[0].isdigit():  # the handout prefix, e.g. 002-
        words = words[1:]
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def render_template(title: str, handout: str) -> str:
    # JSON strings are valid YAML double-quoted scalars: any title is quoted safely
    return (template_text().replace("__TITLE__", json.dumps(title, ensure_ascii=False))
            .replace("__HANDOUT__", json.dumps(handout)))


def _node(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _line_end(text: str, index: int) -> int:
    """Index just after the newline ending the line that holds ``index``."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def add_to_handout(text: str, handout_id: str, name: str) -> str:
    """handouts.yml's text with ``name`` appended to handout ``handout_id``'s problems."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise GeneratorError(f"problems/{HANDOUTS_FILE} is not valid YAML ({err}); fix it first") from None
    entries = data.get("handouts") if isinstance(data, dict) else None
    pair = _node(root, "handouts") if isinstance(root, yaml.MappingNode) else None
    if not isinstance(entries, list) or pair is None or not isinstance(pair[1], yaml.SequenceNode):
        raise GeneratorError(f"problems/{HANDOUTS_FILE}: expected a list under 'handouts'; fix it first")
    ids = [str(e.get("id")) for e in entries if isinstance(e, dict)]
    for e in entries:
        listed = e.get("problems") if isinstance(e, dict) else None
        if isinstance(listed, list) and name in listed:
            raise GeneratorError(f"{name!r} is already listed under handout {str(e.get('id'))!r} "
                                 f"in problems/{HANDOUTS_FILE}")
    matches = [i for i, e in enumerate(entries) if isinstance(e, dict) and str(e.get("id")) == handout_id]
    if not matches:
        raise GeneratorError(f"unknown handout id {handout_id!r}; expected one of "
                             f"{', '.join(ids) or '(none)'} (the ids in problems/{HANDOUTS_FILE})")
    if len(matches) > 1:
        raise GeneratorError(f"handout id {handout_id!r} appears {len(matches)} times in "
                             f"problems/{HANDOUTS_FILE}; fix it first")
    entry_node = pair[1].value[matches[0]]
    if not isinstance(entry_node, yaml.MappingNode):
        raise GeneratorError(f"problems/{HANDOUTS_FILE}: handout {handout_id!r} is not a mapping; fix it first")
    found = _node(entry_node, "problems")
    if found is None:
        # no problems key: add one after the entry's last line, at the entry's key indent
        indent = " " * entry_node.value[0][0].start_mark.column
        at = _line_end(text, entry_node.value[-1][1].end_mark.index - 1)
        new = text[:at] + ("" if text[:at].endswith("\n") else "\n") + f"{indent}problems:\n{indent}  - {name}\n" + text[at:]
    else:
        key, value = found
        if isinstance(value, yaml.SequenceNode) and value.flow_style:
            start, end = value.start_mark.index, value.end_mark.index
            if value.value:  # [a, b] -> [a, b, name]
                close = text.rindex("]", start, end)
                new = text[:close] + f", {name}" + text[close:]
            else:  # [] -> a block list with one item
                indent = " " * key.start_mark.column
                new = text[:start].rstrip(" ") + f"\n{indent}  - {name}" + text[end:]
        elif isinstance(value, yaml.SequenceNode) and value.value:
            # a block list: a new item line after the last item, at the items' indent
            last = value.value[-1]
            line_start = text.rfind("\n", 0, last.start_mark.index) + 1
            dash = text[line_start:last.start_mark.index]
            indent = dash[: len(dash) - len(dash.lstrip(" "))]
            at = _line_end(text, max(last.end_mark.index - 1, last.start_mark.index))
            new = text[:at] + ("" if text[:at].endswith("\n") else "\n") + f"{indent}- {name}\n" + text[at:]
        elif isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null":
            # `problems:` with nothing after it
            indent = " " * key.start_mark.column
            at = _line_end(text, key.start_mark.index)
            line = text[key.start_mark.index:at].rstrip("\n")
            new = text[:key.start_mark.index] + line + f"\n{indent}  - {name}\n" + text[at:]
        else:
            raise GeneratorError(f"problems/{HANDOUTS_FILE}: handout {handout_id!r} has 'problems' that "
                                 f"is not a list; fix it first")
    _check_edit(data, new, matches[0], name)
    return new


def _check_edit(before: Any, text: str, index: int, name: str) -> None:
    """The edited text must parse to the old data with ``name`` appended, and nothing else."""
    expected = json.loads(json.dumps(before))  # a deep copy
    problems = expected["handouts"][index].get("problems") or []
    expected["handouts"][index]["problems"] = list(problems) + [name]
    try:
        after = yaml.safe_load(text)
    except yaml.YAMLError:
        after = None
    if after != expected:
        raise GeneratorError(f"could not add {name!r} to problems/{HANDOUTS_FILE} safely; "
                             f"add it by hand under the handout's problems:")


def new_problem(root: Path, name: str, handout_id: str, title: str | None = None) -> tuple[Path, Path]:
    """Create problems/NAME.yml and list it; return (problem file, handouts.yml)."""
    problems = root / "problems"
    index = problems / HANDOUTS_FILE
    if not SLUG.match(name) or name == Path(HANDOUTS_FILE).stem:
        raise GeneratorError(f"expected NAME to be lower-case letters, digits and - "
                             f"(e.g. 002-small-tanh-network); got {name!r}")
    target = problems / f"{name}.yml"
    if target.exists():
        raise GeneratorError(f"problems/{name}.yml already exists; choose another NAME or edit that file")
    if not index.is_file():
        raise GeneratorError(f"problems/{HANDOUTS_FILE} not found under {root}; is --root the project folder?")
    try:
        old = index.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GeneratorError(f"cannot read problems/{HANDOUTS_FILE}: {err}") from None
    new = add_to_handout(old, handout_id, name)
    text = render_template(title if title is not None else default_title(name), handout_id)
    write_atomic(target, text.encode("utf-8"))
    try:
        write_atomic(index, new.encode("utf-8"))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, index
