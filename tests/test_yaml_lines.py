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
