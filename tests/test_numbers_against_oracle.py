"""Every number the generator computes (and prints) against the independent oracle.

(a) solve() on problems/002-neural-networks-are-fun.yml and on mutated copies of it: forward
    values, gradients and every answer's numbers against oracle.py / finite differences;
(b) the committed page under docs/ (and pages rendered for the mutated copies): the numbers it
    prints as answers against the oracle, rounded to the page's significant figures;
(c) a changed weight changes the answers, and they still match the oracle.

Which quantity each question asks for is read from the YAML's questions (ask / of / wrt).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import oracle
from conftest import PROBLEM_FILE, ROOT_DIR, write_problem
from generator.problem.load import load_problem
from generator.render.page import render_page
from generator.solve.solution import Chain, Classification, Local, ParameterCount, Update, Value, solve

RTOL = 1e-6  # against finite differences
ATOL = 1e-9
FWD_RTOL = 1e-9  # forward values: the same arithmetic, no step


# ---------------------------------------------------------------- problem variants


def _set_w2(d):
    d["values"]["W2"][0][1] = 0.5


def _losses_half(d):
    d["network"]["loss"] = "half_squared_error"


def _tanh_identity_mse(d):
    d["network"]["layers"][0]["activation"] = "tanh"
    d["network"]["layers"][1]["activation"] = "identity"
    d["network"]["loss"] = "mean_squared_error"


def _batch_of_two(d):
    d["values"]["x"] = [[2, 5], [1, -1]]
    d["values"]["y"] = [1, 0]


def _separate_bias(d):
    d["network"]["bias"] = "separate"
    for l, layer in enumerate(d["network"]["layers"], start=1):
        w = d["values"][layer["weight"]]
        d["values"][layer["weight"]] = [row[1:] for row in w]
        d["values"][f"b{l}"] = [[row[0]] for row in w]


def _no_bias(d):
    d["network"]["bias"] = "none"
    for layer in d["network"]["layers"]:
        d["values"][layer["weight"]] = [row[1:] for row in d["values"][layer["weight"]]]


def _fractions(d):
    d["values"]["W1"][0][2] = "-1/3"
    d["values"]["W2"][0][0] = 0.25
    d["learning_rate"] = "1/2"


VARIANTS = {
    "original": None,
    "W2[1,1]=0.5": _set_w2,
    "half_squared_error": _losses_half,
    "tanh-identity-mse": _tanh_identity_mse,
    "batch-of-two": _batch_of_two,
    "separate-bias": _separate_bias,
    "no-bias": _no_bias,
    "fractions": _fractions,
}


class Case:
    """One problem file: its YAML data, the oracle network and the generator's solution."""

    def __init__(self, name: str, path: Path, root: Path):
        self.name = name
        self.path = path
        self.data = oracle.load(path)
        self.net = oracle.Net(self.data)
        self.problem = load_problem(path, root)
        self.solution = solve(self.problem)
        self.oracle_values = self.net.forward()
        self.figures = self.data.get("rounding", 4)

    def questions(self, *asks: str):
        """(yaml question, generator answer) pairs for the given kinds of question."""
        assert len(self.solution.answers) == len(self.data["questions"])
        for raw, (q, answer) in zip(self.data["questions"], self.solution.answers):
            if raw["ask"] in asks:
                yield raw, answer

    def wrt_list(self, raw) -> list[str]:
        return raw["wrt"] if isinstance(raw["wrt"], list) else [raw["wrt"]]


_CASES: dict[str, Case] = {}


def get_case(name: str, tmp_root: Path) -> Case:
    if name not in _CASES:
        if VARIANTS[name] is None:
            _CASES[name] = Case(name, PROBLEM_FILE, ROOT_DIR)
        else:
            data = oracle.load(PROBLEM_FILE)
            VARIANTS[name](data)
            # a claim's verdict belongs to the instance it was judged on; a mutated network changes it
            data["questions"] = [q for q in data["questions"] if q["ask"] != "claims"]
            folder = tmp_root / name
            _CASES[name] = Case(name, write_problem(folder, data, PROBLEM_FILE.name), folder)
    return _CASES[name]


@pytest.fixture(scope="module", params=list(VARIANTS))
def case(request, tmp_path_factory) -> Case:
    return get_case(request.param, tmp_path_factory.getbasetemp() / "variants")


