"""Seeded variants and named mistakes (issue 14): deterministic, verified, degenerate draws
rejected, and each mistake what its name says (checked against hand-derived relations)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from generator.problem.load import load_problem
from generator.problem.spec import ValueRange, VariantSpec
from generator.solve import variants as V
from generator.solve.mistakes import mutations, walk

ROOT = Path(__file__).resolve().parents[1]


def _problem(stem: str):
    return load_problem(ROOT / "problems" / f"{stem}.yml", ROOT)


@pytest.fixture(scope="module")
def nnfun():
    return V.make_variants(_problem("002-neural-networks-are-fun"), count=6)


@pytest.fixture(scope="module")
def single():
    return V.make_variants(_problem("003-single-sample"), count=6)


def test_variants_are_byte_identical_run_to_run():
    """Two separate processes print the same bytes for the same count and seed."""
    cmd = [sys.executable, "-m", "generator", "variants", "003-batch", "--count", "4", "--seed", "11"]
    runs = [subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout and len(runs[0].stdout) > 1000


def test_another_seed_gives_other_numbers():
    p = _problem("003-batch")
    a, b = V.make_variants(p, count=2, seed=1), V.make_variants(p, count=2, seed=2)
    assert a.variants[0].problem.values != b.variants[0].problem.values


def test_variant_numbers_are_whole_or_one_decimal_and_differ_from_the_page(single):
    main = _problem("003-single-sample").values
    for v in single.variants:
        assert v.problem.values != main
        for name, m in v.problem.values.items():
            for x in (x for row in m for x in row):
                assert (x * 10).denominator == 1, (name, x)


def test_a_degenerate_draw_is_rejected_and_counted():
    """W1 drawn as all zeros puts every ReLU input at its kink: every draw is rejected for that
    reason and counted; after MAX_ATTEMPTS draws in a row drawing stops with what it has."""
    p = _problem("002-neural-networks-are-fun")
    dead = dataclasses.replace(p, variants=VariantSpec(3, 0, (("W1", ValueRange(Fraction(0), Fraction(0), Fraction(1))),)))
    vs = V.make_variants(dead)
    assert vs.variants == () and vs.wanted == 3
    assert dict(vs.rejected) == {"kink": V.MAX_ATTEMPTS}


def test_a_saturated_draw_is_rejected():
    p = _problem("002-neural-networks-are-fun")
    big = dataclasses.replace(p, variants=VariantSpec(1, 0, (("W2", ValueRange(Fraction(9), Fraction(9), Fraction(1))),)))
    vs = V.make_variants(big)
    assert vs.variants == () and dict(vs.rejected).get("saturated", 0) > 0


def test_rejections_are_reported(nnfun):
    # the page's numbers (sigmoid input -5, a ReLU unit off) make many draws unfit: counted
    assert nnfun.rejected_total > 0 and all(r in V.REASONS for r, _ in nnfun.rejected)


def test_every_kept_mistake_is_told_apart_from_the_answer(nnfun, single):
    for vs in (nnfun, single):
        for v in vs.variants:
            for pr in v.practised:
                for m in pr.mistakes:
                    assert any(np.any(np.abs(x - p.value) > p.tolerance) for x, p in zip(m.values, pr.parts)), \
                        (pr.question.number, m.kinds)


def _mistake(pr, kind):
    return next((m for m in pr.mistakes if kind in m.kinds), None)


def test_mistakes_are_what_their_names_say(nnfun):
    """On dJ/dW2[1,1] of 002 (= 2 (yhat - y) yhat (1 - yhat) z_1; column 0 of W2 is the bias): the
    sign error is its negative, the missing factor 2 its half, without the sigmoid's derivative
    2 (yhat - y) z_1."""
    for v in nnfun.variants:
        pr = next(p for p in v.practised if p.question.number == "3.2.5")
        right = pr.parts[0].value[0, 0]
        yhat, y = v.solution.values["yhat"][0, 0], v.solution.values["y"][0, 0]
        z1 = v.solution.values["z"][0, 0]
        assert np.isclose(right, 2 * (yhat - y) * yhat * (1 - yhat) * z1)
        assert np.isclose(_mistake(pr, "sign").values[0][0, 0], -right)
        assert np.isclose(_mistake(pr, "factor_2").values[0][0, 0], right / 2)
        assert np.isclose(_mistake(pr, "no_derivative:sigmoid").values[0][0, 0], 2 * (yhat - y) * z1)


def test_the_transposed_gradient_is_the_transpose_typed_row_by_row(single):
    """dJ/dW2 of 003 (2x3): the transpose mistake is dJ/dW2^T (3x2) read into the 2x3 boxes."""
    for v in single.variants:
        pr = next(p for p in v.practised if p.question.number == "11")
        m = _mistake(pr, "transpose")
        assert m is not None
        assert np.allclose(m.values[0], pr.parts[0].value.T.reshape(pr.parts[0].value.shape))


def test_the_unmutated_walk_gives_the_verified_gradients(single):
    for v in single.variants:
        s = v.solution
        grads = walk(s.graph, s.values)
        for name in ("W1", "W2", "W3", "h1", "h2"):
            assert np.allclose(grads[name], s.grads[name], rtol=1e-12, atol=1e-15), name


def test_missing_mask_only_where_a_mask_exists():
    """003-batch has a batch of 2: the missing 1/m mistake applies there, never with one sample."""
    single = V.make_variants(_problem("003-single-sample"), count=2)
    batch = V.make_variants(_problem("003-batch"), count=2)
    kinds = lambda vs: {k for v in vs.variants for p in v.practised for m in p.mistakes for k in m.kinds}  # noqa: E731
    assert "batch_mean" in kinds(batch) and "batch_mean" not in kinds(single)


def test_tolerance_is_one_unit_in_the_last_stated_figure():
    assert np.allclose(V.tolerance(np.array([[0.006693, 12.34, -3.0, 0.0]]), 4),
                       [[1e-6, 1e-2, 1e-3, 1e-4]])


def test_cli_rejects_a_bad_count(tmp_path):
    r = subprocess.run([sys.executable, "-m", "generator", "variants", "003-batch", "--count", "-1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--count" in r.stderr and "Traceback" not in r.stderr


def test_variants_block_is_validated(tmp_path):
    from generator.errors import ProblemFileError
    text = (ROOT / "problems" / "002-neural-networks-are-fun.yml").read_text(encoding="utf-8")
    bad = tmp_path / "problems" / "002-neural-networks-are-fun.yml"
    bad.parent.mkdir()
    bad.write_text(text + "variants:\n  count: 5\n  ranges:\n    Q: [1, 2]\n    x: [3, 1]\n", encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        load_problem(bad, tmp_path)
    message = str(err.value)
    assert "variants.ranges.Q: no value named 'Q'" in message
    assert "variants.ranges.x: expected min <= max" in message


def test_missing_batch_sum_is_the_first_samples_gradient_alone():
    """003-batch (m = 2, l = 1/m sum_k 1/2 (h3_k - y_k)^2, ReLU, ReLU, identity, no biases): the
    "missing batch sum" answer to dl/dW3 and dl/dW2 is the gradient of sample 1's loss alone,
    recomputed here with numpy from the variant's given numbers; the answer is the batch mean."""
    vs = V.make_variants(_problem("003-batch"), count=4)
    seen = 0
    for v in vs.variants:
        g = {k: np.array([[float(x) for x in row] for row in m]) for k, m in v.problem.values.items()}

        def grads(x, y):
            z1 = g["W1"] @ x
            h1 = np.maximum(z1, 0)
            z2 = g["W2"] @ h1
            h2 = np.maximum(z2, 0)
            d3 = (g["W3"] @ h2 - y) / x.shape[1]  # dl/dh3, with the batch's 1/m
            d2 = (g["W3"].T @ d3) * (z2 > 0)
            return {"3": d3 @ h2.T, "7": d2 @ h1.T}

        right, one = grads(g["x"], g["y"]), grads(g["x"][:, :1], g["y"][:, :1])
        for pr in v.practised:
            if pr.question.number not in right:
                continue
            assert np.allclose(pr.parts[0].value, right[pr.question.number])
            m = _mistake(pr, "batch_sum")
            if np.allclose(one[pr.question.number], right[pr.question.number], atol=1e-9):
                assert m is None  # kept only where it differs from the answer
                continue
            assert m is not None, (v.number, pr.question.number)
            assert np.allclose(m.values[0], one[pr.question.number]), (v.number, pr.question.number)
            seen += 1
    assert seen >= 4


def _source_line(page: Path) -> str:
    """The italic line under a page's title that says where the problem comes from."""
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("*") and not line.startswith("**"):
            return line[:line.index(".*", 1) + 2]
    raise AssertionError(f"{page}: no source line")


def test_every_practice_header_names_the_source_its_worked_page_names():
    """Each practice page in docs/ says where its problem comes from exactly as its worked page
    does: "Handout 003 (...), section 2" for a handout's problem, "Beyond the handouts, problem
    1: an addition ..." for an extra one (never "Handout extra")."""
    pages = sorted((ROOT / "docs" / "handouts").glob("*/*-practice.md"))
    assert len(pages) >= 10 and any("/extra-" in str(p) for p in pages)
    for practice in pages:
        worked = practice.with_name(practice.name.replace("-practice.md", ".md"))
        assert _source_line(practice) == _source_line(worked), practice.name
        assert "Handout extra" not in _source_line(practice)
