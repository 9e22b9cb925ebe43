"""generator/problem/expr.py: formulas become sympy objects through a whitelist grammar, and
anything else (names, attributes, Python syntax) is a ParseError naming the column."""

from __future__ import annotations

import ast
import inspect
import re

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.problem import expr
from generator.problem.expr import MAX_DEPTH, MAX_LENGTH, ParseError, parse_expression

x, y, w, b, x1, x2 = sp.symbols("x y w b x1 x2")
VARS = ["x", "y", "w", "b", "x1", "x2"]
FUNCS = "sin, cos, tan, exp, sinh, cosh, log, sqrt, tanh, sigma, sigmoid, relu"


def parse(text: str, variables=("x",), functions=()):
    return parse_expression(text, variables, functions)


from generator.graph.ops import sigma as named_sigma  # noqa: E402


def sigma(a):
    return 1 / (1 + sp.exp(-a))


def relu(a):
    return sp.Piecewise((a, a > 0), (0, True))


# ---------------------------------------------------------------- what it builds


@pytest.mark.parametrize("text, expected", [
    ("sin(x) * x^2", sp.sin(x) * x**2),
    ("x1 / x2", x1 / x2),
    ("sigma(2*x) - 1", sigma(2 * x) - 1),
    ("sigmoid(2*x) - 1", sigma(2 * x) - 1),
    ("exp(-x)", sp.exp(-x)),
    ("(y - phi(w*x + b))^2", (y - sp.Function("phi")(w * x + b)) ** 2),
    ("cos(x) + tan(y)", sp.cos(x) + sp.tan(y)),
    ("log(x)", sp.log(x)),
    ("log(x, 2)", sp.log(x, 2)),
    ("sqrt(x1^2 + x2^2)", sp.sqrt(x1**2 + x2**2)),
    ("tanh(w*x + b)", sp.tanh(w * x + b)),
    ("relu(x - 1)", relu(x - 1)),
    ("-x^2", -(x**2)),
    ("2^-1", sp.Rational(1, 2)),
    ("x^y^2", x ** (y**2)),
    ("2*x/3", sp.Rational(2, 3) * x),
    ("0.1 + 1.25 + .5 + 3.", sp.Rational(1, 10) + sp.Rational(5, 4) + sp.Rational(1, 2) + 3),
    ("  x\t+\n1 ", x + 1),
    ("--x", x),
    ("+x", x),
    ("(((x)))", x),
    ("x - y - b", x - y - b),
    ("x / y / b", x / y / b),
    ("12345678901234567890", sp.Integer(12345678901234567890)),
])
def test_parses_to_the_hand_built_expression(text, expected):
    result = parse_expression(text, VARS, ["phi"])
    # sigma stays a named function (so pages print it as sigma); it means 1 / (1 + e^-x)
    plain = result.replace(named_sigma, sigma)
    assert plain == expected
    assert sp.simplify(plain - expected) == 0


def test_sigma_keeps_its_name():
    result = parse_expression("sigma(2*x) - 1", VARS)
    assert "sigma" in {type(f).__name__ for f in result.atoms(sp.Function)}


def test_numbers_are_exact():
    assert parse("0.1") == sp.Rational(1, 10)
    assert isinstance(parse("0.1"), sp.Rational)
    assert isinstance(parse("7"), sp.Integer)


def test_variables_are_plain_symbols():
    assert parse("x").free_symbols == {sp.Symbol("x")}


# ---------------------------------------------------------------- malicious inputs


