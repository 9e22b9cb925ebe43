"""A safe parser for the scalar formulas a problem file may hold, e.g. ``sin(x) * x^2``.

The text is read by a hand-written tokenizer and a recursive-descent parser that builds sympy
objects directly (sympy.Symbol, sympy.Integer, sympy.Rational, sympy.sin, ...). Nothing in the
text is ever evaluated as Python: no eval, exec, compile, sympify or parse_expr.

Grammar (``^`` binds tightest and groups to the right; ``-x^2`` is ``-(x^2)``)::

    formula  := sum END
    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/') unary)*
    unary    := ('-' | '+') unary | power
    power    := atom ('^' unary)?
    atom     := NUMBER | VARIABLE | FUNCTION '(' sum (',' sum)* ')' | '(' sum ')'

Numbers are integers or decimals (``0.1`` is exactly 1/10). Variables are only the names the
caller declares; functions only the whitelist below (and names the caller declares as unknown
functions, e.g. ``phi``). Everything else is a ParseError naming the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Iterator

import sympy as sp

from ..errors import GeneratorError
from ..graph.ops import ACTIVATIONS, sigma

MAX_LENGTH = 500  # characters
MAX_DEPTH = 50  # nested parentheses, function calls, signs and powers
MAX_DIGITS = 1000  # exact numbers may have at most about this many digits
MAX_BITS = 3322  # the same, in bits

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
DECLARABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _log(x: sp.Expr, base: sp.Expr | None = None) -> sp.Expr:
    return sp.log(x) if base is None else sp.log(x, base)


@dataclass(frozen=True)
class Function:
    build: Callable[..., sp.Expr]
    arities: tuple[int, ...]  # how many arguments it takes


# the whitelist, in the order error messages list it; sigma/sigmoid/relu/tanh come from the op table
FUNCTIONS: dict[str, Function] = {
    "sin": Function(sp.sin, (1,)),
    "cos": Function(sp.cos, (1,)),
    "tan": Function(sp.tan, (1,)),
    "exp": Function(sp.exp, (1,)),
    "sinh": Function(sp.sinh, (1,)),
    "cosh": Function(sp.cosh, (1,)),
    "log": Function(_log, (1, 2)),  # log(x) is the natural log; log(x, b) to base b
    "sqrt": Function(sp.sqrt, (1,)),
    "tanh": Function(ACTIVATIONS["tanh"].sym_forward, (1,)),
    "sigma": Function(sigma, (1,)),  # kept as sigma on the page; its rule lives in the op table
    "sigmoid": Function(sigma, (1,)),
    "relu": Function(ACTIVATIONS["relu"].sym_forward, (1,)),
}


class ParseError(GeneratorError):
    """A formula that is not allowed or not well formed; ``column`` is 1-based (None: whole text)."""

    def __init__(self, message: str, column: int | None = None):
        self.message, self.column = message, column
        super().__init__(f"{message} at column {column}" if column is not None else message)


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op" (one of + - * / ^ ( ) ,) or "end"
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``; anything outside the small alphabet is an error."""
    return list(iter_tokens(text))


def iter_tokens(text: str) -> Iterator[Token]:
    """Tokens one at a time, so that the parser reports the first mistake in reading order."""
    i = 0
    while i < len(text):
        ch = text[i]
        col = i + 1
        if ch in " \t\r\n":
            i += 1
            continue
        if ch.isascii() and ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isascii()
                                            and text[i + 1].isdigit()):
            m = NUMBER.match(text, i)
            yield Token("number", m.group(), col)
            i = m.end()
            if i < len(text) and text[i] == ".":
                raise ParseError("unexpected '.' after a number", i + 1)
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = NAME.match(text, i)
            yield Token("name", m.group(), col)
            i = m.end()
            continue
        if text.startswith("**", i):
            raise ParseError("'**' is not allowed; use ^ for powers, e.g. x^2", col)
        if ch in "+-*/^(),":
            yield Token("op", ch, col)
            i += 1
            continue
        raise ParseError(_unexpected(ch), col)
    yield Token("end", "", len(text) + 1)


