"""A problem's Markdown page: each question, then its solution collapsed under it."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import sympy as sp

from ..graph.ops import op_for
from ..problem.spec import Question
from ..solve import finite_diff as fd
from ..solve.chain import Elem, Factor
from ..solve.solution import (RULE_POINTS, Chain, MatrixClaims, MatrixGradient, MatrixStep, Step, Classification, Drawing, Local, ParameterCount, Prose,
                              Solution, Update, Value, WeightMatrices)
from . import claims as claim_boxes
from . import dot
from .backward import CHECK_MARK, BackwardWriter
from .index_latex import index_latex, numbers_latex, value_table
from . import numbers as num
from .markdown import display_blocks
from .site import anchor, question_heading, solution_fold
from .symbols import entry, fill, partial, whole

NETWORK_SVG = dot.NETWORK_SVG
GRAPH_SVG = dot.GRAPH_SVG
LEGEND = "../../graph-legend.md"  # from docs/handouts/<handout>/<problem>.md
EXACT_TOLERANCE = 1e-12  # the exact and float64 forward values agree to this (solution._cross_check_exact)
MAX_EXPANDED = 6  # write out W x term by term up to this many rows and columns


def render_page(solution: Solution, asset_dir: str, handout_title: str, addition: bool = False,
                practice: str = "") -> str:
    """The whole page as Markdown; ``asset_dir`` is the folder of its SVGs, relative to the page;
    ``addition``: a problem beyond the handouts (no handout asks it); ``practice``, when given,
    the file name of its practice page (linked under the title)."""
    r = _Renderer(solution, asset_dir)
    p = solution.problem
    source = (f"*{handout_title}, problem {p.section}: an addition to the site, not from a course handout.* "
              if addition else f"*Handout {p.handout} ({handout_title}), section {p.section}.* ")
    parts = [f"# {p.title}\n",
             source + num.stated(p.significant_figures) + "\n"]
    if practice:
        parts.append(f"[Try new numbers]({practice}){{.md-button}}: the same questions on other "
                     "numbers, checked as you type them.\n")
    if p.intro:
        parts.append(p.intro.strip() + "\n")
    parts.append(r.given())
    parts.append(r.conventions())
    parts.append(r.verification())
    if r.backward is not None and r.asks_gradients():
        parts.append(r.backward.section(solution.values))
    for q, answer in solution.answers:
        parts.append(r.question(q, answer))
    return display_blocks("\n".join(parts))


def _indent(text: str) -> str:
    return textwrap.indent(text, "    ", lambda line: True).replace("    \n", "\n")


def _power(bound: float) -> int:
    """10^k for a tolerance such as 1e-6: k."""
    return round(math.log10(bound))


def tolerance() -> str:
    """The bound every passed check meets (finite_diff._close), as words: a bound, never the
    measured error, which is float noise and differs from machine to machine."""
    return (f"relative \\(10^{{{_power(fd.RTOL)}}}\\), absolute \\(10^{{{_power(fd.ATOL)}}}\\)")


def _group(formula: str) -> str:
    """A factor in a product: parenthesised unless it is a single symbol or number."""
    bare = formula.replace(" ", "")
    if formula.startswith("\\left[") and formula.endswith("\\right]") and formula.count("\\left[") == 1:
        return formula  # an Iverson bracket is one factor already
    if any(op in bare[1:] for op in "+-") or "\\cdot" in bare or bare.startswith("-") or " " in formula.strip():
        return f"\\left({formula}\\right)"
    return formula


def _display(*rows: str) -> str:
    """Display math, rows aligned at their '&'."""
    body = " \\\\\n".join(rows)
    return f"\\[\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}\n\\]\n"


class _Renderer:
    def __init__(self, solution: Solution, asset_dir: str):
        self.s = solution
        self.p = solution.problem
        self.g = solution.graph
        self.figs = solution.problem.significant_figures
        # the objective's name on the page: J unless the problem names it (symbols: {J: ...})
        self.J = solution.problem.symbols.get("J", "J")
        self.assets = asset_dir
        batch = solution.values[solution.problem.network.input_name].shape[1]
        asked = frozenset(r.name for q, _ in solution.answers if q.ask in ("gradient", "chain", "update")
                          for r in q.wrt)
        self.backward = (BackwardWriter(self.p, self.g, solution.formulas, batch, self.J, asked)
                         if solution.formulas is not None else None)

    def oriented(self, name: str, m):
        """A node's matrix as the page shows it: a layer's values (or their gradient) as rows,
        one row per sample, when the handout writes row vectors; parameters as they are."""
        vector = self.g.node(name).kind not in ("param", "const")
        if self.p.vectors == "row" and vector:
            return tuple(zip(*m)) if isinstance(m, tuple) else m.T
        return m

    def asks_gradients(self) -> bool:
        return any(q.ask in ("gradient", "chain", "update") for q, _ in self.s.answers)

    def general_formula(self, node: str) -> str:
        """The matrix formula for dJ/d(node), after the deltas it reads, each defined first."""
        if self.backward is None or self.backward.f.for_node(node) is None:
            return ""
        f = self.backward.f
        eqs = f.deltas_down_to(node) + (f.for_node(node),)
        return ("In general (see [the backward pass](#backward-pass)):\n\n" + self.backward.block(eqs)
                + "\n" + self.backward.shapes(eqs[-1], self.s.values) + "\n\nOn this instance:\n\n")

    # ------------------------------------------------------------ helpers

    def n(self, x: float) -> str:
        return num.number(x, self.figs)

    def sym(self, elem: Elem) -> str:
        return entry(self.p, self.g, elem)

    def val(self, elem: Elem) -> float:
        return float(self.s.values[elem.node][elem.index])

    def exact_of(self, elem: Elem) -> sp.Expr | None:
        return self.s.exact[elem.node][elem.index] if self.s.exact is not None else None

    def figure(self, file: str, alt: str, caption: str = "") -> str:
        """An SVG drawing with its text alternative, and a caption (on the image's line, so that
        Markdown inside it is rendered both at the top level and inside a solution)."""
        alt = alt.replace("[", "(").replace("]", ")")
        cap = f" <figcaption markdown>{caption}</figcaption>" if caption else ""
        return f'<figure markdown="span">\n  ![{alt}]({self.assets}/{file}){cap}\n</figure>\n'

    def graph_figures(self) -> str:
        """The block computation graph and, for small networks, the element-level graph."""
        legend = f"[How to read these graphs]({LEGEND})"
        text = ("The computation graph below is drawn from the same computation as the answers: "
                "each box shows a quantity, its shape, its forward **value** and its **gradient** "
                f"\\(\\partial {self.J} / \\partial (\\cdot)\\) (blue: given inputs, green: the target, "
                "yellow: parameters, white: results of operations)."
                + (" The drawings hold each vector as a column, the transpose of this page's row vectors; "
                   "the numbers are the same." if self.p.vectors == "row" else "") + "\n\n")
        text += self.figure(GRAPH_SVG, f"Computation graph of {self.p.title}, one node per vector or "
                           f"matrix: {dot.describe(self.g)}; each node shows its shape, its value and "
                           "its gradient",
                           "One box per vector or matrix: what it is, its shape, its value and, in red, "
                           f"its gradient \\(\\partial {self.J} / \\partial (\\cdot)\\). {legend}")
        if not dot.element_level(self.g, self.s.values):
            return text
        loss = self.g.objective
        text += ("\nThe same computation one number at a time: a node per entry, an edge wherever "
                 "one entry is computed from another.\n\n")
        return text + self.figure(
            dot.ELEMENT_SVG,
            f"Computation graph of {self.p.title}, one node per number, from the inputs and weights "
            f"to the loss {dot.plain(loss.latex)} = {self.n(float(self.s.values[loss.name][0, 0]))}; "
            "each node shows its value and its gradient",
            "One box per number: its symbol, its value and, in red, its gradient "
            f"\\(\\partial {self.J} / \\partial (\\cdot)\\). {legend}")

    def path_figure(self, a: Chain) -> str:
        """The sub-graph of the paths of ``a``: only the entries they pass through (small networks)."""
        if not a.paths or not dot.element_level(self.g, self.s.values):
            return ""
        param = self.sym(a.param)
        top = self.g.objective.latex if a.of is None else self.sym(a.of)
        routes = " and ".join(" → ".join(dot.plain(self.sym(e)) for e in path)
                              for path in dot.path_nodes(a.param, a.paths))
        factors = " and ".join(", ".join(self.n(f.value) for f in reversed(path)) for path in a.paths)
        alt = (f"The {'paths' if len(a.paths) > 1 else 'path'} {routes}, one node per number with its "
               f"value{' and its gradient' if a.of is None else ''}; the edges are labelled with the "
               f"local derivatives {factors}")
        boxes = ("Each box shows its entry's value and, in red, its gradient "
                 f"\\(\\partial {self.g.objective.latex} / \\partial (\\cdot)\\) (at \\({param}\\): "
                 "this derivative's value)" if a.of is None else "Each box shows its entry's value")
        caption = (f"The {'paths' if len(a.paths) > 1 else 'path'} from \\({param}\\) to \\({top}\\), "
                   f"the part of the computation graph this derivative runs through. {boxes}; the "
                   "label on each arrow is that step's local derivative, a factor of the product. "
                   f"[How to read this graph]({LEGEND})")
        return "\n" + self.figure(dot.path_file(a.param, a.of), alt, caption)

    # ------------------------------------------------------------ page parts

    def given(self) -> str:
        rows = []
        for node in self.g.nodes:
            if node.is_leaf:
                symbol = whole(self.g, node.name)
                if node.kind == "const" and not any(ch.isalpha() for ch in symbol):
                    continue  # a fixed number such as a zero bias: its symbol says it all
                m = self.oriented(node.name, self.p.values[node.name])
                entries = [[num.fraction(v) for v in row] for row in m]
                shown = entries[0][0] if len(entries) == 1 and len(entries[0]) == 1 else num.matrix(entries)
                fixed = r" \quad \text{(fixed, not learned)}" if node.kind == "const" else ""
                rows.append(f"{symbol} &= {shown}{fixed}")
        text = "## Given\n\n" + _display(*rows)
        if self.p.learning_rate is not None:
            text += f"\nLearning rate \\(\\eta = {num.fraction(self.p.learning_rate)}\\).\n"
        asked = next((q for q, a in self.s.answers if isinstance(a, Drawing) and a.kind == "graph"), None)
        if asked is not None:  # the page draws its full graph once: as that question's answer
            return text + (f"\nThe computation graph is the answer to [Question {asked.number}]"
                           f"(#{anchor(asked.number)}) below.\n")
        return text + "\n" + self.graph_figures()

    def verification(self) -> str:
        """One sentence for students; how each number was checked, folded under it."""
        checks = self.s.all_checks
        kinks = [c for c in checks if c.kink]
        exact = self.s.exact is not None
        lead = ("Every number on this page was checked before the page was written: "
                + ("every value was computed twice, exactly and in floating point, and " if exact else "")
                + "every derivative was compared with a numerical estimate.")
        details = []
        if exact:
            details.append("- **Values.** Every forward value was computed exactly with sympy and in float64 "
                           f"with numpy; the two agree to within \\(10^{{{_power(EXACT_TOLERANCE)}}}\\).")
        near = (" (smaller where an activation's input lies within \\(h\\) of its kink)"
                if self.kink_conventions() else "")
        details.append("- **Derivatives.** Each derivative printed, and each entry of the gradient of "
                       f"\\(J\\) ({len(checks)} in all), was compared with a central finite difference "
                       "\\(\\frac{f(\\theta + h) - f(\\theta - h)}{2h}\\) in float64 with "
                       f"\\(h = 10^{{-6}} \\max(1, |\\theta|)\\){near}. Every one agrees within \\(|d - \\tilde{{d}}| \\le "
                       f"10^{{{_power(fd.RTOL)}}} \\max(|d|, |\\tilde{{d}}|) + 10^{{{_power(fd.ATOL)}}} + \\varepsilon\\), "
                       "for the derivative \\(d\\), its difference \\(\\tilde{d}\\) and the rounding error "
                       "of the difference itself, \\(\\varepsilon = 2 \\cdot 2^{-52} |f| / h\\).")
        if kinks:
            details.append(f"- **Kinks.** {num.count(len(kinks), 'derivative')} {'sits' if len(kinks) == 1 else 'sit'} "
                           "on a kink, where the derivative does not exist; there the page uses "
                           f"{self.kink_conventions()}, and the check compares with the matching one-sided "
                           "difference instead.")
        body = lead + '\n\n??? info "How it was checked"\n' + _indent("\n".join(details) + "\n")
        return '!!! success "Verified"\n' + _indent(body) + "\n"

    def op(self, name: str):
        """The op table's entry of the node called ``name``."""
        return op_for(self.g.node(name))

    def ops(self) -> list:
        """The op entries of this network, each once, in graph order."""
        found = []
        for node in self.g.nodes:
            if not node.is_leaf and op_for(node) not in found:
                found.append(op_for(node))
        return found

    def kink_conventions(self) -> str:
        return " and ".join(f"\\({op.convention}\\)" for op in self.ops() if op.kinks)

    def conventions(self) -> str:
        """How the page's ops are taken at their kinks, evaluated without overflow or log 0, fused
        with the loss, and regularised: stated from the op table, before any number uses them."""
        items = []
        kinks = self.kink_conventions()
        if kinks:
            items.append(f"At a kink, where the derivative does not exist, the page uses {kinks}.")
        for text in dict.fromkeys(op.notation for op in self.ops() if getattr(op, "notation", "")):
            items.append(text + ".")
        loss_node = self.g.objective
        for op in self.ops():
            if op.numerics:
                items.append(op.numerics[0].upper() + op.numerics[1:] + ".")
        decay = self.op(loss_node.name).decay
        if decay is not None:
            names = ", ".join(f"\\({self.g.node(w).latex}\\)" for w in loss_node.inputs[2:])
            items.append(f"Weight decay: \\({self.J}\\) adds \\({decay.latex}\\) over the weights "
                         f"{names} (not the biases), with \\(\\lambda = {num.fraction(decay.rate)}\\); each "
                         f"weight's gradient gains \\({fill(decay.latex_derivative, w='W')}\\).")
        fused = self.fused_note()
        if not items and not fused:
            return ""
        return "**Conventions.**\n\n" + "".join(f"- {t}\n" for t in items) + ("\n" + fused if fused else "")

    def fused_pre(self) -> str | None:
        """The output layer's pre-activation when the loss is meant for its activation (fused)."""
        loss_node = self.g.objective
        out = self.g.node(loss_node.inputs[0])
        if op_for(out).name == self.op(loss_node.name).output_activation:
            return out.inputs[0]
        return None

    def fused_note(self) -> str:
        """Why dJ/dz of the output layer is (yhat - y)/m: the op entry's chain rule, per sample."""
        pre = self.fused_pre()
        if pre is None:
            return ""
        loss_node = self.g.objective
        loss = self.op(loss_node.name)
        out = loss_node.inputs[0]
        fused = fill(loss.latex_fused, yhat=whole(self.g, out), y=whole(self.g, loss_node.inputs[1]))
        batch = self.s.values[out].shape[1] > 1
        return ("The loss is meant for this output activation: for one sample, the chain rule through "
                "both gives\n" + _display(loss.fused_why)
                + f"\nso \\({partial(self.J, whole(self.g, pre))} = "
                + (f"\\frac{{1}}{{m}}\\left({fused}\\right)" if batch else fused)
                + "\\)" + (" (the mean over the batch)" if batch else "")
                + ": the fused form, checked on this page's numbers in the backward pass.\n")

    def question(self, q: Question, answer: object) -> str:
        head = f"{question_heading(q.number, q.text)}\n{claim_boxes.addition_label(q)}\n{q.text.strip()}\n"
        if q.note:
            head += f"\n*Note: {q.note.strip()}*\n"
        body = getattr(self, f"_{type(answer).__name__.lower()}")(q, answer)
        return head + f"\n{solution_fold(q.number)}\n" + _indent(body) + "\n"

    def _check_line(self, c: fd.Check) -> str:
        """The check of one printed derivative, as a bound (never the measured error)."""
        if c.kink:
            return (f"*Check:* a kink, where the function is not differentiable; its one-sided "
                    f"differences are \\({num.number(c.left, self.figs)}\\) and "
                    f"\\({num.number(c.right, self.figs)}\\), and the value above, by "
                    f"{self.kink_conventions()}, matches one of them.\n")
        return f"*Check:* its central finite difference agrees within the tolerance ({tolerance()}).\n"

    def _entries_check(self, checks) -> str:
        """The check of a whole matrix of derivatives, entry by entry, as bounds."""
        kinks = sum(c.kink for c in checks)
        smooth = len(checks) - kinks
        text = f"*Check:* {'the' if len(checks) == 1 else 'each of the'} {num.count(len(checks), 'entry', 'entries')} against its central difference"
        if smooth:
            text += f", {'within' if smooth == len(checks) else 'the others within'} the tolerance ({tolerance()})"
        if kinks:
            text += (f"; {num.count(kinks, 'entry', 'entries')} on a kink, matched one-sided by "
                     f"{self.kink_conventions()}")
        return text + ".\n"

    # ------------------------------------------------------------ one renderer per answer kind

    def _drawing(self, q: Question, a: Drawing) -> str:
        if a.kind == "network":
            net = self.p.network
            sizes = " - ".join(str(s) for s in [net.input_size] + [l.size for l in net.layers])
            text = (f"A {sizes} network: {net.input_size} inputs, "
                    + ", ".join(f"{l.size} {l.activation} unit{'s' if l.size > 1 else ''}" for l in net.layers)
                    + ". ")
            if net.bias == "folded":
                text += ("Each layer but the last also feeds a constant unit 1, whose weight (column 0 "
                         "of the next weight matrix) is that neuron's bias. ")
            if dot.collapsed(self.p, self.g):
                text += ("Too many units to draw one by one: each layer is one box, and each arrow "
                         "carries the shape of its weight matrix.\n\n")
                alt = (f"Layer diagram of the {sizes} network, one box per layer, the shape of each "
                       "weight matrix on the arrows")
            else:
                text += ("The numbers on the edges are the given weights, each written near the neuron "
                         "it feeds and in that neuron's colour.\n\n")
                alt = (f"Layer diagram of the {sizes} network: "
                       + "; ".join(f"layer {l}: {layer.size} {layer.activation} unit{'s' if layer.size > 1 else ''}"
                                   for l, layer in enumerate(net.layers, 1))
                       + ", with the given weight on each edge")
            return text + self.figure(NETWORK_SVG, alt)
        return self.graph_figures()

    def _weightmatrices(self, q: Question, a: WeightMatrices) -> str:
        net = self.p.network
        fan_in = [net.input_size] + [l.size for l in net.layers]
        rows = []
        for l, (name, shape) in enumerate(zip(a.names, a.shapes), start=1):
            why = f"{shape[0]} unit{'s' if shape[0] > 1 else ''} in layer {l}"
            cols = f"{fan_in[l - 1]} inputs"
            if net.bias == "folded":
                cols += " + 1 bias column"
            rows.append(f"| \\({self.g.node(name).latex}\\) | \\({shape[0]} \\times {shape[1]}\\) | "
                        f"{why} | {cols} |")
        table = "| matrix | shape | rows | columns |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
        if q.ask == "weight_count":
            listed = ", ".join(rf"\({self.g.node(n).latex}\)" for n in a.names)
            return f"One weight matrix per layer of neurons: **{len(a.names)}** ({listed}).\n\n" + table
        return ("Row \\(i\\) of \\(W_l\\) holds the weights into neuron \\(i\\) of layer \\(l\\); "
                "its columns match the entries of the layer's input vector"
                + (" with the extra 1 in front" if net.bias == "folded" else "") + ".\n\n" + table)

    def _value(self, q: Question, a: Value) -> str:
        node = self.g.node(a.node)
        steps = self._forward_steps(node.name)
        if a.elem is not None:
            value = num.equals(self.val(a.elem), self.exact_of(a.elem), self.figs)
            return steps + f"\n**Answer.** \\({self.sym(a.elem)} {value}\\)\n"
        return steps + f"\n**Answer.** \\({whole(self.g, node.name)} {self._whole_value(node.name)}\\)\n"

    def _whole_value(self, name: str) -> str:
        m = self.oriented(name, self.s.values[name])
        if m.size == 1:
            return num.equals(float(m[0, 0]), self.exact_of(Elem(name, (0, 0))), self.figs)
        relation = "=" if num.is_exact(m, self.figs) else r"\approx"
        return f"{relation} {num.numeric_matrix(m, self.figs)}"

    def _forward_steps(self, name: str) -> str:
        """The op's forward rule on the numbers, by the printer of its entry's class (as sympy's
        printers: _forward_linear, _forward_activation, _forward_loss)."""
        node = self.g.node(name)
        if node.is_leaf:
            return ""
        op = op_for(node)
        return getattr(self, f"_forward_{type(op).__name__.lower()}")(node, op)

    def _forward_activation(self, node, act) -> str:
        """z = g(a), entry by entry (a batch: the whole matrix)."""
        name, args = node.name, node.inputs
        rows, cols = node.shape
        if cols > 1:  # a batch: the element-wise rule, then the whole matrix
            rule = fill(act.latex, a=whole(self.g, args[0]))
            return _display(f"{whole(self.g, name)} &= {rule} {self._whole_value(name)}")
        lines = []
        for i in range(rows):
            a, z = Elem(args[0], (i, 0)), Elem(name, (i, 0))
            formula = fill(act.latex, a=self.sym(a))
            applied = fill(act.latex, a=num.operand(self.val(a), self.figs))
            links = num.worked(applied, [self.val(a)], self.val(z), self.exact_of(z), self.figs)
            lines.append(f"{self.sym(z)} &= {formula} {' '.join(links)}")
        return _display(*lines)

    def _forward_loss(self, node, loss) -> str:
        """J = the mean of the per-output losses (+ the weight decay), term by term when few."""
        name, args = node.name, node.inputs
        pred, target = args[:2]
        outputs, batch = self.g.node(pred).shape
        terms, numbers, operands = [], [], []
        each = loss.per_output(self.s.values[pred], self.s.values[target])
        for k in range(batch):
            for i in range(outputs):
                if each[i, k] == 0 and loss.clip:  # -0 log yhat: a class the sample is not in
                    continue
                yh, y = Elem(pred, (i, k)), Elem(target, (i, k))
                terms.append(fill(loss.latex, y=self.sym(y), yhat=self.sym(yh)))
                numbers.append(fill(loss.latex, y=num.operand(self.val(y), self.figs),
                                    yhat=num.operand(self.val(yh), self.figs)))
                operands += [self.val(y), self.val(yh)]
        divisor = loss.divisor(outputs, batch)
        mean = f"\\frac{{1}}{{{divisor}}}" if divisor > 1 else ""
        wrap = (lambda t: f"{mean}\\left({t}\\right)") if divisor > 1 else (lambda t: t)  # noqa: E731
        join = lambda ts: " + ".join(ts).replace("+ -", "- ")  # noqa: E731
        value = num.equals(float(self.s.values[name][0, 0]), self.exact_of(Elem(name, (0, 0))), self.figs)
        decay = loss.decay
        if decay is not None:  # + (lambda/2) sum ||W||^2 over the decayed weights
            norms = " + ".join(rf"\lVert {self.g.node(w).latex} \rVert^{{2}}" for w in args[2:])
            squares = sum(float(np.sum(self.s.values[w] ** 2)) for w in args[2:])
            lam = num.fraction(decay.rate)
            penalty = (rf" + \frac{{\lambda}}{{2}}\left({norms}\right)",
                       rf" + \frac{{{lam}}}{{2}} \cdot {num.operand(squares, self.figs)}")
        else:
            penalty = ("", "")
        if len(terms) > MAX_EXPANDED:
            if decay is None:
                return _display(f"{node.latex} &{value}")
            each = fill(loss.latex, y="y_{i,k}", yhat=r"\hat{y}_{i,k}")
            return _display(f"{node.latex} &= {mean}\\sum_{{k,i}} {each}{penalty[0]} {value}")
        links = num.worked(wrap(join(numbers)) + penalty[1], operands + ([squares] if decay is not None else []),
                           float(self.s.values[name][0, 0]), self.exact_of(Elem(name, (0, 0))), self.figs)
        return _display(f"{node.latex} &= {wrap(join(terms))}{penalty[0]} {' '.join(links)}")

    def _forward_linear(self, node, lin) -> str:
        """a = W x~ (+ b), each product written out when few."""
        x_name, w_name = node.inputs[0], node.inputs[1]
        xt = lin.augment(self.s.values[x_name])
        w = self.s.values[w_name]
        x_sym = whole(self.g, x_name)
        rows = []
        if node.op == "folded":
            rows.append(f"\\tilde{{{x_sym}}} &= {num.numeric_matrix(xt, self.figs)} "
                        f"\\quad \\text{{(a 1 in front of }} {x_sym} \\text{{)}}")
            x_sym = f"\\tilde{{{x_sym}}}"
        bias = " + " + whole(self.g, node.inputs[2]) if node.op == "separate" else ""
        lead = f"{whole(self.g, node.name)} &= {self.g.node(w_name).latex} {x_sym}{bias}"
        result = self._whole_value(node.name)
        if xt.shape[1] > 1 or xt.shape[0] > MAX_EXPANDED or w.shape[0] > MAX_EXPANDED:
            rows.append(f"{lead} {result}")  # too big (or a batch) to write every product
            return _display(*rows)
        b = self.s.values[node.inputs[2]] if bias else None
        sums = [" + ".join(f"{num.operand(w[i, j], self.figs)} \\cdot {num.operand(xt[j, 0], self.figs)}"
                           for j in range(xt.shape[0]))
                + (f" + {num.operand(b[i, 0], self.figs)}" if b is not None else "")
                for i in range(w.shape[0])]
        product = sums[0] if len(sums) == 1 else num.matrix([[t] for t in sums])
        operands = [w, xt] + ([b] if b is not None else [])
        if not all(num.is_exact(m, self.figs) for m in operands):  # rounded numbers substituted
            m = self.s.values[node.name]
            rows.append(f"{lead} \\approx {product} \\approx " + (
                self.n(float(m[0, 0])) if m.size == 1 else num.numeric_matrix(m, self.figs)))
            return _display(*rows)
        rows.append(f"{lead} = {product} {result}")
        return _display(*rows)

    def _classification(self, q: Question, a: Classification) -> str:
        sym = whole(self.g, a.node)
        cmp = "\\ge" if a.probability >= a.threshold else "<"
        text = (f"The output \\({sym} = {self.n(a.probability)}\\) is the predicted probability of "
                f"class {q.labels[1]}. With the threshold \\({num.fraction(a.threshold)}\\): "
                f"\\({self.n(a.probability)} {cmp} {num.fraction(a.threshold)}\\).\n\n"
                f"**Answer.** The model classifies \\({whole(self.g, self.p.network.input_name)}\\) "
                f"as **{a.label}**.")
        y = self.s.values[self.p.network.target_name]
        if y.size == 1:
            truth = self.n(float(y[0, 0]))
            verdict = "correct" if truth == a.label else "wrong"
            text += f" The label is \\(y = {truth}\\), so this prediction is {verdict}."
        return text + "\n"

    def _factor_name(self, f: Factor) -> str:
        if f.role == "decay":  # the direct path: the penalty's own derivative, not all of dJ/dW
            penalty = self.op(f.out.node).decay.latex
            return rf"\frac{{\partial}}{{\partial {self.sym(f.inp)}}}\left({penalty}\right)"
        return partial(self.sym(f.out), self.sym(f.inp))

    def _factor_formula(self, f: Factor) -> tuple[str, str]:
        """The factor's formula in symbols, and with numbers substituted."""
        if f.role == "decay":
            decay = self.op(f.out.node).decay
            w = self.sym(f.operands["w"])
            return (fill(decay.latex_derivative, w=w),
                    f"{num.fraction(decay.rate)} \\cdot {num.operand(self.val(f.operands['w']), self.figs)}")
        t = f.latex
        names = {k: self.sym(e) for k, e in f.operands.items()}
        # a lone placeholder needs no parentheses around a negative number
        put = num.number if t.strip() in {"{x}", "{w}"} else num.operand
        values = {k: put(self.val(e), self.figs) for k, e in f.operands.items()}
        return fill(t, **names), fill(t, **values)

    def _local(self, q: Question, a: Local) -> str:
        f = a.factor
        op = self.op(f.out.node)
        symbolic, numeric = self._factor_formula(f)
        rows = []
        lead = self._factor_name(f)
        in_input = fill(f.latex_in_input, **{k: self.sym(e) for k, e in f.operands.items()})
        if in_input and in_input != symbolic:  # g'(a) as derived, before its simpler form
            rows.append(f"{lead} &= {in_input}")
            lead = ""
        terms = op.entry_terms(self.g.node(f.out.node), f.out, self.s.values)
        if terms:  # the entry written out, so the term holding the input stands out
            rows.append(f"{self.sym(f.out)} &= " + " + ".join(" ".join(self.sym(e) for e in t) for t in terms))
        value = num.equals(f.value, f.exact, self.figs)
        if f"= {numeric}" != value and numeric != symbolic:
            operands = [self.val(e) for e in f.operands.values()]
            value = " ".join(num.worked(numeric, operands, f.value, f.exact, self.figs))
        rows.append(f"{lead} &= {symbolic} {value}")
        text = _display(*rows)
        if op.kinks and not a.rule:
            text += f"\nConvention at the kink: \\({op.convention}\\).\n"
        return self._rule(op, a) + text + "\n" + self._check_line(a.check)

    def _rule(self, op, a: Local) -> str:
        """An activation's derivative for any input (rule: x in the problem file), before the
        entry the question is worked on: g'(x) as the op table writes it, then its simpler form."""
        if not a.rule:
            return ""
        x = a.rule
        g = fill(op.latex, a=x)
        rows = [f"\\frac{{d}}{{d{x}}}\\, {g} &= {fill(op.latex_derivative_in_a, a=x, z=g)}"]
        simpler = fill(op.latex_derivative, a=x, z=g)
        if simpler != fill(op.latex_derivative_in_a, a=x, z=g):
            rows.append(f"&= {simpler}")
        text = f"For any input \\({x}\\):\n\n" + _display(*rows)
        if op.kinks:
            text += f"\nConvention at the kink: \\({op.convention}\\).\n"
        span = f"\\({num.number(RULE_POINTS[0], self.figs)}\\) to \\({num.number(RULE_POINTS[-1], self.figs)}\\)"
        text += (f"\n*Check:* at {num.count(len(a.rule_checks), 'point', 'points')} \\({x}\\) from {span}"
                 + (", away from the kink," if op.kinks else "")
                 + f" this rule agrees with the central difference of the activation within the tolerance "
                 f"({tolerance()}).\n\n")
        return text + f"Here, for \\({self.sym(a.factor.out)}\\):\n\n"

    def _chain(self, q: Question, a: Chain) -> str:
        param = self.sym(a.param)
        top = self.J if a.of is None else self.sym(a.of)
        lhs = partial(top, param)
        if not a.paths and a.exact == 0:
            general = ""
            if a.index is not None and a.index.free and a.index.rhs == 0:  # zero at every index
                general = self.index_general(a.index, a.of) + f"Here, at \\({self.index_at(a.index)}\\): "
            return (general + f"\\({top}\\) does not depend on \\({param}\\): no path of the computation graph "
                    f"leads from \\({param}\\) to \\({top}\\), so\n\n" + _display(f"{lhs} &= 0")
                    + "\n" + self._check_line(a.check))
        if not a.paths:
            return self._delta_form(q, a)
        general = self.index_general(a.index, a.of) if a.index is not None and a.index.free else ""
        names = " + ".join(" ".join(self._factor_name(f) for f in path) for path in a.paths)
        rows = [f"{lhs} &= {names}"]
        if len(a.paths) > 1:
            intro = (f"\\({param}\\) reaches \\({top}\\) along {len(a.paths)} paths; the multivariate chain "
                     "rule adds one product of local derivatives per path.\n\n")
        else:
            route = " \\to ".join([param] + [self.sym(f.out) for f in reversed(a.paths[0])])
            intro = (f"\\({param}\\) reaches \\({top}\\) along one path, \\({route}\\); the chain rule "
                     "multiplies the local derivative of each step, from the output down.\n\n")
        formulas = [[self._factor_formula(f) for f in path] for path in a.paths]
        rows.append("&= " + " + ".join(" \\cdot ".join(_group(s) for s, _ in path) for path in formulas))
        if general:
            intro = general + f"Here, at \\({self.index_at(a.index)}\\), " + intro[0].lower() + intro[1:]
        if q.ask == "chain":
            return intro + _display(*rows) + self.path_figure(a)
        numbers = " + ".join(" \\cdot ".join(f"{num.operand(f.value, self.figs)}" for f in path)
                             for path in a.paths)
        factors = [f.value if f.exact is None else f.exact for path in a.paths for f in path]
        rows += [f"&{link}" for link in num.worked(numbers, factors, a.value, a.exact, self.figs)]
        return intro + _display(*rows) + "\n" + self._check_line(a.check) + self.path_figure(a)

    _gradient = _chain

    def _matrixgradient(self, q: Question, a: MatrixGradient) -> str:
        top = self.J if a.of is None else self.sym(a.of)
        wrt = whole(self.g, a.wrt)
        shown = self.oriented(a.wrt, a.value)
        rows, cols = shown.shape
        text = (f"One partial derivative per entry of \\({wrt}\\) (\\({rows} \\times {cols}\\)), "
                f"arranged like \\({wrt}\\) (denominator layout).\n\n")
        if a.index is not None:
            text += self.index_general(a.index, a.of)
        named = self.backward.delta_name(a.wrt) if self.backward and a.of is None else None
        if a.of is None and a.wrt == self.fused_pre():
            text += self.fused_note() + "\n"
        text += (self.general_formula(a.wrt) if a.of is None else "") + _display(
            f"{named or partial(top, wrt)} &{'=' if num.is_exact(a.value, self.figs) else chr(92) + 'approx'} "
            f"{num.numeric_matrix(shown, self.figs)}")
        text += "\n" + self._entries_check(a.checks)
        return text

    def _delta_form(self, q: Question, a: Chain) -> str:
        """Many paths: the chain rule as sums over the units between, from the matrix formulas."""
        param = self.sym(a.param)
        top = self.J if a.of is None else self.sym(a.of)
        f = a.index
        text = (f"\\({param}\\) reaches \\({top}\\) along many paths. The chain rule adds one product "
                "of local derivatives per path; reading the matrix formulas entry by entry writes that "
                "sum with an index per layer between"
                + (" (see [the backward pass](#backward-pass))" if self.backward else "") + ".\n\n")
        if f.free:
            text += self.index_general(f, a.of) + f"Here, at \\({self.index_at(f)}\\):\n\n"
        rows = [f"{partial(top, param)} &= {self.index_expr(f.rhs.xreplace(f.at))}"]
        written_out = self.index_expr(f.instance)
        if written_out != self.index_expr(f.rhs.xreplace(f.at)):  # the sums, term by term
            rows.append(f"&= {written_out}")
        rows += [f"&= {self.index_numbers(f.instance)}", f"&{num.equals(a.value, a.exact, self.figs)}"]
        return text + _display(*rows) + "\n" + self._check_line(a.check)

    # ------------------------------------------------------------ index forms

    def index_table(self) -> dict:
        if not hasattr(self, "_index_table"):
            self._index_table = value_table(self.p, self.g, self.s.values, self.s.grads, self.p.vectors == "row")
        return self._index_table

    def index_expr(self, expr) -> str:
        return index_latex(expr, self.p, self.g, self.figs)

    def index_numbers(self, expr) -> str:
        return numbers_latex(expr, self.index_table(), self.p, self.g, self.figs)

    def index_entry(self, name: str, index: tuple) -> str:
        """The entry of ``name`` a question names, e.g. W^{2}_{i,j} or h^{1}_{1,j}."""
        node = self.g.node(name)
        if node.kind not in ("param", "const") and self.p.vectors == "row":
            index = (1,) + tuple(index) if len(index) == 1 else (index[1], index[0])  # (sample, unit)
        return self.index_expr(sp.Indexed(sp.IndexedBase(name), *index))

    def index_general(self, f, of) -> str:
        """'For every i, j:' and the entry with its free indices, checked at every index."""
        top = self.J if f.of is None else self.index_entry(f.of, f.of_index)
        entry = self.index_entry(f.wrt, f.wrt_index)
        lhs = partial(top, entry)
        named = self.backward.delta_name(f.wrt) if self.backward and f.of is None else None
        if named:  # delta^{[l]}_{j,k} := dJ/dZ^{[l]}_{j,k}
            lhs = self.index_expr(sp.Indexed(sp.IndexedBase(f"delta_{f.wrt}"),
                                             *sp.Indexed(sp.IndexedBase(f.wrt), *self._page(f)).indices)) + " = " + lhs
        letters = ", ".join(sorted(str(s) for s in f.free))
        rows = [f"{lhs} &= {self.index_expr(f.rhs)}"]
        chain = self.delta_chain(f) if f.of is None else ""
        if chain:
            rows = [f"{lhs} &= {chain}", f"&= {self.index_expr(f.rhs)}"]
        column = ""
        if [str(x) for x in f.free] == ["k"] and f.of is None:  # one entry per sample: the vector
            unit = f.wrt_index[0] - 1
            values = self.s.grads[f.wrt][unit, :]
            dots = (r"\cdot," + str(f.wrt_index[0])) if self.p.vectors == "row" else (str(f.wrt_index[0]) + r",\cdot")
            vector = self.index_expr(sp.Indexed(sp.IndexedBase(f.wrt), sp.Symbol("DOTS"))).replace("DOTS", dots)
            column = ("\nthat is, one entry per sample, as a vector:\n\n" + _display(
                f"{partial(top, vector)} &\\approx {num.numeric_matrix(values.reshape(-1, 1), self.figs)}"))
        return (f"For every \\({letters}\\), reading the matrix formulas entry by entry"
                + (" (the multivariate chain rule: the entry reaches the loss only through its "
                   "activation, which feeds every unit of the layer above)" if chain else "") + ":\n\n"
                + _display(*rows) + self.definitions(f) + column + "\n" + CHECK_MARK + "\n\n")

    def _page(self, f) -> tuple:
        node = self.g.node(f.wrt)
        index = f.wrt_index
        if node.kind not in ("param", "const") and self.p.vectors == "row":
            return (1,) + tuple(index) if len(index) == 1 else (index[1], index[0])
        return index

    def delta_chain(self, f) -> str:
        """For the delta of a hidden layer: the chain rule's sum over the units of the layer above,
        written with the graph's own symbols (z -> h -> the next z)."""
        node = self.g.node(f.wrt)
        if node.kind != "linear":
            return ""
        post = self.g.consumers(node.name)[0]
        above = [c for c in self.g.consumers(post.name) if c.kind == "linear"]
        if not above or len(f.wrt_index) < 1:
            return ""
        k = sp.Symbol("p", integer=True, positive=True)
        own = self._page(f)
        sample = own[1:] if self.p.vectors != "row" else own[:1]
        def ent(name, unit):
            idx = (unit,) + tuple(sample) if self.p.vectors != "row" else tuple(sample) + (unit,)
            if self.p.vectors == "row" and len(idx) == 1:
                idx = (1,) + idx
            return self.index_expr(sp.Indexed(sp.IndexedBase(name), *idx))
        j = f.wrt_index[0]
        nxt = above[0].name
        up = self.backward.delta_name(nxt)
        up_entry = self.index_expr(sp.Indexed(sp.IndexedBase(f"delta_{nxt}"), *sp.Indexed(
            sp.IndexedBase(nxt), *((k,) + tuple(sample) if self.p.vectors != "row" else tuple(sample) + (k,))).indices)) \
            if up else partial(self.J, ent(nxt, k))
        n_above = self.s.values[nxt].shape[0]
        return (f"\\sum_{{p=1}}^{{{n_above}}} {up_entry}\\, {partial(ent(nxt, k), ent(post.name, j))}\\, "
                f"{partial(ent(post.name, j), ent(node.name, j))}")

    def definitions(self, f, step=None) -> str:
        """The 'where' lines: each intermediate quantity written out, down to the given ones."""
        if not f.definitions:
            return ""
        rows = [f"{index_latex(lhs, self.p, self.g, self.figs, step)} &= {index_latex(rhs, self.p, self.g, self.figs, step)}"
                + (f" \\quad (\\text{{every }} {unit})" if unit is not None else "")
                for lhs, rhs, unit in f.definitions]
        return "\nwhere\n\n" + _display(*rows)

    def index_at(self, f) -> str:
        return ", ".join(f"{s} = {v}" for s, v in f.at.items())

    def _update(self, q: Question, a: Update) -> str:
        eta = num.fraction(a.rate)
        text = ("One step of gradient descent moves each parameter against its gradient at the current "
                "values, with the step size \\(\\eta\\).\n\n")
        general = self.general_update(a)
        if general:
            text += "In general:\n\n" + general + "\nOn this instance, with \\(\\eta = " + eta + "\\):\n\n"
        rows = []
        for step in a.steps:
            if isinstance(step, MatrixStep):
                name = self.g.node(step.gradient.wrt).latex
                exact = num.is_exact(step.gradient.value, self.figs)
                rows.append(f"{self.backward.step(name, 't+1') if self.backward else name} "
                            f"&{num.relation(step.gradient.value, self.figs)} "
                            f"{num.numeric_matrix(step.old, self.figs)} - {eta} "
                            f"{num.numeric_matrix(step.gradient.value, self.figs)} "
                            f"{num.relation(step.new, self.figs) if exact else chr(92) + 'approx'} "
                            f"{num.numeric_matrix(step.new, self.figs)}")
                continue
            p = self.sym(step.param)
            applied = f"{num.fraction(step.old)} - {eta} \\cdot {num.operand(step.gradient, self.figs)}"
            links = num.worked(applied, [step.gradient], step.new, step.exact_new, self.figs)
            rows.append(f"{{{p}}}^{{\\text{{new}}}} &= {p} - \\eta {partial(self.J, p)} {' '.join(links)}")
        text += _display(*rows)
        return text + "\n" + "\n".join(
            f"\\({partial(self.J, self.sym(s.param))}\\): " + self._check_line(s.check) if isinstance(s, Step)
            else f"\\({partial(self.J, self.g.node(s.gradient.wrt).latex)}\\): " + self._entries_check(s.gradient.checks)
            for s in a.steps)

    def general_update(self, a: Update) -> str:
        """W_{t+1} = W_t - eta dJ/dW for each parameter, in matrix form and, where the question names
        entries, entry by entry in the given quantities."""
        if self.backward is None:
            return ""
        eqs = [self.backward.f.for_node(s.gradient.wrt if isinstance(s, MatrixStep) else s.param.node, "update")
               for s in a.steps]
        if not all(eqs):
            return ""
        text = self.backward.block(tuple(eqs))
        if a.expanded:  # in the given quantities only, as the question asks
            text += ("\nWritten out in the given quantities at step \\(t\\):\n\n"
                     + self.backward.block(a.expanded))
        for f in a.indexes:
            step = lambda sym, index: self.backward.entry_step(sym, index, "t")  # noqa: E731
            new = self.backward.entry_step(self.g.node(f.wrt).latex, ",".join(str(x) for x in f.wrt_index), "t+1")
            old = self.backward.entry_step(self.g.node(f.wrt).latex, ",".join(str(x) for x in f.wrt_index), "t")
            grad = index_latex(f.rhs, self.p, self.g, self.figs, step)
            text += ("\nEntry by entry, in the given quantities at step \\(t\\):\n\n"
                     + _display(f"{new} &= {old} - \\eta\\, {_group(grad) if ' ' in grad else grad}")
                     + self.definitions(f, step) + "\n" + CHECK_MARK + "\n")
        return text

    def _parametercount(self, q: Question, a: ParameterCount) -> str:
        lines = []
        for what, count, how in a.rows:
            if "@" in what:
                act, layer = what.split("@")
                lines.append(f"- the {act} activation of layer {layer}: applied element-wise, it has no "
                             f"weights: **0**")
            else:
                node = self.g.node(what)
                lines.append(f"- \\({node.latex}\\): \\({how} = {count}\\) "
                             + self._count_breakdown(what, node.shape))
        scope = f"layer {a.layer}" if a.layer else "the whole network"
        return "\n".join(lines) + f"\n\n**Answer.** {a.total} learned parameters in {scope}" + (
            f" ({a.part} part)" if a.part != "all" else "") + ".\n"

    def _count_breakdown(self, name: str, shape: tuple[int, int]) -> str:
        if self.p.network.bias == "folded":
            biases = "bias" if shape[0] == 1 else "biases"
            return f"({shape[0] * (shape[1] - 1)} weights and {shape[0]} {biases}, folded into column 0)"
        return ""

    def _matrixclaims(self, q: Question, a: MatrixClaims) -> str:
        symbol = lambda name: self.g.node(name).latex
        x = self.g.node(self.p.network.input_name).latex
        return "\n".join(claim_boxes.matrix_claim_box(r, symbol, self.J, self.figs, x) for r in a.results)

    def _prose(self, q: Question, a: Prose) -> str:
        text = a.text.strip() + "\n"
        if a.collapsed is None:
            return text
        names = " ".join(self.g.node(l.weight).latex for l in reversed(self.p.network.layers))
        return text + ("\n*Generated check of the collapse.* With every activation replaced by the "
                       "identity, this network computes \\(\\hat{y} = W \\tilde{\\mathbf{x}}\\) for the "
                       f"single matrix obtained by multiplying out the layers (\\({names}\\), each with its "
                       "bias row kept):\n\n"
                       + _display(f"W &= {num.numeric_matrix(a.collapsed, self.figs)}")
                       + "\nso a network without nonlinearities is one linear model.\n")
