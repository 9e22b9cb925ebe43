"""problems/problem.schema.json: the JSON Schema editors use for problem files agrees with the
validator (generator/problem/validate.py) and the op table, so the two cannot drift apart."""

from __future__ import annotations

import copy
import json
import re
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT_DIR
from generator.graph.ops import ACTIVATIONS, BIAS_CONVENTIONS, LOSSES
from generator.problem import validate
from generator.problem.load import HANDOUTS_FILE
from generator.scaffold import render_template

SCHEMA_PATH = ROOT_DIR / "problems" / "problem.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
NETWORK = SCHEMA["$defs"]["networkProblem"]  # a network problem (no `kind`)
EXPRESSION = SCHEMA["$defs"]["expressionProblem"]  # kind: expression
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
PROBLEM_FILES = sorted(p for p in (ROOT_DIR / "problems").glob("*.yml") if p.name != HANDOUTS_FILE)
HEADER = "# yaml-language-server: $schema=problem.schema.json"


def errors(data) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(data)]


def test_schema_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=[p.stem for p in PROBLEM_FILES])
def test_every_problem_file_validates_against_the_schema(path):
    assert errors(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=[p.stem for p in PROBLEM_FILES])
def test_every_problem_file_names_the_schema_on_its_first_line(path):
    assert path.read_text(encoding="utf-8").splitlines()[0] == HEADER


def test_the_new_problem_template_validates_and_names_the_schema():
    text = render_template("A title", "002")
    assert text.splitlines()[0] == HEADER
    assert errors(yaml.safe_load(text)) == []


# ---------------------------------------------------------------- no drift from the code


def test_enums_equal_the_op_table():
    net = NETWORK["properties"]["network"]["properties"]
    layer = SCHEMA["$defs"]["layer"]["properties"]
    assert sorted(layer["activation"]["enum"]) == sorted(ACTIVATIONS)
    assert sorted(net["loss"]["enum"]) == sorted(LOSSES)
    assert sorted(net["bias"]["enum"]) == sorted(BIAS_CONVENTIONS)


def test_keys_equal_the_validator_keys():
    assert set(NETWORK["properties"]) == set(validate.TOP_KEYS)
    assert set(NETWORK["properties"]["network"]["properties"]) == validate.NETWORK_KEYS
    assert set(SCHEMA["$defs"]["layer"]["properties"]) == validate.LAYER_KEYS
    assert set(SCHEMA["$defs"]["question"]["properties"]) == validate.QUESTION_KEYS
    if hasattr(validate, "CLAIM_KEYS"):
        assert set(SCHEMA["$defs"]["matrixClaim"]["properties"]) == validate.CLAIM_KEYS
    question = SCHEMA["$defs"]["question"]["properties"]
    assert sorted(question["ask"]["enum"]) == sorted(validate.ASKS)
    assert tuple(question["part"]["enum"]) == validate.PARTS
    assert question["layer"]["maximum"] == validate.MAX_LAYERS
    layers = NETWORK["properties"]["network"]["properties"]["layers"]
    assert layers["maxItems"] == validate.MAX_LAYERS
    assert SCHEMA["$defs"]["layer"]["properties"]["size"]["maximum"] == validate.MAX_UNITS


def _required_per_ask(question: dict) -> dict[str, set[str]]:
    found = {}
    for rule in question["allOf"]:
        ask = rule["if"]["properties"]["ask"]["const"]
        found[ask] = set(rule["then"].get("required", []))
    return found


def test_per_ask_required_fields_equal_the_validator():
    found = _required_per_ask(SCHEMA["$defs"]["question"])
    for ask, needs in validate.ASKS.items():
        assert found.get(ask, set()) == needs, ask


def test_expression_problem_keys_equal_the_validator():
    from generator.problem import validate_expression as ve

    assert set(EXPRESSION["properties"]) == ve.TOP_KEYS
    question = SCHEMA["$defs"]["expressionQuestion"]
    assert set(question["properties"]) == ve.QUESTION_KEYS
    assert sorted(question["properties"]["ask"]["enum"]) == sorted(ve.ASKS)
    assert set(SCHEMA["$defs"]["claim"]["properties"]) == ve.CLAIM_KEYS
    found = _required_per_ask(question)
    for ask, needs in ve.ASKS.items():
        assert found.get(ask, set()) == needs, ask


