"""Turn parsed YAML into a validated Problem, collecting every mistake with its field and line."""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from typing import Any, Iterator

from ..errors import Issue
from ..graph.ops import ACTIVATIONS, BIAS_CONVENTIONS, LOSSES
from .expr import ParseError
from .matrix_expr import parse_matrix_formula
from .spec import ValueRange, VariantSpec, Layer, Matrix, MatrixClaim, Network, Problem, Question, Ref
from .validate_verdict import VERDICT_KEYS, flag, is_addition, read_statement, read_verdict
from .yaml_lines import line_of

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
REF = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*$")

# a decimal with an exponent, written as text ('1e-3'): its exponent is checked before Fraction
EXPONENT = re.compile(r"^\s*[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)[eE]([-+]?\d+(?:_\d+)*)\s*$")
MAX_EXPONENT = 400  # 10^400 is beyond float64 already
MAX_NUMBER = Fraction(sys.float_info.max)  # numbers are also computed in float64
MAX_NUMBER_TEXT = "1.8e308"
MIN_NUMBER = Fraction(sys.float_info.min)  # the smallest normal float64; below it precision is lost
MIN_NUMBER_TEXT = "2.2250738585072014e-308"

MAX_UNITS = 4096  # widest layer a problem file may declare
MAX_LAYERS = 32
MAX_BATCH = 1024
MAX_PARAMETERS = 100_000  # weights and biases: a page is verified and built in about a second
MAX_ACTIVATIONS = 4_096  # units of all layers times samples: the size of one forward pass
MAX_QUESTIONS = 100  # each may run its own finite-difference check
MAX_ITEMS = 50  # claims of one question, samples, forms, definitions

TOP_KEYS = {
    "kind": "network (the default) or expression",
    "title": "the page title",
    "handout": "the handout id, e.g. '002'",
    "section": "the handout's section number",
    "intro": "Markdown shown above the questions",
    "network": "the network",
    "values": "inputs, targets and weights",
    "learning_rate": "the gradient-descent step size",
    "rounding": "significant figures of printed numbers",
    "symbols": "LaTeX for node names",
    "weight_notation": "subscript (W_{l,i,j}) or superscript (W^{l}_{i,j})",
    "vectors": "column (the default) or row: how the handout writes vectors and a batch",
    "step_notation": "subscript (W_{t+1}, the default) or superscript (w^{(t+1)}) for updates",
    "questions": "the questions",
    "variants": "seeded variants for practice: count, seed, ranges",
}
NETWORK_KEYS = {"input", "target", "layers", "bias", "loss", "loss_name", "weight_decay"}
LAYER_KEYS = {"size", "activation", "pre", "post", "weight", "bias", "fixed", "slope"}
VARIANT_KEYS = {"count": "how many variants (0 for none)", "seed": "the seed of the first variant",
                "ranges": "per value: [min, max] or [min, max, step]"}
MAX_VARIANTS = 200
QUESTION_KEYS = {"number", "text", "ask", "of", "wrt", "layer", "part", "threshold", "labels",
                 "answer", "note", "claims", "general", "general_of", "expand", "addition", "rule"}
FREE_INDEX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*\[\s*([a-z]|\d+)\s*(?:,\s*([a-z]|\d+)\s*)?\]\s*$")
FREE_LETTERS = "ijpqrt"  # k, s, u, v name the sums of the index forms
CLAIM_KEYS = {"where", "statement", "about", "claimed", "step", "intended", "intended_statement",
              "layout", "source"} | VERDICT_KEYS

# what each kind of question needs besides number, text and ask
ASKS: dict[str, set[str]] = {
    "network_drawing": set(),
    "computation_graph": set(),
    "weight_count": set(),
    "weight_shapes": set(),
    "value": {"of"},
    "class": set(),
    "chain": {"wrt"},
    "local": {"of", "wrt"},
    "gradient": {"wrt"},
    "update": {"wrt"},
    "parameter_count": set(),
    "prose": {"answer"},
    "claims": {"claims"},
}
PARTS = ("linear", "activation", "all")


def _one_of(options: Any) -> str:
    return "one of " + ", ".join(sorted(options))