def close(actual: float, expected: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol)


# ---------------------------------------------------------------- (a) solve() against the oracle


def test_every_question_is_answered_in_order(case):
    assert [q.number for q, _ in case.solution.answers] == [str(q["number"]) for q in case.data["questions"]]
    assert [q.ask for q, _ in case.solution.answers] == [q["ask"] for q in case.data["questions"]]


def test_forward_values_match_oracle(case):
    for name, expected in case.oracle_values.items():
        np.testing.assert_allclose(case.solution.values[name], expected, rtol=FWD_RTOL, atol=1e-12,
                                   err_msg=f"{case.name}: {name}")
    assert set(case.solution.values) == set(case.oracle_values)


def test_exact_forward_values_match_oracle(case):
    assert case.solution.exact is not None, "a network this small gets exact forms"
    for name, expected in case.oracle_values.items():
        exact = np.array(case.solution.exact[name].evalf(30).tolist(), dtype=float)
        np.testing.assert_allclose(exact, expected, rtol=FWD_RTOL, atol=1e-12, err_msg=f"{case.name}: {name}")


def test_every_parameter_gradient_matches_finite_difference(case):
    for name, value in case.net.params.items():
        for index in np.ndindex(value.shape):
            expected = case.net.grad_fd(name, index)
            actual = float(case.solution.grads[name][index])
            assert close(actual, expected), f"{case.name}: dJ/d{name}{index}: {actual} vs FD {expected}"


def test_value_answers_match_oracle(case):
    seen = 0
    for raw, answer in case.questions("value"):
        assert isinstance(answer, Value)
        name, index = case.net.ref(raw["of"])
        assert answer.node == name
        if "[" in raw["of"]:
            assert answer.elem.index == index
            assert close(float(case.solution.values[name][index]), float(case.oracle_values[name][index]),
                         FWD_RTOL, 1e-12)
        else:
            assert answer.elem is None
            np.testing.assert_allclose(case.solution.values[name], case.oracle_values[name], rtol=FWD_RTOL)
        seen += 1
    assert seen > 0


def test_classification_matches_oracle(case):
    for raw, answer in case.questions("class"):
        assert isinstance(answer, Classification)
        name = raw.get("of") or case.net.layers[-1]["post"]
        p = float(case.oracle_values[name][0, 0])
        threshold = float(raw.get("threshold", 0.5))
        labels = raw.get("labels", ["0", "1"])
        assert close(answer.probability, p, FWD_RTOL, 1e-15)
        assert answer.label == str(labels[1] if p >= threshold else labels[0])


def test_local_answers_match_finite_differences(case):
    seen = 0
    for raw, answer in case.questions("local"):
        assert isinstance(answer, Local)
        out, out_index = case.net.ref(raw["of"])
        inp, inp_index = case.net.ref(raw["wrt"])
        f = answer.factor
        assert (f.out.node, f.out.index, f.inp.node, f.inp.index) == (out, out_index, inp, inp_index)
        expected = case.net.local_fd(out, out_index, inp, inp_index)
        assert close(f.value, expected), f"{raw['number']}: {f.value} vs FD {expected}"
        if f.exact is not None:
            assert close(float(f.exact), expected), f"{raw['number']} exact form {f.exact}"
        seen += 1
    assert seen > 0


def test_gradient_and_chain_values_match_finite_differences(case):
    seen = 0
    for raw, answer in case.questions("chain", "gradient"):
        assert isinstance(answer, Chain)
        name, index = case.net.ref(case.wrt_list(raw)[0])
        assert (answer.param.node, answer.param.index) == (name, index)
        expected = case.net.grad_fd(name, index)
        assert close(answer.value, expected), f"{raw['number']}: {answer.value} vs FD {expected}"
        if answer.exact is not None:
            assert close(float(answer.exact), expected), f"{raw['number']}: exact {answer.exact}"
        seen += 1
    assert seen > 0


def test_chain_paths_are_connected_from_parameter_to_objective(case):
    for raw, answer in case.questions("chain", "gradient"):
        assert answer.paths, f"{raw['number']}: a network this small lists its paths"
        for path in answer.paths:
            assert path[0].out.node == case.net.loss_name
            assert (path[-1].inp.node, path[-1].inp.index) == (answer.param.node, answer.param.index)
            for upper, lower in zip(path, path[1:]):
                assert upper.inp == lower.out


