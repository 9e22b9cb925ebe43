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


@dataclass(frozen=True)
class Problem:
    """A whole problem file, validated."""

    path: str
    slug: str
    title: str
    handout: str
    section: str
    intro: str
    network: Network
    values: dict[str, Matrix]  # inputs, targets and parameters, as (rows, columns)
    learning_rate: Fraction | None
    significant_figures: int
    symbols: dict[str, str]
    questions: tuple[Question, ...]
    weight_notation: str = "subscript"


@dataclass(frozen=True)
class Handout:
    """One source handout and the order its problems appear in."""

    id: str
    slug: str
    title: str
    file: str
    summary: str
    problems: tuple[Problem, ...] = field(default=())
