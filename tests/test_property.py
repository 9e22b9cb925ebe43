"""Random damage to a real problem file never crashes the generator: loading and solving either
succeed or raise a GeneratorError (ProblemFileError / VerificationError), and every reported
issue names the file. Mutations act on the parsed YAML (delete a key, replace a value, change a
list's length, rename an activation) and on the raw text."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROBLEM_FILE
from generator.errors import GeneratorError, ProblemFileError
from generator.problem.load import load_problem
from generator.solve.solution import solve

BASE_TEXT = PROBLEM_FILE.read_text(encoding="utf-8")
BASE = yaml.safe_load(BASE_TEXT)
NAME = "mutant.yml"
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (a tuple of keys and indices) to a value inside ``data``."""
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            out.append(prefix + (key,))
            out += paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.append(prefix + (i,))
            out += paths(value, prefix + (i,))
    return out


def parent(data: Any, path: tuple) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.just(10**400), st.just(-10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.just(float("nan")), st.just(1e308),
    st.text(max_size=12), st.sampled_from(["relu", "sigmoid", "W1[1,2]", "x", "1/3", "1/0", "a[9]",
                                           "folded", "none", "separate", "update", "yhat", "", "-0"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=8)


@st.composite
def mutated_data(draw) -> dict:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        all_paths = paths(data)
        if not all_paths or not isinstance(data, dict):
            break
        path = draw(st.sampled_from(all_paths))
        holder = parent(data, path)
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "resize", "activation", "replace"]))
        if action == "delete":
            del holder[key]
        elif action == "replace":
            holder[key] = draw(values)
        elif action == "resize":
            target = holder[key]
            if isinstance(target, list):
                n = draw(st.integers(0, len(target) + 2))
                filler = draw(st.sampled_from([copy.deepcopy(target[-1]) if target else 0, 0, None, [1, 2]]))
                holder[key] = (target + [copy.deepcopy(filler) for _ in range(n)])[:n]
            else:
                holder[key] = [target] * draw(st.integers(0, 3))
        else:
            layers = data.get("network", {}).get("layers") if isinstance(data.get("network"), dict) else None
            if isinstance(layers, list) and layers and isinstance(layers[0], dict):
                i = draw(st.integers(0, len(layers) - 1))
                if isinstance(layers[i], dict):
                    layers[i]["activation"] = draw(st.one_of(
                        st.sampled_from(["identity", "relu", "sigmoid", "tanh", "softmax", "Relu", ""]),
                        st.text(max_size=8)))
    return data


@st.composite
def mutated_text(draw) -> str:
    text = BASE_TEXT
    for _ in range(draw(st.integers(1, 3))):
        lines = text.splitlines(keepends=True)
        action = draw(st.sampled_from(["delete", "insert", "replace", "dup_line", "drop_line", "swap"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif action == "insert":
            text = text[:at] + draw(st.text(alphabet=":-[]{}#&*!|>'\"%@`,? \n\t0123456789abcxyzW.", max_size=8)) + text[at:]
        elif action == "replace":
            text = text[:at] + draw(st.characters(codec="utf-8")) + text[at + 1:]
        elif lines:
            i = draw(st.integers(0, len(lines) - 1))
            if action == "dup_line":
                lines.insert(i, lines[i])
            elif action == "drop_line":
                del lines[i]
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


PROSE = ("title", "section", "intro", "handout", "text", "note", "answer")


def _without_prose(obj: Any) -> Any:
    """A validated problem with its prose blanked: prose does not change what solve() does."""
    if dataclasses.is_dataclass(obj):
        names = {f.name for f in dataclasses.fields(obj)}
        changes = {n: "" for n in PROSE if n in names and isinstance(getattr(obj, n), str)}
        if "questions" in names:
            changes["questions"] = tuple(_without_prose(q) for q in obj.questions)
        return dataclasses.replace(obj, **changes)
    return obj


_SOLVED: list[Any] = []  # problems (prose blanked) already solved without error


def _solve_once(problem: Any) -> None:
    """Solve, skipping problems equal to one already solved (text edits in prose are common)."""
    key = _without_prose(problem)
    if any(key == seen for seen in _SOLVED):
        return
    solve(problem)
    _SOLVED.append(key)
    del _SOLVED[:-20]


def load_and_solve(folder: Path, strict: bool) -> None:
    """Success or a GeneratorError; every issue of a ProblemFileError names the file."""
    path = folder / NAME
    try:
        _solve_once(load_problem(path, folder, strict=strict))
    except ProblemFileError as err:
        assert err.issues, "a ProblemFileError must list at least one issue"
        for issue in err.issues:
            assert str(issue).startswith(NAME), str(issue)
    except GeneratorError:
        pass  # VerificationError or another reported failure: fine


def _dump(data: dict) -> str:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return yaml.safe_dump(data, sort_keys=False)


@SETTINGS
@given(data=mutated_data(), strict=st.booleans())
def test_mutated_yaml_never_crashes(tmp_path, data, strict):
    (tmp_path / NAME).write_text(_dump(data), encoding="utf-8")
    load_and_solve(tmp_path, strict)


@SETTINGS
@given(text=mutated_text(), strict=st.booleans())
def test_mutated_text_never_crashes(tmp_path, text, strict):
    (tmp_path / NAME).write_bytes(text.encode("utf-8", "surrogatepass"))
    load_and_solve(tmp_path, strict)


@pytest.mark.parametrize("raw", [b"\xff\xfe not utf-8", b"", b"[]", b"- 1\n- 2\n", b"just text",
                                 b"title: x\n" * 3, b"{network: {}}", b"network: {input: {}}",
                                 b"? [a, b]\n: 1\n", b"&a [*a]", b"!!python/object:os.system x"])
def test_odd_files_are_reported_not_crashed(tmp_path, raw):
    (tmp_path / NAME).write_bytes(raw)
    load_and_solve(tmp_path, strict=True)


@pytest.mark.parametrize("raw", [".nan", ".NaN", ".inf", "-.inf", "'nan'", "'inf'", "1e999", "'1e999'", "1.0e+400"])
def test_nan_and_infinity_are_never_accepted(tmp_path, raw):
    """A weight that is not a finite number is refused, at its field and line."""
    row = re.search(r"- \[(-?[\d.]+),", BASE_TEXT)  # the first entry of the first matrix row
    text = BASE_TEXT[:row.start(1)] + raw + BASE_TEXT[row.end(1):]
    first = BASE_TEXT[:row.start()].count("\n") + 1
    (tmp_path / NAME).write_text(text, encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        load_problem(tmp_path / NAME, tmp_path)
    issue = err.value.issues[0]
    assert issue.file == NAME and issue.line == first and issue.field.startswith("values.")
    assert "number" in issue.message and raw.strip("'") in issue.message