def test_chain_factors_are_local_derivatives_and_sum_to_gradient(case):
    for raw, answer in case.questions("chain", "gradient"):
        total = 0.0
        for path in answer.paths:
            for f in path:
                expected = case.net.local_fd(f.out.node, f.out.index, f.inp.node, f.inp.index)
                assert close(f.value, expected), f"{raw['number']}: d{f.out}/d{f.inp}: {f.value} vs {expected}"
            total += math.prod(f.value for f in path)
        assert close(total, case.net.grad_fd(answer.param.node, answer.param.index))


def test_path_count_matches_the_network(case):
    """A weight of the last layer reaches J once per sample; a hidden weight once per sample too
    when the output layer has a single unit (one route through the next layer)."""
    for raw, answer in case.questions("chain", "gradient"):
        outputs = case.net.layers[-1]["size"]
        expected = case.net.batch * (1 if answer.param.node == case.net.layers[-1]["weight"] else outputs)
        assert len(answer.paths) == expected, raw["number"]


def test_update_answers_match_gradient_descent_step(case):
    seen = 0
    rate = float(yaml_fraction(case.data["learning_rate"]))
    for raw, answer in case.questions("update"):
        assert isinstance(answer, Update)
        assert float(answer.rate) == rate
        assert len(answer.steps) == len(case.wrt_list(raw))
        for ref, step in zip(case.wrt_list(raw), answer.steps):
            name, index = case.net.ref(ref)
            old = case.net.old_value(name, index)
            expected = old - rate * case.net.grad_fd(name, index)
            assert float(step.old) == old
            assert close(step.new, expected), f"{ref}: {step.new} vs {expected}"
            if step.exact_new is not None:
                assert close(float(step.exact_new), expected)
            seen += 1
    assert seen > 0


def test_weight_shapes_match_the_given_matrices(case):
    for raw, answer in case.questions("weight_count", "weight_shapes"):
        weights = [layer["weight"] for layer in case.net.layers]
        assert list(answer.names) == weights
        assert [tuple(s) for s in answer.shapes] == [case.net.params[w].shape for w in weights]


def test_parameter_counts_match_the_given_matrices(case):
    for raw, answer in case.questions("parameter_count"):
        assert isinstance(answer, ParameterCount)
        layers = [raw["layer"]] if "layer" in raw else range(1, len(case.net.layers) + 1)
        part = raw.get("part", "all")
        expected = 0
        if part in ("linear", "all"):
            for l in layers:
                layer = case.net.layers[l - 1]
                expected += case.net.params[layer["weight"]].size
                if case.net.bias == "separate":
                    expected += case.net.params[layer["bias"]].size
        assert answer.total == expected, raw["number"]


def yaml_fraction(value) -> float:
    return oracle.number(value)


# ---------------------------------------------------------------- (c) a mutated weight


def test_mutated_weight_changes_the_answers_and_they_still_match(mutated, tmp_path):
    """W2[1,1] (stored W2[0][1]) from -2 to 0.5: the answers through it change and match the oracle."""
    path = mutated(_set_w2)
    data = oracle.load(path)
    assert data["values"]["W2"][0][1] == 0.5
    net, base = oracle.Net(data), oracle.Net(oracle.load(PROBLEM_FILE))
    solution = solve(load_problem(path, tmp_path))
    original = solve(load_problem(PROBLEM_FILE, ROOT_DIR))
    changed = 0
    for raw, (q, answer), (_, before) in zip(data["questions"], solution.answers, original.answers):
        if raw["ask"] == "gradient":
            name, index = net.ref(raw["wrt"])
            assert close(answer.value, net.grad_fd(name, index))
            changed += not close(answer.value, before.value)
        if raw["ask"] == "value" and "[" not in raw["of"]:
            np.testing.assert_allclose(solution.values[raw["of"]], net.forward()[raw["of"]], rtol=FWD_RTOL)
    assert changed > 0, "changing W2 must change some gradient answer"
    assert not np.isclose(net.objective(), base.objective())
    assert close(float(solution.values[net.loss_name][0, 0]), net.objective(), FWD_RTOL)