def test_demo_problem_keys_equal_the_validator():
    from generator.problem import validate_demo as vd

    demo = SCHEMA["$defs"]["demoProblem"]
    assert set(demo["properties"]) == vd.TOP_KEYS
    assert set(SCHEMA["$defs"]["demoQuestion"]["properties"]) == vd.QUESTION_KEYS
    assert sorted(demo["properties"]["demo"]["enum"]) == sorted(vd.DEMOS)
    ranges = {rule["if"]["properties"]["demo"]["const"]: rule["then"]["properties"]["sizes"]["items"]
              for rule in demo["allOf"]}
    assert {k: (r["minimum"], r["maximum"]) for k, r in ranges.items()} == vd.DEMOS


def test_formula_length_equals_the_parser_limit():
    from generator.problem.expr import MAX_LENGTH

    assert SCHEMA["$defs"]["formula"]["maxLength"] == MAX_LENGTH


def test_name_and_reference_patterns_equal_the_validator():
    assert SCHEMA["$defs"]["name"]["pattern"] == validate.NAME.pattern
    pattern = re.compile(SCHEMA["$defs"]["reference"]["pattern"])
    for text in ["x", "W1[1,2]", " a [ 1 ] ", "yhat", "W2[1, 0]", "z[1]", "1x", "W1[1,2,3]", "a[-1]",
                 "a.b", "W1[]", "a[1", "__import__('os')", ""]:
        assert bool(pattern.search(text)) == bool(validate.REF.match(text)), text


# ---------------------------------------------------------------- numbers written as text


def _fraction_ok(text: str) -> bool:
    try:
        Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return False
    return True


def _validator_says(text: str) -> str:
    """'ok', 'range' (a number, but too large or with a huge exponent) or 'no'."""
    c = validate.Checker("f.yml", {}, strict=True)
    c.number(text, "n")
    if not c.issues:
        return "ok"
    return "range" if ("from -" in c.issues[0].message or "exponent" in c.issues[0].message) else "no"


NUMBER_TEXT = re.compile(SCHEMA["$defs"]["number"]["anyOf"][1]["pattern"])


@pytest.mark.parametrize("text", ["1/3", "-2/7", " 0.25 ", "1e-3", ".5", "5.", "+1_000", " 3/4 "])
def test_number_text_accepted(text):
    assert _fraction_ok(text) and NUMBER_TEXT.search(text)


@pytest.mark.parametrize("text", ["abc", "1/0", "2*3", "sqrt(2)", "nan", "inf", "1.5/2", ".", "", "0x10", "0_E401"])
def test_number_text_rejected(text):
    assert not _fraction_ok(text) and not NUMBER_TEXT.search(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" "), st.text(alphabet="0123456789+-_./eExn", max_size=12), st.text(alphabet=" "))
def test_number_text_pattern_agrees_with_the_validator(before, core, after):
    # (spaces only around the number: Python versions differ on spaces around the '/')
    text = before + core + after
    says = _validator_says(text)
    # the pattern cannot check the size (|x| <= 1.8e308): only there may the two differ
    assert bool(NUMBER_TEXT.search(text)) == (says != "no"), (text, says)
    assert (says == "ok") == _fraction_ok(text) or says == "range"


# ---------------------------------------------------------------- broken documents are rejected


def _base() -> dict:
    return yaml.safe_load((ROOT_DIR / "problems" / "002-neural-networks-are-fun.yml").read_text(encoding="utf-8"))


def _broken(fn) -> dict:
    data = copy.deepcopy(_base())
    fn(data)
    return data


