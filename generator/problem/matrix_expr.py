"""Matrix formulas a handout states (e.g. ``d(Z3) * T(A2)``), parsed safely into a small tree.

Same tokenizer as the scalar formulas (no eval, no sympify). ``*`` is the matrix product (or a
scalar times a matrix), ``+``/``-`` add, and a few functions are allowed::

    T(A)            transpose
    d(N)            dJ/dN, the gradient of the objective by node N, shaped like N
    hadamard(A, B)  entry-by-entry product
    sumcols(A)      the sum over the batch (columns), a column vector
    step(A)         1 where A > 0, else 0 (the derivative of ReLU with ReLU'(0) := 0)
    ones(A)         a matrix of ones shaped like A
    aug(A)          A with a row of ones on top (the input of a layer whose bias is folded into W)

Names are the network's quantities (values) and ``m``, the batch size.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from .expr import ParseError, Token, TokenCursor, iter_tokens

FUNCTIONS = {"T": 1, "d": 1, "hadamard": 2, "sumcols": 1, "step": 1, "ones": 1, "aug": 1}
Tree = tuple  # ("num", float) | ("name", str) | ("call", name, args) | ("neg", t) | (op, a, b)


def parse_matrix_formula(text: str, names: Iterable[str]) -> Tree:
    """Parse ``text``; every name must be one of ``names`` (or ``m``)."""
    if not isinstance(text, str) or not text.strip():
        raise ParseError("expected a matrix formula such as 'd(Z2) * T(A1)'")
    return _Parser(iter_tokens(text), set(names) | {"m"}).formula()


class _Parser(TokenCursor):
    def __init__(self, tokens: Iterator[Token], names: set[str]):
        super().__init__(tokens)
        self.names = names

    def formula(self) -> Tree:
        tree = self.sum()
        if self.tok.kind != "end":
            raise ParseError(f"expected an operator (+ - *) or the end; got {self.tok.text!r}", self.tok.column)
        return tree

    def sum(self) -> Tree:
        tree = self.product()
        while self.at("+", "-"):
            op = self.take().text
            tree = ("add" if op == "+" else "sub", tree, self.product())
        return tree

    def product(self) -> Tree:
        tree = self.unary()
        while self.at("*", "/"):
            op = self.take()
            right = self.unary()
            if op.text == "/" and right[0] != "num" and right != ("name", "m"):
                raise ParseError("only a division by a number or by m is allowed", op.column)
            tree = ("mul" if op.text == "*" else "div", tree, right)
        return tree

    def unary(self) -> Tree:
        if self.at("-"):
            self.take()
            return ("neg", self.unary())
        return self.atom()

    def atom(self) -> Tree:
        self.enter(self.tok.column)
        tok = self.take()
        try:
            if tok.kind == "number":
                return ("num", float(tok.text))
            if tok.kind == "op" and tok.text == "(":
                tree = self.sum()
                self.expect(")")
                return tree
            if tok.kind == "name" and tok.text in FUNCTIONS:
                self.expect("(")
                args = [self.sum()]
                while self.at(","):
                    self.take()
                    args.append(self.sum())
                self.expect(")")
                if len(args) != FUNCTIONS[tok.text]:
                    raise ParseError(f"{tok.text} takes {FUNCTIONS[tok.text]} argument(s); got {len(args)}",
                                     tok.column)
                if tok.text == "d" and args[0][0] != "name":
                    raise ParseError("d( ) takes the name of a quantity, e.g. d(Z2)", tok.column)
                return ("call", tok.text, tuple(args))
            if tok.kind == "name" and tok.text in self.names:
                return ("name", tok.text)
        finally:
            self.leave()
        got = "the end of the formula" if tok.kind == "end" else repr(tok.text)
        raise ParseError(f"expected a number, a quantity ({', '.join(sorted(self.names))}) or a function "
                         f"({', '.join(FUNCTIONS)}); got {got}", tok.column)

    def expect(self, op: str) -> None:
        if not self.at(op):
            got = "the end of the formula" if self.tok.kind == "end" else repr(self.tok.text)
            raise ParseError(f"expected {op!r}; got {got}", self.tok.column)
        self.take()