def unknown(got: str, column: int, variables: str = "x") -> str:
    return (f"expected a number, a variable ({variables}) or a function ({FUNCS}); "
            f"got {got} at column {column}")


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('x')", unknown("'__import__'", 1)),
    ("x.__class__", "unexpected '.'; attribute access is not allowed at column 2"),
    ("x.real", "unexpected '.'; attribute access is not allowed at column 2"),
    ("lambda: 1", unknown("'lambda'", 1)),
    ("().__class__.__bases__", unknown("')'", 2)),
    ("exec('1')", unknown("'exec'", 1)),
    ("eval", unknown("'eval'", 1)),
    ("open", unknown("'open'", 1)),
    ("open('/etc/passwd').read()", unknown("'open'", 1)),
    ("__builtins__", unknown("'__builtins__'", 1)),
    ("x + __class__", unknown("'__class__'", 5)),
    ("sin.__globals__", "unexpected '.'; attribute access is not allowed at column 4"),
    ("sin + 1", "expected '(' after the function sin; got '+' at column 5"),
    ("y", unknown("'y'", 1)),
    ("x**2", "'**' is not allowed; use ^ for powers, e.g. x^2 at column 2"),
    ("x[0]", "unexpected '['; brackets and indexing are not allowed, use ( ) to group at column 2"),
    ("[x]", "unexpected '['; brackets and indexing are not allowed, use ( ) to group at column 1"),
    ("{}", "unexpected '{'; brackets and indexing are not allowed, use ( ) to group at column 1"),
    ("'x'", "unexpected quote; text in quotes is not allowed at column 1"),
    ('"x"', "unexpected quote; text in quotes is not allowed at column 1"),
    ("x, 1", "unexpected ','; a comma only separates the arguments of a function at column 2"),
    ("(x, 1)", "expected ')' to close the '(' at column 1; got ',' at column 3"),
    ("sin(x, 1)", "sin takes 1 argument; got 2 at column 1"),
    ("x = 1", "unexpected character '='; expected a number, a name, + - * / ^, parentheses or ',' at column 3"),
    ("x; 1", "unexpected character ';'; expected a number, a name, + - * / ^, parentheses or ',' at column 2"),
    ("2x", "expected an operator (+ - * / ^) or the end of the formula; got 'x' at column 2"),
    ("x)", "unexpected ')'; it closes no '(' at column 2"),
    ("sin(x", "expected ')' to close the '(' at column 4; got the end of the formula at column 6"),
    ("", "the formula is empty at column 1"),
    ("x +", unknown("the end of the formula", 4)),
    ("1/0", "division by zero at column 2"),
    ("x/(x-x)", "division by zero at column 2"),
    ("log(0)", "the formula is undefined here ('log' gives zoo) at column 1"),
    ("9^9^9", "the number is too large (more than 1000 digits) at column 2"),
    ("x\u00b2", "unexpected character '²'; expected a number, a name, + - * / ^, parentheses or ',' at column 2"),
])
def test_rejected_with_an_exact_message(text, message):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert str(err.value) == message


def test_too_long_input_is_rejected():
    text = "+".join(["x"] * 251)  # 501 characters
    assert len(text) == MAX_LENGTH + 1
    with pytest.raises(ParseError) as err:
        parse(text)
    assert str(err.value) == "the formula is too long: expected at most 500 characters; got 501"
    assert err.value.column is None
    parse("+".join(["x"] * 250))  # 499 characters: fine


@pytest.mark.parametrize("make", [
    lambda n: "(" * n + "x" + ")" * n,
    lambda n: "sin(" * n + "x" + ")" * n,
    lambda n: "-" * n + "x",
    lambda n: "x" + "^x" * n,
])
def test_nesting_deeper_than_the_limit_is_rejected(make):
    parse(make(MAX_DEPTH))  # exactly the limit: fine
    with pytest.raises(ParseError) as err:
        parse(make(MAX_DEPTH + 1))
    assert "nested too deeply" in str(err.value) and err.value.column


def test_parse_error_is_a_generator_error():
    from generator.errors import GeneratorError
    assert issubclass(ParseError, GeneratorError)


def test_declared_names_are_checked():
    with pytest.raises(ValueError):
        parse_expression("x", ["__import__"])
    with pytest.raises(ValueError):
        parse_expression("x", ["sin"])
    with pytest.raises(ValueError):
        parse_expression("x", ["x"], ["x"])


def test_the_module_never_evaluates_text():
    """No eval/exec/compile/sympify/parse_expr/S() anywhere in expr.py."""
    source = inspect.getsource(expr)
    tree = ast.parse(source)
    banned = {"eval", "exec", "compile", "sympify", "parse_expr", "S", "__import__", "getattr"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id not in banned, node.id
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "re"):
            assert node.attr not in banned, node.attr  # (re.compile compiles a regular expression)
    assert not re.search(r"\bsympify\b|\bparse_expr\b", source.replace("sympify or parse_expr", ""))


# ---------------------------------------------------------------- any text: parsed or ParseError

ALPHABET = "xyb12 0.+-*/^(),_[]'\"sincoexplgqrtahmdu=:;\\"
FRAGMENTS = ["x", "y", "1", "0", "2.5", ".5", "+", "-", "*", "/", "^", "**", "(", ")", ",", " ",
             "sin(", "cos(", "log(", "sqrt(", "sigma(", "relu(", "exp(", "tanh(", "__", ".", "[", "'"]


def _parse_or_error(text: str) -> None:
    try:
        result = parse_expression(text, ["x", "y", "b"])
    except ParseError as err:
        assert err.column is None or 1 <= err.column <= len(text) + 1
        assert str(err)
        return
    assert isinstance(result, sp.Basic)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_random_text_parses_or_raises_parse_error(text):
    _parse_or_error(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_random_token_soup_parses_or_raises_parse_error(text):
    _parse_or_error(text)
