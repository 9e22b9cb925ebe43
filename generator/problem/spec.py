"""The validated problem: plain, immutable data. Numbers are exact Fractions."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

Matrix = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class Ref:
    """A quantity named in a question, e.g. ``W1[1,2]``; indices as the handout writes them."""

    name: str
    index: tuple[int, ...] = ()

    def __str__(self) -> str:
        return self.name + (f"[{','.join(map(str, self.index))}]" if self.index else "")


@dataclass(frozen=True)
class Layer:
    """One layer: pre = W post_prev (+ b), post = activation(pre)."""

    size: int
    activation: str
    pre: str
    post: str
    weight: str
    bias: str
    fixed: bool = False  # weights given but not learned (e.g. a sum written as a layer of ones)
    slope: Fraction | None = None  # the activation's parameter (leaky ReLU's slope), if it has one


@dataclass(frozen=True)
class Network:
    """A multilayer perceptron and its loss."""

    input_name: str
    input_size: int
    target_name: str
    layers: tuple[Layer, ...]
    bias: str  # folded | separate | none
    loss: str
    loss_name: str
    weight_decay: Fraction | None = None  # lambda of (lambda/2) sum ||W||^2, weights only


VERDICTS = ("correct", "erratum", "convention", "slip")  # what a grader says of a handout statement


@dataclass(frozen=True)
class Verdict:
    """The author's verdict on a handout statement; the generator computes the kind and must agree.

    correct: it holds. erratum: it is mathematically wrong. convention: it holds only under a
    convention the handout does not state (e.g. numerator layout). slip: a notation slip or typo;
    read as meant, it holds (the one kind the generator cannot compute; the reason says why).
    """

    kind: str
    reason: str  # one sentence, shown on the page
    addition: bool = False  # not the handout's: a correct form added for comparison


@dataclass(frozen=True)
class MatrixClaim:
    """A handout's formula for a gradient, e.g. dJ/dW2 = d(Z3) * T(A2); the generator judges it."""

    where: str
    statement: str  # as the handout writes it, in LaTeX
    about: str  # the quantity whose gradient the formula claims to give
    claimed: tuple | None  # the formula read literally (generator.problem.matrix_expr); None: a slip with no formula
    text: str  # the formula as written in the problem file (error messages only, never on a page)
    verdict: Verdict = Verdict("correct", "")
    step: bool = False  # the formula is the parameter after one gradient step (uses eta)
    intended: tuple | None = None  # for an erratum: the nearest correct reading, which must hold
    intended_statement: str = ""  # that reading in LaTeX
    layout: str = "denominator"  # numerator: the handout itself states numerator layout for this formula
    source: str = "handout"  # answer: not the handout's words but a tempting answer to its question


@dataclass(frozen=True)
class Question:
    """One question of the handout and what it asks for."""

    number: str
    text: str
    ask: str
    of: Ref | None = None
    wrt: tuple[Ref, ...] = ()
    layer: int | None = None
    part: str | None = None
    threshold: Fraction | None = None
    labels: tuple[str, str] = ("0", "1")
    answer: str = ""
    note: str = ""
    claims: tuple[MatrixClaim, ...] = ()
    # the entry as the question asks it, with free indices: ("W2", ("i", "j")); ints are fixed
    general: tuple[str, tuple] | None = None
    general_of: tuple[str, tuple] | None = None
    general_each: tuple[tuple[str, tuple], ...] = ()  # an update's entries: one per wrt
    expand: bool = False  # write the general form down to the inputs, target and parameters
    addition: bool = False  # not a question of the handout: added by the site (labelled on the page)
    rule: str = ""  # ask: local of an activation: its derivative stated for any input, named so (x)


@dataclass(frozen=True)
class ProblemHeader:
    """What every kind of problem file has: where it is, its title and its place in a handout."""

    path: str
    slug: str
    title: str
    handout: str
    section: str
    intro: str
    # field path -> 1-based line in the file, for messages about a field found while solving
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False, kw_only=True)

    def where(self, field_path: str) -> str:
        """``file:line: field`` for a message (the line of the field or its nearest parent)."""
        from .yaml_lines import line_of
        line = line_of(self.lines, field_path)
        return f"{self.path}:{line}: {field_path}" if line else f"{self.path}: {field_path}"


@dataclass(frozen=True)
class ValueRange:
    """The numbers a variant may draw for one given value: min..max in steps of ``step``."""

    low: Fraction
    high: Fraction
    step: Fraction