BROKEN = {
    "unknown activation": lambda d: d["network"]["layers"][0].update(activation="sigmiod"),
    "unknown loss": lambda d: d["network"].update(loss="hinge"),
    "unknown bias": lambda d: d["network"].update(bias="both"),
    "unknown top key": lambda d: d.update(learning_rat=2),
    "unknown layer key": lambda d: d["network"]["layers"][0].update(units=3),
    "missing title": lambda d: d.pop("title"),
    "missing network": lambda d: d.pop("network"),
    "missing input size": lambda d: d["network"]["input"].pop("size"),
    "no layers": lambda d: d["network"].update(layers=[]),
    "layer size zero": lambda d: d["network"]["layers"][0].update(size=0),
    "bad name": lambda d: d["network"]["layers"][0].update(pre="1a"),
    "weight is text": lambda d: d["values"].update(W2=[[1, "abc", 2]]),
    "weight is a boolean": lambda d: d["values"].update(W2=[[1, True, 2]]),
    "infinite weight": lambda d: d["values"].update(W2=[[1, float("inf"), 2]]),
    "empty matrix": lambda d: d["values"].update(W2=[]),
    "rounding 0": lambda d: d.update(rounding=0),
    "unknown ask": lambda d: d["questions"][0].update(ask="draw"),
    "value without of": lambda d: d["questions"].append({"number": "99", "ask": "value"}),
    "local without wrt": lambda d: d["questions"].append({"number": "99", "ask": "local", "of": "b"}),
    "gradient with two wrt": lambda d: d["questions"].append(
        {"number": "99", "ask": "gradient", "wrt": ["W2[1,1]", "W2[1,2]"]}),
    "prose without answer": lambda d: d["questions"].append({"number": "99", "ask": "prose"}),
    "update without learning rate": lambda d: d.pop("learning_rate"),
    "bad reference": lambda d: d["questions"].append({"number": "99", "ask": "value", "of": "x.real"}),
    "empty questions": lambda d: d.update(questions=[]),
    "three labels": lambda d: d["questions"][7].update(labels=["a", "b", "c"]),
    "a label that is a list": lambda d: d["questions"][7].update(labels=[["a"], "b"]),
    "an unknown kind": lambda d: d.update(kind="graph"),
    "bad weight notation": lambda d: d.update(weight_notation="tensor"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_document_is_rejected_by_the_schema(name):
    assert errors(_broken(BROKEN[name])), name


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_document_is_rejected_by_the_validator_too(name, tmp_path):
    """The same documents, through the generator: the schema only flags what the validator rejects."""
    from generator.errors import ProblemFileError
    from generator.problem.load import load_problem

    path = tmp_path / "problem.yml"
    path.write_text(yaml.safe_dump(_broken(BROKEN[name])), encoding="utf-8")
    with pytest.raises(ProblemFileError):
        load_problem(path, tmp_path, strict=True)


# ---------------------------------------------------------------- kind: expression


EXPRESSION_BASE = {
    "kind": "expression", "title": "T", "handout": "000", "variables": ["x"],
    "questions": [{"number": "1", "ask": "derivative", "of": "sin(x) * x^2", "wrt": "x"}],
}

EXPRESSION_BROKEN = {
    "no variables": lambda d: d.update(variables=[]),
    "unknown top key": lambda d: d.update(network={}),
    "unknown ask": lambda d: d["questions"][0].update(ask="integral"),
    "derivative without wrt": lambda d: d["questions"][0].pop("wrt"),
    "formula too long": lambda d: d["questions"][0].update(of="x+" * 300 + "x"),
    "claim with both sides": lambda d: d["questions"].append(
        {"number": "2", "ask": "claims", "claims": [{"where": "w", "statement": "s", "lhs": "x",
                                                      "derivative_of": "x", "rhs": "x"}]}),
    "general not a boolean": lambda d: d["questions"][0].update(general="yes"),
}


def test_minimal_expression_problem_validates():
    assert errors(EXPRESSION_BASE) == []


@pytest.mark.parametrize("name", sorted(EXPRESSION_BROKEN))
def test_broken_expression_document_is_rejected(name, tmp_path):
    from generator.errors import ProblemFileError
    from generator.problem.load import load_problem

    data = copy.deepcopy(EXPRESSION_BASE)
    EXPRESSION_BROKEN[name](data)
    assert errors(data), name
    path = tmp_path / "problem.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProblemFileError):
        load_problem(path, tmp_path, strict=True)