def _unexpected(ch: str) -> str:
    if ch == ".":
        return "unexpected '.'; attribute access is not allowed"
    if ch in "[]{}":
        return f"unexpected {ch!r}; brackets and indexing are not allowed, use ( ) to group"
    if ch in "'\"`":
        return "unexpected quote; text in quotes is not allowed"
    if ch == ":":
        return "unexpected ':'; only a formula is allowed here"
    return f"unexpected character {ch!r}; expected a number, a name, + - * / ^, parentheses or ','"


class TokenCursor:
    """One token of look-ahead and a nesting guard, shared by the scalar and matrix parsers."""

    def __init__(self, tokens: Iterator[Token]):
        self.tokens = tokens
        self.tok = next(tokens)  # the current token
        self.depth = 0

    def take(self) -> Token:
        tok = self.tok
        if tok.kind != "end":
            self.tok = next(self.tokens)
        return tok

    def at(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def enter(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"the formula is nested too deeply (more than {MAX_DEPTH} levels of "
                             "parentheses, functions, signs or powers)", column)

    def leave(self) -> None:
        self.depth -= 1


class _Parser(TokenCursor):
    def __init__(self, tokens: Iterator[Token], variables: dict[str, sp.Symbol],
                 functions: dict[str, Function]):
        super().__init__(tokens)
        self.variables, self.functions = variables, functions

    def expected_operand(self) -> ParseError:
        names = ", ".join(self.variables) or "none declared"
        funcs = ", ".join(self.functions)
        got = "the end of the formula" if self.tok.kind == "end" else repr(self.tok.text)
        return ParseError(f"expected a number, a variable ({names}) or a function ({funcs}); got {got}",
                          self.tok.column)

    def expected_operator(self) -> ParseError:
        tok = self.tok
        if tok.kind == "op" and tok.text == ",":
            return ParseError("unexpected ','; a comma only separates the arguments of a function",
                              tok.column)
        if tok.kind == "op" and tok.text == ")":
            return ParseError("unexpected ')'; it closes no '('", tok.column)
        return ParseError(f"expected an operator (+ - * / ^) or the end of the formula; got {tok.text!r}",
                          tok.column)

    # -------------------------------------------------------------- grammar

    def formula(self) -> sp.Expr:
        value = self.sum()
        if self.tok.kind != "end":
            raise self.expected_operator()
        return value

    def sum(self) -> sp.Expr:
        value = self.product()
        while self.at("+", "-"):
            op = self.take()
            right = self.product()
            value = _build(lambda a, b: a + b if op.text == "+" else a - b, (value, right), op)
        return value

    def product(self) -> sp.Expr:
        value = self.unary()
        while self.at("*", "/"):
            op = self.take()
            right = self.unary()
            if op.text == "/" and right == 0:
                raise ParseError("division by zero", op.column)
            value = _build(lambda a, b: a * b if op.text == "*" else a / b, (value, right), op)
        return value

    def unary(self) -> sp.Expr:
        if self.at("-", "+"):
            op = self.take()
            self.enter(op.column)
            operand = self.unary()
            self.leave()
            return -operand if op.text == "-" else operand
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if not self.at("^"):
            return base
        op = self.take()
        self.enter(op.column)
        exponent = self.unary()
        self.leave()
        _check_power(base, exponent, op.column)
        return _build(lambda a, b: a ** b, (base, exponent), op)

    def atom(self) -> sp.Expr:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return sp.Rational(Fraction(tok.text).numerator, Fraction(tok.text).denominator)
        if tok.kind == "name" and tok.text in self.variables:
            self.take()
            return self.variables[tok.text]
        if tok.kind == "name" and tok.text in self.functions:
            return self.call()
        if self.at("("):
            self.take()
            self.enter(tok.column)
            value = self.sum()
            self.leave()
            if not self.at(")"):
                raise self.missing_close(tok)
            self.take()
            return value
        raise self.expected_operand()

    def call(self) -> sp.Expr:
        name = self.take()
        func = self.functions[name.text]
        if not self.at("("):
            raise ParseError(f"expected '(' after the function {name.text}; got "
                             + ("the end of the formula" if self.tok.kind == "end" else repr(self.tok.text)),
                             self.tok.column)
        opening = self.take()
        self.enter(name.column)
        args = [self.sum()]
        while self.at(","):
            self.take()
            args.append(self.sum())
        self.leave()
        if not self.at(")"):
            raise self.missing_close(opening)
        self.take()
        if len(args) not in func.arities:
            want = " or ".join(str(n) for n in func.arities)
            plural = "" if func.arities == (1,) else "s"
            raise ParseError(f"{name.text} takes {want} argument{plural}; got {len(args)}", name.column)
        return _build(func.build, tuple(args), name)

    def missing_close(self, opening: Token) -> ParseError:
        got = "the end of the formula" if self.tok.kind == "end" else repr(self.tok.text)
        return ParseError(f"expected ')' to close the '(' at column {opening.column}; got {got}",
                          self.tok.column)


def _bits(r: sp.Rational) -> int:
    return max(abs(r.p).bit_length(), r.q.bit_length())


def _check_power(base: sp.Expr, exponent: sp.Expr, column: int) -> None:
    """Refuse 0 to a negative power, and powers of numbers that would be enormous (9^9^9)."""
    if base == 0 and exponent.is_number and exponent.is_negative:
        raise ParseError("division by zero (0 to a negative power)", column)
    if isinstance(exponent, sp.Rational) and base.is_number and abs(base) != 1:
        bits = _bits(base) if isinstance(base, sp.Rational) else 64
        if bits * abs(exponent.p) > MAX_BITS * exponent.q:
            raise ParseError(f"the number is too large (more than {MAX_DIGITS} digits)", column)


def _build(make: Callable[..., sp.Expr], args: tuple[sp.Expr, ...], at: Token) -> sp.Expr:
    """Apply a sympy constructor; a value sympy cannot form is reported, never raised through."""
    try:
        value = make(*args)
    except (TypeError, ValueError, ArithmeticError, RecursionError) as err:
        raise ParseError(f"cannot compute {at.text!r} here ({type(err).__name__}: {err})", at.column) from None
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError(f"the formula is undefined here ({at.text!r} gives {value})", at.column)
    if any(_bits(r) > MAX_BITS for r in value.atoms(sp.Rational)):
        raise ParseError(f"the number is too large (more than {MAX_DIGITS} digits)", at.column)
    return value


def parse_expression(text: str, variables: Iterable[str] = (), functions: Iterable[str] = ()) -> sp.Expr:
    """Parse ``text`` into a sympy expression.

    ``variables``: the names that may appear (each becomes ``sympy.Symbol(name)``).
    ``functions``: extra names usable as unknown functions, e.g. ``phi`` -> ``sympy.Function('phi')``.
    Raises ParseError (with a 1-based column) for anything else.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected a formula as text; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the formula is too long: expected at most {MAX_LENGTH} characters; got {len(text)}")
    declared = list(dict.fromkeys(variables))
    extra = list(dict.fromkeys(functions))
    for name in declared + extra:
        if not isinstance(name, str) or not DECLARABLE.match(name):
            raise ValueError(f"cannot declare {name!r}: expected a letter, then letters, digits or _")
        if name in FUNCTIONS:
            raise ValueError(f"cannot declare {name!r}: it is a built-in function")
    clash = set(declared) & set(extra)
    if clash:
        raise ValueError(f"declared both as a variable and a function: {', '.join(sorted(clash))}")
    funcs = dict(FUNCTIONS)
    for name in extra:
        funcs[name] = Function(sp.Function(name), tuple(range(1, 9)))
    symbols = {name: sp.Symbol(name) for name in declared}
    if not text.strip():
        raise ParseError("the formula is empty", 1)
    return _Parser(iter_tokens(text), symbols, funcs).formula()


__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "ParseError", "TokenCursor", "parse_expression", "tokenize"]