@dataclass(frozen=True)
class VariantSpec:
    """How many seeded variants a problem gets, and the ranges its numbers are drawn from.

    A value without a range keeps its given numbers when it is the target, and otherwise moves
    each entry by up to ``spread`` steps (step 1 for whole numbers, 0.1 for one decimal).
    """

    count: int = 20
    seed: int = 0
    ranges: tuple[tuple[str, ValueRange], ...] = ()

    def range_of(self, name: str) -> ValueRange | None:
        return dict(self.ranges).get(name)


@dataclass(frozen=True)
class Problem(ProblemHeader):
    """A whole problem file, validated."""

    network: Network
    values: dict[str, Matrix]  # inputs, targets and parameters, as (rows, columns)
    learning_rate: Fraction | None
    significant_figures: int
    symbols: dict[str, str]
    questions: tuple[Question, ...]
    weight_notation: str = "subscript"
    vectors: str = "column"  # column | row: how the handout writes a layer's values (and a batch)
    step_notation: str = "subscript"  # W_{t+1} (subscript) or w^{(t+1)} (superscript)
    variants: VariantSpec = field(default_factory=VariantSpec)


@dataclass(frozen=True)
class Handout:
    """One source handout and the order its problems appear in."""

    id: str
    slug: str
    title: str
    file: str
    summary: str
    problems: tuple[Problem, ...] = field(default=())
    addition: bool = False  # problems added beyond the handouts (no source file)


# ---------------------------------------------------------------- scalar expression problems


@dataclass(frozen=True)
class Definition:
    """One named step of a scalar computation, e.g. u = sin(x); ``formula`` is a sympy object."""

    name: str
    formula: object  # sympy.Expr over the variables and earlier names


@dataclass(frozen=True)
class Claim:
    """A formula a handout states; the generator decides whether it holds."""

    where: str  # where the handout says it, e.g. "002, section 1(d), activation table"
    statement: str  # the statement in LaTeX, as the handout writes it
    lhs: object  # sympy.Expr
    rhs: object  # sympy.Expr
    variable: str  # the variable the sample points vary
    lhs_is_derivative_of: object | None = None  # when set, lhs = d/dvariable of this
    verdict: Verdict = Verdict("correct", "")


@dataclass(frozen=True)
class ExpressionQuestion:
    """A question about a scalar computation."""

    number: str
    text: str
    ask: str  # derivative | chain | claims | prose | graph
    of: object | None = None  # a sympy.Expr or a definition name
    of_name: str = ""
    wrt: str = ""
    general: bool = False  # chain with the inner derivatives left as symbols (product/quotient rule)
    forms: tuple = ()  # chain: the form the question asks to show (checked, printed as written)
    via: tuple = ()  # derivative: the function as the question also writes it; each is differentiated
    claims: tuple[Claim, ...] = ()
    answer: str = ""
    note: str = ""
    addition: bool = False  # not a question of the handout: added by the site (labelled on the page)
    growth_claims: tuple = ()  # demo problems: GrowthClaim, a handout's statement about a cost's growth


@dataclass(frozen=True)
class ExpressionProblem(ProblemHeader):
    """A problem file of ``kind: expression``: scalar formulas, their derivatives and claims."""

    variables: tuple[str, ...]
    functions: tuple[str, ...]
    definitions: tuple[Definition, ...]
    point: dict[str, Fraction]
    samples: tuple[Fraction, ...]
    significant_figures: int
    symbols: dict[str, str]
    questions: tuple[ExpressionQuestion, ...]
    variants: VariantSpec = field(default_factory=VariantSpec)  # the point's variables are the values


# ---------------------------------------------------------------- generated demonstrations


@dataclass(frozen=True)
class GrowthClaim:
    """A handout's statement that a cost grows in some way; judged on a measured series of a demo."""

    where: str
    statement: str  # LaTeX, as the handout writes it
    series: str  # which measured count the statement is about (a demo's series name); "" for a slip
    growth: str  # exponential | polynomial: what the handout says
    verdict: Verdict = Verdict("correct", "")
    exponent: object = None  # Fraction: the power the handout states (O(d^k)), or None


@dataclass(frozen=True)
class DemoProblem(ProblemHeader):
    """A problem file of ``kind: demo``: a measured demonstration (operation counts over sizes)."""

    demo: str  # finite_difference_cost | path_blowup
    sizes: tuple[int, ...]
    significant_figures: int
    questions: tuple[ExpressionQuestion, ...]  # prose answers and the demo itself