# ---------------------------------------------------------------- (b) the numbers printed on the page

NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)(?:\s*\\times\s*10\^\{(-?\d+)\})?")
FRACTION = re.compile(r"(-\s*)?\\frac\{(\d+)\}\{(\d+)\}$")


def final_value(text: str) -> tuple[float, str, bool]:
    """The value a row or answer ends with: (value, printed mantissa, printed exactly?).

    Accepts '= 3', '\\approx 0.006693', '= -\\frac{149}{12}', '= <exact form> \\approx -1.921'
    and '1.2 \\times 10^{-5}'.
    """
    text = text.strip()
    text = re.sub(r"\\\)\s*$", "", text).strip()
    m = FRACTION.search(text)
    if m:
        value = int(m.group(2)) / int(m.group(3))
        return (-value if m.group(1) else value), "", True
    found = list(NUMBER.finditer(text))
    assert found, f"no number in {text!r}"
    last = found[-1]
    mantissa, exponent = last.group(1), last.group(2)
    value = float(mantissa) * (10.0 ** int(exponent) if exponent else 1.0)
    rounded = text[: last.start()].rstrip().endswith(r"\approx")
    return value, mantissa, not rounded


def significant_digits(mantissa: str) -> int:
    digits = mantissa.lstrip("-").replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")
    return max(len(digits), 1)


def assert_printed(text: str, expected: float, figures: int, what: str, cell: bool = False) -> None:
    """``text`` ends with ``expected``: exactly when printed with '=', else correctly rounded
    to ``figures`` significant figures after '\\approx'. A matrix ``cell`` is either."""
    value, mantissa, is_exact = final_value(text)
    if cell and not math.isclose(value, expected, rel_tol=RTOL, abs_tol=ATOL):
        is_exact = False
    if is_exact:
        assert math.isclose(value, expected, rel_tol=RTOL, abs_tol=ATOL), (
            f"{what}: page says exactly {value}, oracle {expected} ({text!r})")
        return
    # rounded: exactly the stated figures, trailing zeros kept (0.1050, not 0.105)
    assert significant_digits(mantissa) == figures, f"{what}: {mantissa} is not {figures} significant figures"
    half_unit = 0.5 * 10.0 ** (math.floor(math.log10(abs(expected))) - figures + 1)
    assert abs(value - expected) <= half_unit * (1 + 1e-6), (
        f"{what}: page prints {value}, oracle {expected} rounds to {oracle.round_sig(expected, figures)}")


def page_sections(markdown: str) -> dict[str, str]:
    """Question number -> its section, with the solution's indentation removed."""
    parts = re.split(r"^## Question (.+?)(?: \{#[^}]*\})?[ \t]*$", markdown, flags=re.M)
    return {number: re.sub(r"^    ", "", body, flags=re.M) for number, body in zip(parts[1::2], parts[2::2])}


def display_rows(section: str) -> list[str]:
    rows = []
    for block in re.findall(r"\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}", section, flags=re.S):
        rows += re.split(r" \\\\\n", block)
    return rows


def answer_line(section: str) -> str:
    m = re.search(r"^\*\*Answer\.\*\* (.*)$", section, flags=re.M)
    assert m, "no Answer line"
    return m.group(1)


def bmatrix(text: str) -> list[list[str]]:
    m = re.search(r"\\begin\{bmatrix\} (.*?) \\end\{bmatrix\}", text)
    assert m, f"no matrix in {text!r}"
    return [[cell.strip() for cell in row.split("&")] for row in m.group(1).split(r" \\ ")]


def page_path(data_handouts: dict, stem: str) -> Path:
    for h in data_handouts["handouts"]:
        if stem in (h.get("problems") or []):
            return ROOT_DIR / "docs" / "handouts" / h["slug"] / f"{stem}.md"
    raise AssertionError(f"{stem} is not listed in problems/handouts.yml")


class Page:
    def __init__(self, case: Case, markdown: str):
        self.case, self.markdown = case, markdown
        self.sections = page_sections(markdown)


