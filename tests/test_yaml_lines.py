"""generator/problem/yaml_lines.py: safe parsing and the line of every field."""

from __future__ import annotations

import pytest
import yaml

from generator.problem.yaml_lines import line_of, load_yaml

TEXT = """\
title: T
network:
  layers:
    - {size: 2, activation: relu}
    - size: 1
      activation: sigmoid
values:
  W1:
    - [1, 2]
    - [3, 4]
"""


def test_data_is_safe_load():
    data, _ = load_yaml(TEXT)
    assert data == yaml.safe_load(TEXT)


@pytest.mark.parametrize("path, line", [
    ("title", 1), ("network", 2), ("network.layers", 3), ("network.layers[0]", 4),
    ("network.layers[0].activation", 4), ("network.layers[1]", 5), ("network.layers[1].activation", 6),
    ("values.W1", 8), ("values.W1[1]", 10), ("values.W1[1][0]", 10),
])
def test_line_of_each_field(path, line):
    _, lines = load_yaml(TEXT)
    assert line_of(lines, path) == line


def test_unknown_field_falls_back_to_its_parent():
    _, lines = load_yaml(TEXT)
    assert line_of(lines, "network.layers[1].weight") == 5
    assert line_of(lines, "values.W9") == 7


def test_python_tags_are_refused():
    with pytest.raises(yaml.YAMLError):
        load_yaml("x: !!python/object/apply:os.system ['echo hi']\n")


@pytest.mark.parametrize("text", ["[" * 100_000, "- " * 100_000 + "x\n", "{a: " * 50_000])
def test_nesting_is_refused_before_libyaml_composes_it(text):
    """libyaml composes nested collections recursively and segfaults at 100,000 levels."""
    from generator.problem.yaml_lines import MAX_DEPTH, YamlIssues
    with pytest.raises(YamlIssues) as err:
        load_yaml(text)
    assert err.value.issues[0].line == 1 and f"more than {MAX_DEPTH} deep" in err.value.issues[0].message


def test_alias_expansion_is_counted_before_construction():
    from generator.problem.yaml_lines import MAX_NODES, YamlIssues
    text = "a: &a [" + ", ".join(["1"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 1000) + "]\n"
    with pytest.raises(YamlIssues) as err:
        load_yaml(text)
    assert err.value.issues[0].line == 2 and f"{MAX_NODES:,}" in err.value.issues[0].message


def test_a_key_written_twice_names_both_lines():
    from generator.problem.yaml_lines import YamlIssues
    with pytest.raises(YamlIssues) as err:
        load_yaml("a: 1\nb:\n  c: 1\n  c: 2\n")
    issue = err.value.issues[0]
    assert (issue.line, issue.field) == (4, "b.c") and "lines 3 and 4" in issue.message


def test_numbers_keep_the_text_they_were_written_as():
    data, _ = load_yaml("a: 3.10\nb: 1.0e-400\nc: 002\n")
    assert (data["a"].written, data["b"].written, data["c"].written) == ("3.10", "1.0e-400", "002")
    assert data["a"] == 3.1 and data["b"] == 0.0 and data["c"] == 2  # (still the numbers YAML reads)