class Checker:
    """Collects issues for one file; every check records what was expected and what was found."""

    def __init__(self, file: str, lines: dict[str, int], strict: bool):
        self.file, self.lines, self.strict = file, lines, strict
        self.issues: list[Issue] = []

    def fail(self, path: str, message: str) -> None:
        self.issues.append(Issue(self.file, line_of(self.lines, path), path, message))

    def mapping(self, value: Any, path: str, allowed: set[str] | dict[str, str] | None) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping; got {_describe(value)}")
            return {}
        for key in value:
            if allowed is not None and key not in allowed and self.strict:
                self.fail(f"{path}.{key}" if path else str(key),
                          f"unknown key {key!r}; expected {_one_of(allowed)}")
        return value

    def required(self, data: dict, key: str, path: str) -> Any:
        if key not in data:
            self.fail(path, f"missing required key {key!r}")
            return None
        return data[key]

    def text(self, value: Any, path: str, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool) and default is not None:
            return getattr(value, "written", str(value))  # 3.10 stays "3.10", as written
        if not isinstance(value, str):
            self.fail(path, f"expected text; got {_describe(value)}")
            return default or ""
        return value

    def name(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not NAME.match(value):
            self.fail(path, f"expected a name (a letter, then letters, digits or _); got {_describe(value)}")
            return ""
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false; got {_describe(value)}")
            return False
        return value

    def at_most(self, items: list, path: str, limit: int, what: str) -> list:
        """``items``, or [] (with an issue) when there are more than ``limit``."""
        if len(items) > limit:
            self.fail(path, f"expected at most {limit} {what}; got {len(items)}")
            return []
        return items

    def entries(self, value: Any, path: str, allowed: set[str], what: str,
                limit: int | None = None) -> Iterator[tuple[dict, str]]:
        """Each mapping of the list ``value`` (its keys checked against ``allowed``) with its path,
        one at a time (so issues come in file order); an entry that is not a mapping is skipped,
        and none come, with an issue, when ``value`` is not a list or holds more than ``limit``."""
        if not isinstance(value, list):
            self.fail(path, f"expected a list of {what}; got {_describe(value)}")
            return
        for i, item in enumerate(value if limit is None else self.at_most(value, path, limit, what)):
            d = self.mapping(item, f"{path}[{i}]", allowed)
            if d:
                yield d, f"{path}[{i}]"

    def integer(self, value: Any, path: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected a whole number from {low} to {high}; got {_describe(value)}")
            return low
        if not low <= value <= high:
            self.fail(path, f"expected a whole number from {low} to {high}; got {value}")
            return low
        return value

    def choice(self, value: Any, path: str, options: Any) -> str:
        if not isinstance(value, str) or value not in options:  # (a list or mapping is unhashable)
            self.fail(path, f"expected {_one_of(options)}; got {_describe(value)}")
            return ""
        return value

    def number(self, value: Any, path: str) -> Fraction:
        """An exact number: an integer, a decimal, or a fraction written as text ('1/3')."""
        if isinstance(value, bool):
            self.fail(path, f"expected a number; got {_describe(value)}")
            return Fraction(0)
        if isinstance(value, int):
            return self._in_range(Fraction(value), value, path)
        if isinstance(value, float):
            if not math.isfinite(value):
                self.fail(path, f"expected a finite number; got {getattr(value, 'written', value)}")
                return Fraction(0)
            written = getattr(value, "written", "").replace("_", "")
            value = written if _parses(written) else repr(value)  # the decimal as written, exactly
        if isinstance(value, str):
            exponent = EXPONENT.search(value)
            if (exponent and abs(int(exponent.group(1).replace("_", ""))) > MAX_EXPONENT
                    and _parses(value[:exponent.start(1)] + "0")):  # a number, but for its exponent
                # 1e999999999 would take Fraction minutes and gigabytes to build
                self.fail(path, f"expected a number with an exponent from -{MAX_EXPONENT} to {MAX_EXPONENT}; "
                                f"got {_describe(value)}")
                return Fraction(0)
            try:
                number = Fraction(value.strip())  # Fraction parses digits only; nothing is evaluated
            except (ValueError, ZeroDivisionError):
                pass
            else:
                return self._in_range(number, value, path)
        self.fail(path, f"expected a number; got {_describe(value)}")
        return Fraction(0)

    def _in_range(self, number: Fraction, value: Any, path: str) -> Fraction:
        """Numbers are also computed in float64: they must fit one, and not vanish in it."""
        if abs(number) > MAX_NUMBER:
            self.fail(path, f"expected a number from -{MAX_NUMBER_TEXT} to {MAX_NUMBER_TEXT}; "
                            f"got {_describe(value)}")
            return Fraction(0)
        if number and abs(number) < MIN_NUMBER:
            self.fail(path, f"expected 0 or a number of size at least {MIN_NUMBER_TEXT} (numbers are also "
                            f"computed in float64, where this one would be 0); got {_describe(value)}")
            return Fraction(0)
        return number

    def matrix(self, value: Any, path: str, shape: tuple[int, int]) -> Matrix:
        """A matrix of the given (rows, columns); a flat list is one row or one column."""
        rows, cols = shape
        if not isinstance(value, list):
            value = [value]
        if value and not isinstance(value[0], list):
            # a flat list: a single row, or a single column written flat
            value = [value] if rows == 1 else [[v] for v in value]
        found = (len(value), len(value[0]) if value and isinstance(value[0], list) else 0)
        if any(not isinstance(r, list) for r in value) or any(len(r) != found[1] for r in value):
            self.fail(path, f"expected a {rows}x{cols} matrix (a list of {rows} rows); got ragged rows")
            return tuple(tuple(Fraction(0) for _ in range(cols)) for _ in range(rows))
        if found != shape:
            self.fail(path, f"expected shape {rows}x{cols}; got {found[0]}x{found[1]}")
            return tuple(tuple(Fraction(0) for _ in range(cols)) for _ in range(rows))
        return tuple(tuple(self.number(v, f"{path}[{i}][{j}]") for j, v in enumerate(r))
                     for i, r in enumerate(value))


def _parses(text: str) -> bool:
    try:
        Fraction(text.strip())
        return True
    except (ValueError, ZeroDivisionError):
        return False


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."  # keep messages to one line


# ---------------------------------------------------------------- the problem file


def validate_problem(data: Any, lines: dict[str, int], file: str, slug: str,
                     strict: bool = True) -> tuple[Problem | None, list[Issue]]:
    """Check every field; return the Problem (None when any check failed) and the issues."""
    c = Checker(file, lines, strict)
    if data is None:  # (line 1: an empty file has no other)
        return None, [Issue(file, 1, "", "the file is empty; expected a mapping with " + ", ".join(TOP_KEYS))]
    top = c.mapping(data, "", TOP_KEYS)
    if not top:
        if not c.issues:
            c.fail("", "the file is an empty mapping; expected " + ", ".join(TOP_KEYS))
        return None, c.issues
    c.choice(top.get("kind", "network"), "kind", ("network", "expression", "demo"))  # (the others: load.py)
    title = c.text(c.required(top, "title", ""), "title")
    handout = c.text(c.required(top, "handout", ""), "handout", default="")
    section = c.text(top.get("section", ""), "section", default="")
    intro = c.text(top.get("intro", ""), "intro", default="")
    network = _network(c, c.required(top, "network", ""))
    values = _values(c, top.get("values"), network) if network else {}
    rate = c.number(top["learning_rate"], "learning_rate") if "learning_rate" in top else None
    figures = c.integer(top.get("rounding", 4), "rounding", 1, 12)
    symbols = _symbols(c, top.get("symbols", {}))
    notation = c.choice(top.get("weight_notation", "subscript"), "weight_notation",
                        ("subscript", "superscript"))
    vectors = c.choice(top.get("vectors", "column"), "vectors", ("column", "row"))
    step_notation = c.choice(top.get("step_notation", "subscript"), "step_notation", ("subscript", "superscript"))
    questions = _questions(c, top.get("questions"), network, rate)
    variants = _variants(c, top.get("variants", {}), values)
    if c.issues or network is None:
        return None, c.issues
    problem = Problem(path=file, lines=lines, slug=slug, title=title, handout=handout, section=section,
                      intro=intro, network=network, values=values, learning_rate=rate,
                      significant_figures=figures, symbols=symbols, questions=questions,
                      weight_notation=notation, vectors=vectors, step_notation=step_notation,
                      variants=variants)
    return problem, c.issues


def _variants(c: Checker, raw: Any, values: dict[str, Matrix]) -> VariantSpec:
    """The ``variants:`` block: how many, the seed, and a range per value name."""
    d = c.mapping(raw, "variants", VARIANT_KEYS)
    count = c.integer(d.get("count", 20), "variants.count", 0, MAX_VARIANTS)
    seed = c.integer(d.get("seed", 0), "variants.seed", 0, 2**31 - 1)
    ranges = []
    raw_ranges = d.get("ranges", {})
    for name, r in c.mapping(raw_ranges, "variants.ranges", None).items():
        p = f"variants.ranges.{name}"
        if name not in values:
            c.fail(p, f"no value named {name!r}; expected one of {', '.join(sorted(values))}")
            continue
        if not isinstance(r, list) or len(r) not in (2, 3):
            c.fail(p, f"expected [min, max] or [min, max, step]; got {_describe(r)}")
            continue
        low, high = c.number(r[0], f"{p}[0]"), c.number(r[1], f"{p}[1]")
        step = c.number(r[2], f"{p}[2]") if len(r) == 3 else Fraction(1)
        if step <= 0 or high < low or (high - low) / step > 10_000:
            c.fail(p, f"expected min <= max and a positive step with at most 10000 steps between; got {r}")
            continue
        ranges.append((name, ValueRange(low, high, step)))
    return VariantSpec(count, seed, tuple(sorted(ranges, key=lambda nr: nr[0])))


def _network(c: Checker, raw: Any) -> Network | None:
    net = c.mapping(raw, "network", NETWORK_KEYS)
    if not isinstance(raw, dict):
        return None
    start = len(c.issues)
    raw_input = c.required(net, "input", "network")
    inp = c.mapping(raw_input, "network.input", {"name", "size"})
    input_name = c.name(inp.get("name", "x"), "network.input.name")
    input_size = c.integer(c.required(inp, "size", "network.input") if isinstance(raw_input, dict) else 1,
                           "network.input.size", 1, MAX_UNITS)
    bias = c.choice(net.get("bias", "separate"), "network.bias", BIAS_CONVENTIONS)
    loss = c.choice(c.required(net, "loss", "network"), "network.loss", LOSSES)
    raw_layers = c.required(net, "layers", "network")
    layers: list[Layer] = []
    if raw_layers is not None and (not isinstance(raw_layers, list) or not raw_layers):
        c.fail("network.layers", f"expected a list of layers; got {_describe(raw_layers)}")
    elif raw_layers is not None and len(raw_layers) > MAX_LAYERS:
        c.fail("network.layers", f"expected at most {MAX_LAYERS} layers; got {len(raw_layers)}")
    elif raw_layers:
        for l, raw in enumerate(raw_layers, start=1):
            p = f"network.layers[{l - 1}]"
            d = c.mapping(raw, p, LAYER_KEYS)
            if not d:
                continue
            activation = c.choice(c.required(d, "activation", p), f"{p}.activation", ACTIVATIONS)
            layers.append(Layer(
                size=c.integer(c.required(d, "size", p), f"{p}.size", 1, MAX_UNITS),
                activation=activation,
                pre=c.name(d.get("pre", f"a{l}"), f"{p}.pre"),
                post=c.name(d.get("post", f"h{l}"), f"{p}.post"),
                weight=c.name(d.get("weight", f"W{l}"), f"{p}.weight"),
                bias=c.name(d.get("bias", f"b{l}"), f"{p}.bias"),
                fixed=_flag(c, d.get("fixed", False), f"{p}.fixed"),
                slope=_parameter(c, d, p, activation),
            ))
    target = c.name(net.get("target", "y"), "network.target")
    loss_name = c.name(net.get("loss_name", "loss"), "network.loss_name")
    decay = _weight_decay(c, net, bias)
    if loss and layers and LOSSES[loss].output_activation not in ("", layers[-1].activation):
        c.fail("network.loss", f"{loss} needs a {LOSSES[loss].output_activation} output layer; "
                               f"network.layers[{len(layers) - 1}].activation is {layers[-1].activation!r}")
    if len(c.issues) > start:
        return None
    network = Network(input_name, input_size, target, tuple(layers), bias, loss, loss_name, decay)
    count = parameter_count(network)
    if count > MAX_PARAMETERS:
        c.fail("network.layers", f"expected at most {MAX_PARAMETERS:,} weights and biases; these layer "
                                 f"sizes make {count:,}")
        return None
    names = _all_names(network)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        c.fail("network", f"expected distinct names for inputs, layers and weights; "
                          f"{', '.join(duplicates)} used twice")
        return None
    return network


def _parameter(c: Checker, d: dict, p: str, activation: str) -> Fraction | None:
    """A layer's activation parameter (leaky ReLU's slope, 0 <= slope < 1), for the ops that take one."""
    entry = ACTIVATIONS.get(activation)
    if "slope" not in d:
        return entry.default if entry is not None else None
    if entry is None or entry.parameter != "slope":
        takes = sorted(n for n, a in ACTIVATIONS.items() if a.parameter == "slope")
        c.fail(f"{p}.slope", f"only {', '.join(takes)} takes a slope; this layer's activation is {activation!r}")
        return None
    slope = c.number(d["slope"], f"{p}.slope")
    if not 0 <= slope < 1:
        c.fail(f"{p}.slope", f"expected a number from 0 up to (not including) 1; got {_describe(d['slope'])}")
    return slope


def _weight_decay(c: Checker, net: dict, bias: str) -> Fraction | None:
    """lambda of the L2 penalty (lambda/2) sum ||W||^2 on the weights, not the biases."""
    if "weight_decay" not in net:
        return None
    decay = c.number(net["weight_decay"], "network.weight_decay")
    if decay < 0:
        c.fail("network.weight_decay", f"expected a number >= 0; got {_describe(net['weight_decay'])}")
    if bias == "folded":
        c.fail("network.weight_decay", "needs bias: separate or none (a bias folded into column 0 of W "
                                       "would be decayed with the weights)")
    return decay or None


def parameter_count(net: Network) -> int:
    """Weights and biases (each layer: size x (fan-in + 1))."""
    sizes = [net.input_size] + [layer.size for layer in net.layers]
    return sum(out * (fan_in + 1) for fan_in, out in zip(sizes, sizes[1:]))


def _flag(c: Checker, value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        c.fail(path, f"expected true or false; got {_describe(value)}")
        return False
    return value


def _all_names(net: Network) -> list[str]:
    names = [net.input_name, net.target_name, net.loss_name]
    for layer in net.layers:
        names += [layer.pre, layer.post, layer.weight]
        if net.bias == "separate":
            names.append(layer.bias)
    return names


def shapes(net: Network, batch: int) -> dict[str, tuple[int, int]]:
    """The shape of every named quantity, as (rows, columns)."""
    out = {net.input_name: (net.input_size, batch),
           net.target_name: (net.layers[-1].size, batch), net.loss_name: (1, 1)}
    fan_in = net.input_size
    for layer in net.layers:
        out[layer.weight] = (layer.size, fan_in + (1 if net.bias == "folded" else 0))
        if net.bias == "separate":
            out[layer.bias] = (layer.size, 1)
        out[layer.pre] = out[layer.post] = (layer.size, batch)
        fan_in = layer.size
    return out


def _values(c: Checker, raw: Any, net: Network) -> dict[str, Matrix]:
    vals = c.mapping(raw, "values", None)  # keys are checked below, against the network
    if not vals:
        return {}
    x_raw = c.required(vals, net.input_name, "values")
    batch = 1
    if isinstance(x_raw, list) and x_raw and isinstance(x_raw[0], list):
        batch = len(x_raw)  # a list of samples, one row each
    if batch > MAX_BATCH:
        c.fail(f"values.{net.input_name}", f"expected at most {MAX_BATCH} samples; got {batch}")
        return {}
    units = net.input_size + sum(layer.size for layer in net.layers)
    if units * batch > MAX_ACTIVATIONS:
        c.fail(f"values.{net.input_name}", f"expected at most {MAX_ACTIVATIONS:,} values per pass (units of "
                                           f"all layers, {units:,}, times samples); {batch} samples make "
                                           f"{units * batch:,}")
        return {}
    want = shapes(net, batch)
    leaves = [net.input_name, net.target_name] + [l.weight for l in net.layers]
    if net.bias == "separate":
        leaves += [l.bias for l in net.layers]
    out: dict[str, Matrix] = {}
    for key in vals:
        if key not in leaves:
            c.fail(f"values.{key}", f"unknown value {key!r}; expected {_one_of(leaves)}")
    for name in leaves:
        p = f"values.{name}"
        if name not in vals:
            if name != net.input_name:
                c.fail("values", f"missing required key {name!r} (shape {want[name][0]}x{want[name][1]})")
            continue
        rows, cols = want[name]
        if name == net.target_name and LOSSES[net.loss].targets != "any":
            out[name] = _targets(c, vals[name], p, LOSSES[net.loss].targets, rows, cols)
        elif name in (net.input_name, net.target_name):
            # samples are written as rows; stored with one column per sample
            m = c.matrix(vals[name], p, (cols, rows) if cols > 1 else (1, rows))
            out[name] = tuple(zip(*m))
        else:
            out[name] = c.matrix(vals[name], p, (rows, cols))
    return out


def _targets(c: Checker, raw: Any, p: str, kind: str, outputs: int, batch: int) -> Matrix:
    """Targets of a loss on probabilities: each in [0, 1]; for a distribution (one-hot), also a sum
    of 1 per sample, or one class number (1 to outputs) per sample, turned into one-hot columns."""
    flat = raw if isinstance(raw, list) and not any(isinstance(v, list) for v in raw) else None
    if kind == "distribution" and outputs > 1 and (not isinstance(raw, list) or (flat is not None and batch > 1)):
        classes = [raw] if not isinstance(raw, list) else flat
        if len(classes) != batch:
            c.fail(p, f"expected one class number per sample ({batch}) or one-hot rows; got {len(classes)}")
            return tuple((Fraction(0),) * batch for _ in range(outputs))
        for k, v in enumerate(classes):
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= outputs:
                c.fail(f"{p}[{k}]" if isinstance(raw, list) else p,
                       f"expected a class number from 1 to {outputs}; got {_describe(v)}")
                return tuple((Fraction(0),) * batch for _ in range(outputs))
        return tuple(tuple(Fraction(int(v == i + 1)) for v in classes) for i in range(outputs))
    m = c.matrix(raw, p, (batch, outputs) if batch > 1 else (1, outputs))
    for k, sample in enumerate(m):
        if any(not 0 <= v <= 1 for v in sample):
            c.fail(p, f"expected targets from 0 to 1 (probabilities); sample {k + 1} has "
                      f"{', '.join(str(v) for v in sample)}")
        elif kind == "distribution" and sum(sample) != 1:
            c.fail(p, f"expected each sample's targets to sum to 1 (one-hot, or a class number); sample "
                      f"{k + 1} sums to {sum(sample)}")
    return tuple(zip(*m))


def _symbols(c: Checker, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        c.fail("symbols", f"expected a mapping from names to LaTeX; got {_describe(raw)}")
        return {}
    out = {}
    for key, value in raw.items():
        out[c.name(key, f"symbols.{key}")] = c.text(value, f"symbols.{key}")
    return out


def parse_ref(text: Any) -> Ref | None:
    """``W1[1,2]`` -> Ref('W1', (1, 2)) with a whitelist pattern; None if it does not match."""
    if not isinstance(text, str):
        return None
    m = REF.match(text)
    if not m:
        return None
    index = tuple(int(g) for g in m.groups()[1:] if g is not None)
    return Ref(m.group(1), index)


def _questions(c: Checker, raw: Any, net: Network | None, rate: Fraction | None) -> tuple[Question, ...]:
    if not isinstance(raw, list) or not raw:
        c.fail("questions", f"expected a list of questions; got {_describe(raw)}")
        return ()
    if len(raw) > MAX_QUESTIONS:
        c.fail("questions", f"expected at most {MAX_QUESTIONS} questions; got {len(raw)}")
        return ()
    out: list[Question] = []
    numbers: set[str] = set()
    for i, item in enumerate(raw):
        p = f"questions[{i}]"
        d = c.mapping(item, p, QUESTION_KEYS)
        if not d:
            continue
        number = c.text(c.required(d, "number", p), f"{p}.number", default="")
        if number in numbers:
            c.fail(f"{p}.number", f"expected a number not used before; got {number!r} again")
        numbers.add(number)
        ask = c.choice(c.required(d, "ask", p), f"{p}.ask", ASKS)
        for key in sorted(ASKS.get(ask, set())):
            c.required(d, key, p)
        of = _ref(c, d["of"], f"{p}.of", net) if "of" in d else None
        wrt_raw = d.get("wrt", [])
        wrt_list = wrt_raw if isinstance(wrt_raw, list) else [wrt_raw]
        wrt = tuple(r for r in (_ref(c, w, f"{p}.wrt", net) for w in wrt_list) if r)
        if ask == "update" and rate is None:
            c.fail(f"{p}.ask", "an update needs 'learning_rate' at the top of the file")
        if ask in ("chain", "gradient", "local", "update") and "wrt" in d and not wrt_list:
            c.fail(f"{p}.wrt", f"expected {'one quantity' if ask != 'update' else 'one or more quantities'} "
                               f"for ask: {ask}; got an empty list")
        if ask in ("chain", "gradient", "local") and len(wrt) > 1:
            c.fail(f"{p}.wrt", f"expected one quantity for ask: {ask}; got {len(wrt)}")
        if net and ask == "local" and of and wrt:
            _check_direct_input(c, f"{p}.wrt", net, of, wrt[0])
        if net and ask in ("local", "chain", "gradient", "update"):
            # a gradient may be taken by a whole matrix or vector; everything else names entries
            whole_ok = ("wrt",) if ask in ("gradient", "update") else ()
            for field_name, refs in (("of", [of] if of else []), ("wrt", [] if "wrt" in whole_ok else list(wrt))):
                for r in refs:
                    _check_entry(c, f"{p}.{field_name}", net, r)
        if net and ask == "update":
            for w in wrt:
                if not _is_param(net, w.name):
                    c.fail(f"{p}.wrt", f"expected a weight or bias; got {str(w)!r}")
        if net and ask in ("chain", "gradient"):
            _check_upstream(c, p, net, of, wrt)
        layer = None
        if "layer" in d:
            layer = c.integer(d["layer"], f"{p}.layer", 1, len(net.layers) if net else 1)
        labels = d.get("labels", ["0", "1"])
        if not (isinstance(labels, list) and len(labels) == 2):
            c.fail(f"{p}.labels", f"expected two labels [below, at or above threshold]; got {_describe(labels)}")
            labels = ["0", "1"]
        labels = [c.text(label, f"{p}.labels[{k}]", default="") for k, label in enumerate(labels)]
        out.append(Question(
            number=number,
            text=c.text(d.get("text", ""), f"{p}.text", default=""),
            ask=ask, of=of, wrt=wrt, layer=layer,
            part=c.choice(d.get("part", "all"), f"{p}.part", PARTS),
            threshold=c.number(d.get("threshold", "1/2"), f"{p}.threshold"),
            labels=(str(labels[0]), str(labels[1])),
            answer=c.text(d.get("answer", ""), f"{p}.answer", default=""),
            note=c.text(d.get("note", ""), f"{p}.note", default=""),
            claims=_matrix_claims(c, d.get("claims", []), f"{p}.claims", net, rate) if net else (),
            general=_general(c, d, "general", wrt[0] if len(wrt) == 1 else None, p)
            if not isinstance(d.get("general"), list) else None,
            general_of=_general(c, d, "general_of", of, p),
            general_each=_general_each(c, d, wrt, p, ask),
            expand=c.boolean(d.get("expand", False), f"{p}.expand") if "expand" in d else False,
            addition=is_addition(c, d, p),
            rule=_rule(c, d, p, net, ask, of, wrt),
        ))
    return tuple(out)


RULE_VARIABLE = re.compile(r"^[a-z]$")


def _rule(c: Checker, d: dict, p: str, net: Network | None, ask: str, of: Ref | None,
          wrt: tuple[Ref, ...]) -> str:
    """rule: x on a local derivative of an activation: the page states g'(x) for any input x
    first (what a question such as "what is the derivative of ReLU?" asks), then the entry."""
    if "rule" not in d:
        return ""
    variable = d["rule"]
    if not isinstance(variable, str) or not RULE_VARIABLE.match(variable):
        c.fail(f"{p}.rule", f"expected one lower-case letter naming the input, such as x; got {_describe(variable)}")
        return ""
    layer = next((l for l in net.layers if of and of.name == l.post), None) if net else None
    if ask != "local" or layer is None or not wrt or wrt[0].name != layer.pre \
            or not ACTIVATIONS[layer.activation].elementwise:
        c.fail(f"{p}.rule", "expected with ask: local, of an entry of a layer's activation output and wrt "
                            "its input (the rule is that activation's derivative)")
        return ""
    return variable


def _general_each(c: Checker, d: dict, wrt: tuple[Ref, ...], p: str, ask: str) -> tuple:
    """An update's entries with free indices, e.g. [W[i,j], b[i]]: one for each of its 'wrt'."""
    raw = d.get("general")
    if not isinstance(raw, list):
        return ()
    if ask != "update":
        c.fail(f"{p}.general", f"expected one entry such as W2[i,j] (a list is for ask: update); got a list")
        return ()
    out = []
    for k, item in enumerate(raw):
        m = FREE_INDEX.match(item) if isinstance(item, str) else None
        ref = next((r for r in wrt if m and r.name == m.group(1)), None)
        if ref is None:
            c.fail(f"{p}.general[{k}]", f"expected an entry of one of {', '.join(str(r) for r in wrt)} with free "
                                        f"indices, e.g. W[i,j]; got {_describe(item)}")
            continue
        parsed = _general(c, {"general": item}, "general", ref, f"{p}.general[{k}]", "general")
        if parsed:
            out.append(parsed)
    return tuple(out)


def _general(c: Checker, d: dict, key: str, ref: Ref | None, p: str, field: str | None = None) -> tuple[str, tuple] | None:
    """``W2[i,j]``: the entry a question names with free indices, matching the worked entry."""
    if key not in d:
        return None
    raw = d[key]
    m = FREE_INDEX.match(raw) if isinstance(raw, str) else None
    path = p if field else f"{p}.{key}"
    if m is None:
        c.fail(path, f"expected an entry with free indices such as W2[i,j] or h1[j] "
                             f"(letters {', '.join(FREE_LETTERS)}); got {_describe(raw)}")
        return None
    index = tuple(int(x) if x.isdigit() else x for x in m.groups()[1:] if x is not None)
    bad = [x for x in index if isinstance(x, str) and x not in FREE_LETTERS]
    what = "wrt" if key == "general" else "of"
    if bad:
        c.fail(path, f"expected free indices among {', '.join(FREE_LETTERS)}; got {bad[0]!r}")
    elif ref is None or m.group(1) != ref.name or (ref.index and (len(index) != len(ref.index) or any(
            isinstance(x, int) and x != y for x, y in zip(index, ref.index)))):
        c.fail(path, f"expected the entry of '{what}' ({ref}) with some indices made free; "
                             f"got {raw!r}")
    elif not any(isinstance(x, str) for x in index) and not (ref is not None and ref.index):
        c.fail(path, f"expected at least one free index (a letter); got {raw!r}")
    else:  # no letter at all: the entry for every sample of a batch (the sample index is free)
        return (m.group(1), index)
    return None


def _matrix_claims(c: Checker, raw: Any, path: str, net: Network, rate: Fraction | None) -> tuple[MatrixClaim, ...]:
    names = [n for n in _order(net)]
    out = []
    for d, p in c.entries(raw, path, CLAIM_KEYS, "claims", MAX_ITEMS):
        about = d.get("about", "" if "claimed" not in d else None)
        if about != "" and (about not in names or about in (net.target_name, net.loss_name)):
            c.fail(f"{p}.about", f"expected the quantity the formula is the gradient for "
                                 f"({', '.join(n for n in names if n not in (net.target_name, net.loss_name))}); "
                                 f"got {_describe(about)}")
            continue
        step = flag(c, d, "step", p)
        if step and (rate is None or not _is_param(net, about)):
            c.fail(f"{p}.step", "a step claim needs 'learning_rate' at the top of the file and a weight "
                                f"or bias as 'about'; got {about!r}")
        allowed = names + (["eta"] if step else [])
        tree, intended, text = None, None, d.get("claimed")
        try:
            tree = parse_matrix_formula(text, allowed) if "claimed" in d else None
        except ParseError as err:
            c.fail(f"{p}.claimed", err.message + (f" (column {err.column})" if err.column else ""))
            continue
        if ("intended" in d) != ("intended_statement" in d):
            c.fail(p, "expected 'intended' (a formula) and 'intended_statement' (its LaTeX) together")
        try:
            intended = parse_matrix_formula(d["intended"], allowed) if "intended" in d else None
        except ParseError as err:
            c.fail(f"{p}.intended", err.message + (f" (column {err.column})" if err.column else ""))
            continue
        where, statement = read_statement(c, d, p)
        out.append(MatrixClaim(where=where, statement=statement, about=about, claimed=tree, text=text or "",
                               verdict=read_verdict(c, d, p, has_formula=tree is not None),
                               step=step, intended=intended,
                               intended_statement=c.text(d.get("intended_statement", ""),
                                                         f"{p}.intended_statement", default=""),
                               layout=c.choice(d.get("layout", "denominator"), f"{p}.layout",
                                               ("denominator", "numerator")),
                               source=c.choice(d.get("source", "handout"), f"{p}.source", ("handout", "answer"))))
    return tuple(out)


def _is_param(net: Network, name: str) -> bool:
    return any(not l.fixed and (name == l.weight or (net.bias == "separate" and name == l.bias))
               for l in net.layers)


def _ref(c: Checker, raw: Any, path: str, net: Network | None) -> Ref | None:
    ref = parse_ref(raw)
    if ref is None:
        c.fail(path, f"expected a quantity like x, W1[1,2] or a[1]; got {_describe(raw)}")
        return None
    if net is None:
        return ref
    names = _all_names(net)
    if ref.name not in names:
        c.fail(path, f"expected a quantity of this problem ({', '.join(names)}); got {ref.name!r}")
        return None
    rows, cols = shapes(net, 1)[ref.name]
    is_weight = any(ref.name == l.weight for l in net.layers)
    if is_weight:
        low_col = 0 if net.bias == "folded" else 1
        high_col = cols - 1 if net.bias == "folded" else cols
        if ref.index and (len(ref.index) != 2 or not 1 <= ref.index[0] <= rows
                          or not low_col <= ref.index[1] <= high_col):
            c.fail(path, f"expected {ref.name}[i,j] with i in 1..{rows} and j in {low_col}..{high_col}; "
                         f"got {str(ref)!r}")
            return None
    elif ref.index and (len(ref.index) != 1 or not 1 <= ref.index[0] <= rows):
        c.fail(path, f"expected {ref.name}[i] with i in 1..{rows}; got {str(ref)!r}")
        return None
    return ref


def _order(net: Network) -> list[str]:
    """The quantities in the order they are computed."""
    names = [net.input_name]
    for layer in net.layers:
        names += [layer.weight] + ([layer.bias] if net.bias == "separate" else []) + [layer.pre, layer.post]
    return names + [net.target_name, net.loss_name]


def _check_upstream(c: Checker, p: str, net: Network, of: Ref | None, wrt: tuple[Ref, ...]) -> None:
    """d(of)/d(wrt) needs wrt computed before of (J, the loss, when there is no 'of')."""
    order = _order(net)
    top = of.name if of else net.loss_name
    for w in wrt:
        if w.name in (net.target_name, net.loss_name) or order.index(w.name) >= order.index(top):
            c.fail(f"{p}.wrt", f"expected a quantity computed before {top} "
                               f"({', '.join(n for n in order[:order.index(top)] if n != net.target_name)}); "
                               f"got {str(w)!r}")


def _check_entry(c: Checker, path: str, net: Network, ref: Ref) -> None:
    """A derivative is taken of and by single entries: W1[1,2], not all of W1."""
    rows, cols = shapes(net, 1)[ref.name]
    if not ref.index and rows * cols > 1:
        example = f"{ref.name}[1,1]" if any(ref.name == l.weight for l in net.layers) else f"{ref.name}[1]"
        c.fail(path, f"expected one entry such as {example} ({ref.name} is {rows}x{cols}); got {ref.name!r}")


def _check_direct_input(c: Checker, path: str, net: Network, of: Ref, wrt: Ref) -> None:
    """A local derivative needs wrt to be a direct input of the op that computes ``of``."""
    # the target is data, not a quantity J is differentiated by on these pages
    inputs: dict[str, list[str]] = {net.loss_name: [net.layers[-1].post]}
    prev = net.input_name
    for layer in net.layers:
        inputs[layer.pre] = [prev, layer.weight] + ([layer.bias] if net.bias == "separate" else [])
        inputs[layer.post] = [layer.pre]
        prev = layer.post
    if wrt.name not in inputs.get(of.name, []):
        direct = inputs.get(of.name, [])
        c.fail(path, f"expected a direct input of {of.name} ({', '.join(direct) or 'none: it is a leaf'}); "
                     f"got {wrt.name!r}; use ask: gradient for a derivative through several ops")
        return
    # the entries must be connected: a_i uses row i of W (and b_i); z_i uses a_i only
    row_of = of.index[0] if of.index else 1
    is_weight_or_bias = any(wrt.name in (l.weight, l.bias) for l in net.layers)
    elementwise = any(of.name == l.post and ACTIVATIONS[l.activation].elementwise for l in net.layers)
    wrt_row = wrt.index[0] if wrt.index else 1
    if (is_weight_or_bias or elementwise) and wrt_row != row_of:
        c.fail(path, f"expected an entry that {of} depends on (row {row_of}); got {str(wrt)!r}, "
                     f"whose derivative is 0 because {of} does not use it")