@pytest.fixture(scope="module", params=["committed"] + [v for v in VARIANTS if v != "original"])
def page(request, tmp_path_factory) -> Page:
    """The committed page for the real problem; pages rendered in memory for the variants."""
    if request.param == "committed":
        handouts = yaml.safe_load((ROOT_DIR / "problems" / "handouts.yml").read_text(encoding="utf-8"))
        path = page_path(handouts, PROBLEM_FILE.stem)
        assert path.exists(), f"the generated page {path} is missing"
        return Page(get_case("original", tmp_path_factory.getbasetemp() / "variants"),
                    path.read_text(encoding="utf-8"))
    case = get_case(request.param, tmp_path_factory.getbasetemp() / "variants")
    return Page(case, render_page(case.solution, case.path.stem, "Handout"))


def test_page_states_its_rounding(page):
    assert f"rounded to {page.case.figures} significant figures" in page.markdown


def test_page_has_a_section_per_question(page):
    assert list(page.sections) == [str(q["number"]) for q in page.case.data["questions"]]


def test_page_given_matrices_are_the_yaml_values(page):
    given = page.markdown.split("## Given", 1)[1].split("## Question", 1)[0]
    printed = [np.array([[_fraction_value(c) for c in row] for row in bmatrix(m.group(0))])
               for m in re.finditer(r"\\begin\{bmatrix\} .*? \\end\{bmatrix\}", given)]
    for name, value in page.case.net.params.items():
        if value.size > 1:
            assert any(p.shape == value.shape and np.array_equal(p, value) for p in printed), name


def _fraction_value(cell: str) -> float:
    m = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", cell)
    if m:
        return (-1 if m.group(1) else 1) * int(m.group(2)) / int(m.group(3))
    return float(cell)


def test_page_value_answers(page):
    c = page.case
    for raw in c.data["questions"]:
        if raw["ask"] != "value":
            continue
        line = answer_line(page.sections[str(raw["number"])])
        name, index = c.net.ref(raw["of"])
        expected = c.oracle_values[name]
        if "[" in raw["of"] or expected.size == 1:
            assert_printed(line, float(expected[index]), c.figures, raw["number"])
        else:
            cells = bmatrix(line)
            assert (len(cells), len(cells[0])) == expected.shape, raw["number"]
            for (i, j), v in np.ndenumerate(expected):
                assert_printed(cells[i][j], float(v), c.figures, f"{raw['number']} [{i},{j}]", cell=True)


def test_page_classification(page):
    c = page.case
    for raw in c.data["questions"]:
        if raw["ask"] != "class":
            continue
        name = raw.get("of") or c.net.layers[-1]["post"]
        p = float(c.oracle_values[name][0, 0])
        labels = raw.get("labels", ["0", "1"])
        label = labels[1] if p >= float(raw.get("threshold", 0.5)) else labels[0]
        assert f"as **{label}**" in answer_line(page.sections[str(raw["number"])])


def test_page_local_answers(page):
    c, seen = page.case, 0
    for raw in c.data["questions"]:
        if raw["ask"] != "local":
            continue
        out, oi = c.net.ref(raw["of"])
        inp, ii = c.net.ref(raw["wrt"])
        last_row = display_rows(page.sections[str(raw["number"])])[-1]
        assert_printed(last_row, c.net.local_fd(out, oi, inp, ii), c.figures, raw["number"])
        seen += 1
    assert seen


def test_page_gradient_answers(page):
    c, seen = page.case, 0
    for raw in c.data["questions"]:
        if raw["ask"] != "gradient":
            continue
        name, index = c.net.ref(c.wrt_list(raw)[0])
        last_row = display_rows(page.sections[str(raw["number"])])[-1]
        assert_printed(last_row, c.net.grad_fd(name, index), c.figures, raw["number"])
        seen += 1
    assert seen


def test_page_update_answers(page):
    c, seen = page.case, 0
    rate = float(yaml_fraction(c.data["learning_rate"]))
    for raw in c.data["questions"]:
        if raw["ask"] != "update":
            continue
        rows = [r for r in display_rows(page.sections[str(raw["number"])]) if r"^{\text{new}}" in r]
        refs = c.wrt_list(raw)
        assert len(rows) == len(refs)
        for ref, row in zip(refs, rows):
            name, index = c.net.ref(ref)
            expected = c.net.old_value(name, index) - rate * c.net.grad_fd(name, index)
            assert_printed(row, expected, c.figures, f"{raw['number']} {ref}")
            seen += 1
    assert seen
