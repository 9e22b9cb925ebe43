"""Benchmarks for the generator, run by `make bench` (`python -m benchmarks.bench`).

A plain script: it measures, on this machine and in one run, with deterministic inputs,

1. a full build (generation from scratch) against `mkdocs build --strict` of the same pages;
2. the incremental rebuild after editing one weight of one problem;
3. a no-op rebuild (nothing changed);
   (1-3 each timed twice: as the commands `make site` runs, interpreter start-up and imports
   included, and in this process with every cache reset: the work itself)
4. the engine (forward, backward and finite-difference verification) on MLPs of about
   1e2 .. 1e6 parameters, batch 1 and 64, with peak memory, the growth exponent, and the cost of
   loading such a problem from YAML, measured separately;
5. page load in headless Chromium: navigation to all math rendered on the largest page, with
   the math rendered at build time against rendered by KaTeX in the browser
   (benchmarks/bench_page.py);
6. a cProfile of a serial full build (top functions by cumulative time, and by stage).

Each timing is the median of a few repeats. It prints a table with targets and PASS/MISS and
writes everything to `.bench/results.json`. Nothing in the repository is modified: builds run
in a temporary copy of problems/, docs/ and mkdocs.yml.

    python -m benchmarks.bench [--quick] [--yaml-max PARAMS] [--skip-build] [--skip-engine] [--skip-page]
"""

from __future__ import annotations

import argparse
import cProfile
import contextlib
import datetime as _dt
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from .common import REPO, make_root, mkdocs_command, mkdocs_exe, run_command
OUT_DIR = REPO / ".bench"
EDIT_FILE = "002-neural-networks-are-fun.yml"
SEED = 20260101

# targets
GEN_OVER_MKDOCS_MAX = 1.0
INCR_OVER_FULL_MAX = 0.1
INCR_SECONDS_MAX = 2.0
NOOP_SECONDS_MAX = 0.5
ENGINE_100K_SECONDS_MAX = 1.0


# ---------------------------------------------------------------- helpers


def median_time(fn: Callable[[], Any], repeats: int, setup: Callable[[], Any] | None = None) -> tuple[float, list[float]]:
    """Median wall time of ``fn`` over ``repeats`` runs (``setup`` runs untimed before each)."""
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    import numpy
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "numpy": numpy.__version__, "platform": platform.platform(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}






# ---------------------------------------------------------------- 1-3, 6: the site build


def reset_caches() -> None:
    """Forget everything an earlier build in this process left behind, so that a timed build
    starts from scratch: sympy's cache, the memoized exact forms, zero tests and derivation proofs, and the
    long-lived `dot` processes."""
    import sympy

    from generator.render import svg
    from generator.solve import derivation, symbolic
    sympy.core.cache.clear_cache()
    symbolic.simplify.cache_clear()
    symbolic.is_zero.cache_clear()
    derivation._decide.cache_clear()  # the memoized proofs of derivation lines
    svg.close_all()




def generator_command(root: Path, force: bool = False) -> list[str]:
    """What `make site` runs first (python -m generator build --strict)."""
    return [sys.executable, "-m", "generator", "--root", str(root), "build", "--strict"] + (["--force"] if force else [])




def mkdocs_in_process(root: Path, site: Path) -> None:
    """`mkdocs build --strict` of root's pages, in this process (mkdocs and its plugins imported once)."""
    import logging

    from scripts.mkdocs_in_process import build_strict
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    cwd = os.getcwd()
    os.chdir(root)  # hooks: paths are relative to the config file's folder
    try:
        build_strict(root / "mkdocs.yml", site)
    finally:
        os.chdir(cwd)


def bench_build(repeats: int) -> dict[str, Any]:
    """Generation against mkdocs, each timed two ways: as the command `make site` runs (a fresh
    interpreter: start-up and imports included) and in this process (imports done, every cache
    reset before each run: the work itself)."""
    from generator.pipeline import build
    out: dict[str, Any] = {"jobs": _jobs()}
    with tempfile.TemporaryDirectory(prefix="bench-") as t:
        tmp = Path(t)
        root = make_root(tmp)
        out["katex_present"] = (root / "docs" / "assets" / "katex").is_dir()

        def from_scratch() -> None:
            shutil.rmtree(root / ".build-cache", ignore_errors=True)
            reset_caches()

        # 1a. full generation, from scratch
        out["full_generation_s"], out["full_generation_runs_s"] = median_time(
            lambda: build(root, strict=True, force=True), repeats, setup=from_scratch)
        out["full_generation_cmd_s"], out["full_generation_cmd_runs_s"] = median_time(
            lambda: run_command(generator_command(root, force=True), root), repeats, setup=from_scratch)

        # 1b. mkdocs build --strict of the same pages, alone
        site = tmp / "site"

        def clean_site() -> None:  # from scratch, like the generation: no site, no KaTeX cache
            shutil.rmtree(site, ignore_errors=True)
            for cached in (root / ".build-cache").glob("katex-*.json"):
                cached.unlink()
        out["mkdocs_cmd_s"], out["mkdocs_cmd_runs_s"] = median_time(
            lambda: run_command(mkdocs_command(root, site), root), repeats, setup=clean_site)
        mkdocs_in_process(root, site)  # warm-up: imports, theme templates
        out["mkdocs_s"], out["mkdocs_runs_s"] = median_time(lambda: mkdocs_in_process(root, site), repeats,
                                                            setup=clean_site)
        # the same with the formulas of the previous build cached (what a rebuild costs)
        mkdocs_in_process(root, site)
        out["mkdocs_warm_s"], out["mkdocs_warm_runs_s"] = median_time(
            lambda: mkdocs_in_process(root, site), repeats, setup=lambda: shutil.rmtree(site, ignore_errors=True))
        out["gen_over_mkdocs_warm"] = out["full_generation_s"] / out["mkdocs_warm_s"]
        # what the variants cost: making them (solve + verify + mistakes) and rendering the
        # practice pages, every network and expression problem, serially; the pages' sizes as built
        # here, with the math rendered at build time (the default)
        out["variants"] = bench_variants(root, site)
        # the same with the math left to the browser: mkdocs without the KaTeX pass
        with _environment(MATH_RENDER="browser"):
            mkdocs_in_process(root, site)
            out["mkdocs_browser_math_s"], out["mkdocs_browser_math_runs_s"] = median_time(
                lambda: mkdocs_in_process(root, site), repeats, setup=clean_site)
        out["gen_over_mkdocs"] = out["full_generation_s"] / out["mkdocs_s"]
        out["gen_over_mkdocs_browser_math"] = out["full_generation_s"] / out["mkdocs_browser_math_s"]
        out["gen_over_mkdocs_cmd"] = out["full_generation_cmd_s"] / out["mkdocs_cmd_s"]

        # 2. edit one weight of one problem, rebuild (no force). Every repeat writes a value
        #    never built before, so the cache cannot serve it.
        path = root / "problems" / EDIT_FILE
        original = path.read_text(encoding="utf-8")
        edited, old, new = _edit_one_weight(original)
        out["edit"] = {"file": EDIT_FILE, "from": old, "to": new}
        variants = [edited] + [_edit_one_weight(original, new_value=str(int(new) + 10 * k))[0]
                               for k in range(1, 2 * repeats + 1)]
        fresh = iter(variants)

        def edit() -> None:
            build(root, strict=True)  # settled state (cache current)
            path.write_text(next(fresh), encoding="utf-8")

        out["incremental_s"], out["incremental_runs_s"] = median_time(lambda: build(root, strict=True), repeats,
                                                                      setup=edit)
        out["incremental_cmd_s"], out["incremental_cmd_runs_s"] = median_time(
            lambda: run_command(generator_command(root), root), repeats, setup=edit)
        path.write_text(original, encoding="utf-8")
        out["incremental_over_full"] = out["incremental_s"] / out["full_generation_s"]
        out["incremental_over_full_cmd"] = out["incremental_cmd_s"] / out["full_generation_cmd_s"]

        # 3. no-op rebuild
        build(root, strict=True)
        out["noop_s"], out["noop_runs_s"] = median_time(lambda: build(root, strict=True), max(repeats, 5))
        out["noop_cmd_s"], out["noop_cmd_runs_s"] = median_time(
            lambda: run_command(generator_command(root), root), max(repeats, 5))

        out["noop_over_mkdocs_warm"] = out["noop_s"] / out["mkdocs_warm_s"]

        # 3b. the no-op `make site` (scripts/build_site.py: nothing to generate, then the site
        # build) against `mkdocs build` alone, side by side: the cost of what a no-op imports
        site_cmd = [sys.executable, str(REPO / "scripts" / "build_site.py"), "--root", str(root), "--quiet"]
        run_command(site_cmd, root)
        out["noop_site_cmd_s"], out["noop_site_cmd_runs_s"] = median_time(lambda: run_command(site_cmd, root),
                                                                          max(repeats, 5))
        out["mkdocs_alone_cmd_s"], out["mkdocs_alone_cmd_runs_s"] = median_time(
            lambda: run_command(mkdocs_command(root, root / "site-alone"), root), max(repeats, 5))
        out["noop_site_over_mkdocs"] = out["noop_site_cmd_s"] / out["mkdocs_alone_cmd_s"]

        # 6. profile of the full build, serial (a profile cannot see into worker processes)
        from_scratch()
        prof = cProfile.Profile()
        prof.enable()
        _build_serial(root)
        prof.disable()
        s = io.StringIO()
        stats = pstats.Stats(prof, stream=s).sort_stats("cumulative")
        stats.print_stats(8)
        out["profile_text"] = s.getvalue()
        out["profile_top"] = _top_functions(stats, 8)
        out["profile_stages"] = _stage_times(stats)
    return out


def bench_variants(root: Path, site: Path) -> dict[str, Any]:
    """Seconds to make and render every network and expression problem's variants (serial, in
    process), how many were rejected, and the bytes the practice pages add."""
    from generator.problem.load import load_handouts
    from generator.problem.spec import ExpressionProblem, Problem
    from generator.render.practice import render_practice
    from generator.render.practice_expression import render_expression_practice
    from generator.solve.expression_variants import make_expression_variants
    from generator.solve.variants import make_variants
    problems = [p for h in load_handouts(root / "problems", root, True, {}) for p in h.problems
                if isinstance(p, (Problem, ExpressionProblem))]
    make_s = render_s = 0.0
    count = rejected = 0
    for p in problems:
        expression = isinstance(p, ExpressionProblem)
        t0 = time.perf_counter()
        v = make_expression_variants(p) if expression else make_variants(p)
        t1 = time.perf_counter()
        if v.variants:
            (render_expression_practice if expression else render_practice)(v, p.slug, "")
        make_s += t1 - t0
        render_s += time.perf_counter() - t1
        count += len(v.variants)
        rejected += v.rejected_total
    pages = sorted(site.rglob("*-practice.html"))
    sizes = {q.name: q.stat().st_size for q in pages}
    return {"problems": len(problems), "variants": count, "rejected": rejected, "make_s": make_s,
            "render_s": render_s, "practice_pages": len(pages),
            "practice_html_bytes_median": sorted(sizes.values())[len(sizes) // 2] if sizes else 0,
            "practice_html_bytes_max": max(sizes.values(), default=0), "practice_html_bytes": sizes}


@contextlib.contextmanager
def _environment(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _jobs() -> int:
    from generator.pipeline import default_jobs
    return default_jobs()


def _build_serial(root: Path) -> None:
    from generator.pipeline import run
    run(root, strict=True, force=True, jobs=1)


def bench_page(repeats: int) -> dict[str, Any]:
    """Item 5 (benchmarks/bench_page.py); its failure (e.g. no Chromium) is reported, not fatal."""
    try:
        from .bench_page import bench_page_load
        return bench_page_load(repeats, typical=True, loads=PAGE_LOADS)
    except Exception as err:  # noqa: BLE001 - the rest of the bench still runs
        return {"error": f"{type(err).__name__}: {err}"}


def bench_phone_profile(repeats: int) -> dict[str, Any]:
    """Page load at 390 px with a 4x slower CPU (benchmarks/bench_phone.py), on the built site/
    (`make bench` builds it first); a failure is reported, not fatal."""
    try:
        from .bench_phone import bench_phone
        return bench_phone(REPO / "site", repeats)
    except Exception as err:  # noqa: BLE001 - the rest of the bench still runs
        return {"error": f"{type(err).__name__}: {err}"}


def _edit_one_weight(text: str, new_value: str | None = None) -> tuple[str, str, str]:
    """Change the first number of the first row of W1 (a text edit of one number)."""
    m = re.search(r"(^\s*W1:\s*\n\s*-\s*\[\s*)(-?\d+)", text, re.M)
    if m is None:
        raise RuntimeError(f"cannot find a W1 row to edit in {EDIT_FILE}")
    old = m.group(2)
    new = new_value if new_value is not None else str(int(old) + 1)
    return text[:m.start(2)] + new + text[m.end(2):], old, new


def _fn_name(func: tuple[str, int, str]) -> str:
    file, line, name = func
    try:
        file = str(Path(file).resolve().relative_to(REPO))
    except ValueError:
        parts = Path(file).parts
        file = "/".join(parts[-2:]) if len(parts) > 1 else file
    return f"{file}:{line}({name})" if line else name


def _top_functions(stats: pstats.Stats, n: int) -> list[dict[str, Any]]:
    rows = []
    for func, (cc, nc, tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": _fn_name(func), "calls": nc, "tottime_s": tt, "cumtime_s": ct})
    rows.sort(key=lambda r: -r["cumtime_s"])
    return rows[:n]


STAGES = {  # pipeline stage -> function names whose cumulative time measures it
    "load+validate": ("load_handouts",),
    "solve+verify": ("solve_problem",),  # generator/produce.py
    "render (incl. graphviz)": ("render_problem",),
    "graphviz": ("to_svg", "layout"),
    "write": ("write_tree", "write_cache"),
}


def _stage_times(stats: pstats.Stats) -> dict[str, float]:
    out: dict[str, float] = {}
    for stage, names in STAGES.items():
        total = 0.0
        for (file, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
            if name in names and "generator" in file:
                total += ct
        out[stage] = total
    return out


# ---------------------------------------------------------------- 4: the engine at scale


# hidden width h (input size = h, two hidden relu layers of h, one sigmoid output, folded bias):
# parameters = h(h+1) + h(h+1) + (h+1) = 2h^2 + 3h + 1
WIDTHS = {100: 6, 1_000: 22, 10_000: 70, 100_000: 223, 1_000_000: 706}


def param_count(h: int) -> int:
    return 2 * h * h + 3 * h + 1


def _weights(rng: random.Random, rows: int, cols: int) -> tuple[tuple[Fraction, ...], ...]:
    # Fraction(k, 1000) with |k| <= ~1000/sqrt(fan in): keeps activations O(1) at every size
    lim = max(1, round(1000 / math.sqrt(cols)))
    return tuple(tuple(Fraction(rng.randint(-lim, lim), 1000) for _ in range(cols)) for _ in range(rows))


def mlp_values(h: int, batch: int, seed: int = SEED) -> dict[str, tuple[tuple[Fraction, ...], ...]]:
    rng = random.Random(seed * 1_000_003 + h * 1009 + batch)
    x = tuple(tuple(Fraction(rng.randint(-100, 100), 100) for _ in range(batch)) for _ in range(h))
    y = (tuple(Fraction(rng.randint(0, 1)) for _ in range(batch)),)
    return {"x": x, "y": y, "W1": _weights(rng, h, h + 1), "W2": _weights(rng, h, h + 1),
            "W3": _weights(rng, 1, h + 1)}


def mlp_problem(h: int, batch: int, seed: int = SEED):
    from generator.problem.spec import Layer, Network, Problem, Question, Ref
    net = Network(input_name="x", input_size=h, target_name="y",
                  layers=(Layer(h, "relu", "a1", "z1", "W1", "b1"),
                          Layer(h, "relu", "a2", "z2", "W2", "b2"),
                          Layer(1, "sigmoid", "a3", "yhat", "W3", "b3")),
                  bias="folded", loss="half_squared_error", loss_name="loss")
    q = Question(number="1", text="What is the output?", ask="value", of=Ref("yhat"))
    return Problem(path=f"bench/mlp-{h}-{batch}.yml", slug=f"mlp-{h}-{batch}", title=f"MLP {h}",
                   handout="bench", section="1", intro=f"seed {seed}", network=net, values=mlp_values(h, batch, seed),
                   learning_rate=None, significant_figures=4, symbols={}, questions=(q,))


def mlp_yaml(h: int) -> str:
    """The same network (batch 1) as a problem file, with numbers written as k/1000 strings."""
    vals = mlp_values(h, 1)

    def row(r) -> str:
        return "[" + ", ".join(f'"{v.numerator}/{v.denominator}"' if v.denominator != 1 else str(v.numerator)
                               for v in r) + "]"

    def matrix(m) -> str:
        return "".join(f"    - {row(r)}\n" for r in m)

    x = "[" + ", ".join(f'"{r[0].numerator}/{r[0].denominator}"' for r in vals["x"]) + "]"
    return (
        "title: Bench MLP\nhandout: \"bench\"\nsection: \"1\"\nintro: bench\n"
        "network:\n"
        f"  input: {{name: x, size: {h}}}\n"
        "  target: y\n"
        "  layers:\n"
        f"    - {{size: {h}, activation: relu, pre: a1, post: z1, weight: W1}}\n"
        f"    - {{size: {h}, activation: relu, pre: a2, post: z2, weight: W2}}\n"
        "    - {size: 1, activation: sigmoid, pre: a3, post: yhat, weight: W3}\n"
        "  bias: folded\n  loss: half_squared_error\n  loss_name: loss\n"
        "values:\n"
        f"  x: {x}\n"
        f"  y: {vals['y'][0][0]}\n"
        f"  W1:\n{matrix(vals['W1'])}"
        f"  W2:\n{matrix(vals['W2'])}"
        f"  W3:\n{matrix(vals['W3'])}"
        "questions:\n  - number: \"1\"\n    text: What is the output?\n    ask: value\n    of: yhat\n"
    )


SEED_TRIES = 5


def problem_seed(problem) -> int | None:
    m = re.search(r"seed (\d+)", problem.intro)
    return int(m.group(1)) if m else None


def _solve_quiet(problem) -> None:
    from generator.errors import VerificationError
    from generator.solve.solution import solve
    try:
        solve(problem)
    except VerificationError:
        pass


def _repeats_for(params: int, base: int) -> int:
    return base if params <= 100_000 else max(1, min(base, 3))


def bench_engine(sizes: list[int], batches: list[int], repeats: int, yaml_max: int) -> dict[str, Any]:
    from generator.errors import VerificationError
    from generator.solve.solution import solve
    rows = []
    for target in sizes:
        h = WIDTHS[target]
        n = param_count(h)
        for batch in batches:
            # A ReLU kink lying within the finite-difference step of a random direction makes
            # the check fail although the gradient is right; take the first of a few fixed seeds
            # whose check passes, and record the seeds rejected (and why).
            rejected = []
            problem, sol = None, None
            for seed in range(SEED, SEED + SEED_TRIES):
                problem = mlp_problem(h, batch, seed)
                try:
                    sol = solve(problem)
                    break
                except VerificationError as err:
                    rejected.append({"seed": seed, "error": str(err)[:2000]})
            if sol is None:
                problem = mlp_problem(h, batch, SEED)  # time the failing one: same work, then raise
            t_solve, runs = median_time(lambda: _solve_quiet(problem), _repeats_for(n, repeats))
            ok = sol is not None and all(c.passed for c in sol.all_checks)
            gc.collect()
            tracemalloc.start()
            _solve_quiet(problem)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            n_checks = len(sol.gradient_checks) if sol is not None else 0
            rows.append({"target_params": target, "params": n, "width": h, "batch": batch,
                         "solve_s": t_solve, "solve_runs_s": runs, "peak_mib": peak / 2**20,
                         "gradient_checks": n_checks, "checks_passed": ok,
                         "seed": problem_seed(problem), "rejected_seeds": rejected})
            print(f"  engine: {n:>9,} params  batch {batch:>2}  {t_solve:8.4f} s  "
                  f"peak {peak / 2**20:8.1f} MiB  checks {n_checks}  rejected seeds {len(rejected)}", flush=True)
    exponents = {}
    for batch in batches:
        pts = [(math.log(r["params"]), math.log(r["solve_s"])) for r in rows
               if r["batch"] == batch and r["params"] >= 10_000]
        exponents[str(batch)] = _slope(pts)
    # loading from YAML (batch 1): parse + validate, separately from solving
    loads = []
    from generator.problem.load import load_problem
    from generator.problem.validate import MAX_PARAMETERS
    refused = []  # over the loader's limit: a problem file that large is refused by design
    with tempfile.TemporaryDirectory(prefix="bench-yaml-") as t:
        for target in sizes:
            h = WIDTHS[target]
            n = param_count(h)
            if n > MAX_PARAMETERS:
                refused.append(n)
                print(f"  yaml load: {n:>9,} params  not loaded: problem files are limited to "
                      f"{MAX_PARAMETERS:,} weights and biases", flush=True)
                continue
            if n > yaml_max:
                continue
            path = Path(t) / f"mlp-{h}.yml"
            path.write_text(mlp_yaml(h), encoding="utf-8")
            reps = 3 if n <= 10_000 else 1
            t_load, _ = median_time(lambda: load_problem(path, Path(t), strict=True), reps)
            loaded = load_problem(path, Path(t), strict=True)
            same = loaded.values["W2"] == mlp_values(h, 1)["W2"]
            solve_s = next(r["solve_s"] for r in rows if r["width"] == h and r["batch"] == 1) \
                if 1 in batches else None
            loads.append({"target_params": target, "params": n, "yaml_bytes": path.stat().st_size,
                          "load_s": t_load, "solve_s": solve_s, "same_values": same})
            print(f"  yaml load: {n:>9,} params  {path.stat().st_size / 2**20:6.1f} MiB  {t_load:8.3f} s",
                  flush=True)
    load_exp = _slope([(math.log(r["params"]), math.log(r["load_s"])) for r in loads if r["params"] >= 1_000])
    return {"rows": rows, "growth_exponent": exponents, "yaml_load": loads, "yaml_load_exponent": load_exp,
            "yaml_refused_params": refused}


def _slope(pts: list[tuple[float, float]]) -> float | None:
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


# ---------------------------------------------------------------- report


def verdict(ok: bool | str | None) -> str:
    if isinstance(ok, str):
        return ok
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def report(results: dict[str, Any]) -> list[dict[str, Any]]:
    b, e, p = results.get("build"), results.get("engine"), results.get("page_load")
    checks: list[dict[str, Any]] = []
    if b:
        checks += [
            {"what": "full generation / mkdocs build (in process)", "value": f"{b['gen_over_mkdocs']:.2f} "
             f"({b['full_generation_s']:.3f} s / {b['mkdocs_s']:.3f} s)",
             "target": f"<= {GEN_OVER_MKDOCS_MAX}", "ok": b["gen_over_mkdocs"] <= GEN_OVER_MKDOCS_MAX},
            {"what": "  same, mkdocs with its formulas cached (in process)",
             "value": f"{b['gen_over_mkdocs_warm']:.2f} ({b['full_generation_s']:.3f} s / {b['mkdocs_warm_s']:.3f} s)",
             "target": f"<= {GEN_OVER_MKDOCS_MAX}", "ok": b["gen_over_mkdocs_warm"] <= GEN_OVER_MKDOCS_MAX},
            {"what": "  same, mkdocs with math left to the browser (in process)",
             "value": f"{b['gen_over_mkdocs_browser_math']:.2f} "
             f"({b['full_generation_s']:.3f} s / {b['mkdocs_browser_math_s']:.3f} s)",
             "target": f"<= {GEN_OVER_MKDOCS_MAX}", "ok": b["gen_over_mkdocs_browser_math"] <= GEN_OVER_MKDOCS_MAX},
            {"what": "full generation / mkdocs build (commands)", "value": f"{b['gen_over_mkdocs_cmd']:.2f} "
             f"({b['full_generation_cmd_s']:.3f} s / {b['mkdocs_cmd_s']:.3f} s)",
             "target": f"<= {GEN_OVER_MKDOCS_MAX}", "ok": b["gen_over_mkdocs_cmd"] <= GEN_OVER_MKDOCS_MAX},
            {"what": "edit one weight: incremental / full (in process)", "value": f"{b['incremental_over_full']:.3f} "
             f"({b['incremental_s']:.3f} s)",
             "target": f"<= {INCR_OVER_FULL_MAX} and < {INCR_SECONDS_MAX} s",
             "ok": b["incremental_over_full"] <= INCR_OVER_FULL_MAX and b["incremental_s"] < INCR_SECONDS_MAX},
            {"what": "edit one weight: incremental / full (commands)",
             "value": f"{b['incremental_over_full_cmd']:.3f} ({b['incremental_cmd_s']:.3f} s)",
             "target": f"<= {INCR_OVER_FULL_MAX} and < {INCR_SECONDS_MAX} s",
             "ok": b["incremental_over_full_cmd"] <= INCR_OVER_FULL_MAX and b["incremental_cmd_s"] < INCR_SECONDS_MAX},
            {"what": "variants: make + render, every network and expression problem (serial)",
             "value": f"{b['variants']['make_s']:.2f} s + {b['variants']['render_s']:.2f} s "
             f"= {(b['variants']['make_s'] + b['variants']['render_s']) / b['full_generation_s']:.0%} of a full generation "
             f"({b['variants']['variants']} variants, {b['variants']['rejected']} draws rejected; practice page "
             f"median {b['variants']['practice_html_bytes_median'] / 1e6:.1f} MB, largest "
             f"{b['variants']['practice_html_bytes_max'] / 1e6:.1f} MB)", "target": "reported", "ok": None},
            {"what": "generation, cache warm / mkdocs build, formulas cached", "value":
             f"{b['noop_over_mkdocs_warm']:.2f} ({b['noop_s']:.3f} s / {b['mkdocs_warm_s']:.3f} s)",
             "target": "<= 1.0", "ok": b["noop_over_mkdocs_warm"] <= 1.0},
            {"what": "no-op `make site` (scripts/build_site.py) / `mkdocs build` alone, as commands",
             "value": f"{b['noop_site_over_mkdocs']:.2f} ({b['noop_site_cmd_s']:.3f} s / {b['mkdocs_alone_cmd_s']:.3f} s)",
             "target": "<= 1.2", "ok": b["noop_site_over_mkdocs"] <= 1.2},
            {"what": "no-op rebuild (in process)", "value": f"{b['noop_s']:.3f} s",
             "target": f"< {NOOP_SECONDS_MAX} s", "ok": b["noop_s"] < NOOP_SECONDS_MAX},
            {"what": "no-op rebuild (command)", "value": f"{b['noop_cmd_s']:.3f} s",
             "target": f"< {NOOP_SECONDS_MAX} s", "ok": b["noop_cmd_s"] < NOOP_SECONDS_MAX},
        ]
    if e:
        r100k = [r for r in e["rows"] if r["target_params"] == 100_000]
        for r in r100k:
            checks.append({"what": f"engine 100k params, batch {r['batch']} (solve+verify)",
                           "value": f"{r['solve_s']:.3f} s", "target": f"< {ENGINE_100K_SECONDS_MAX} s",
                           "ok": r["solve_s"] < ENGINE_100K_SECONDS_MAX and r["checks_passed"]})
    if p and "error" not in p:
        checks.append(page_load_check(p))
    return checks


PAGE_LOADS = 11  # per mode and page: single loads vary by 10-20 %
PAGE_EVEN = 0.05  # page-load ratios within 5 % of 1 are even: runs of the same build vary that much


def page_load_check(p: dict[str, Any]) -> dict[str, Any]:
    """The page-load comparison as a target row: the site's default math mode must be the one
    whose math is on screen first (navigation -> all math rendered and painted, cold loads), on
    the largest page and on a typical one; within PAGE_EVEN of the other it counts as even."""
    from hooks.katex_hook import DEFAULT_MODE
    other = "browser" if DEFAULT_MODE == "build" else "build"
    ratios = {"largest": p["modes"][DEFAULT_MODE]["cold"]["math_painted_ms"]
              / p["modes"][other]["cold"]["math_painted_ms"]}
    if "typical" in p:
        t = p["typical"]["modes"]
        ratios["typical"] = t[DEFAULT_MODE]["cold"]["math_painted_ms"] / t[other]["cold"]["math_painted_ms"]
    if any(r > 1 + PAGE_EVEN for r in ratios.values()):
        ok: bool | str = False  # the other mode shows the math sooner somewhere
    elif min(ratios.values()) < 1 - PAGE_EVEN:
        ok = True
    else:
        ok = "EVEN"  # within the noise on both pages
    return {"what": f"page load: math painted, {DEFAULT_MODE} (default) / {other}",
            "value": ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()),
            "target": f"<= 1 (within {PAGE_EVEN:.0%}: EVEN)", "ok": ok}


def print_report(results: dict[str, Any], checks: list[dict[str, Any]]) -> None:
    m = results["machine"]
    print()
    print(f"Machine: {m['nproc']} CPU(s), {m['cpu']}, Python {m['python']}, numpy {m['numpy']}, {m['date']}")
    b, e, p = results.get("build"), results.get("engine"), results.get("page_load")
    if b:
        print()
        print(f"Site build (median of repeats; generation with {b['jobs']} worker process(es))")
        print(f"  {'':34} {'in process':>11} {'command':>9}")
        for label, key in (("full generation (from scratch)", "full_generation"), ("mkdocs build --strict", "mkdocs"),
                           ("incremental (one weight edited)", "incremental"), ("no-op rebuild", "noop")):
            inproc = b["mkdocs_s"] if key == "mkdocs" else b[f"{key}_s"]
            cmd = b["mkdocs_cmd_s"] if key == "mkdocs" else b[f"{key}_cmd_s"]
            print(f"  {label:34} {inproc:9.3f} s {cmd:7.3f} s")
            if key == "mkdocs":
                print(f"  {'  the same, formulas cached':34} {b['mkdocs_warm_s']:9.3f} s")
                print(f"  {'  the same, math left to the browser':34} {b['mkdocs_browser_math_s']:9.3f} s")
        print("  (command: a fresh interpreter, start-up and imports included; in process: the work itself)")
    if p:
        print()
        if "error" in p:
            print(f"Page load: not measured ({p['error']})")
        else:
            print_page_load(p)
    phone = results.get("phone")
    if phone:
        if "error" in phone:
            print(f"Page load on a phone profile: not measured ({phone['error']})")
        else:
            from .bench_phone import print_phone
            print_phone(phone)
    if e:
        print()
        print("Engine: solve = forward + backward + finite-difference verification")
        print(f"  {'params':>10} {'width':>5} {'batch':>5} {'solve s':>9} {'peak MiB':>9} {'fd checks':>9} ok")
        for r in e["rows"]:
            print(f"  {r['params']:>10,} {r['width']:>5} {r['batch']:>5} {r['solve_s']:>9.4f} "
                  f"{r['peak_mib']:>9.1f} {r['gradient_checks']:>9} {'yes' if r['checks_passed'] else 'NO'}"
                  + (f"  ({len(r['rejected_seeds'])} seed(s) rejected: kink within FD step)" if r["rejected_seeds"] else ""))
        for batch, k in e["growth_exponent"].items():
            print(f"  growth exponent (params >= 1e4), batch {batch}: "
                  f"{'n/a' if k is None else f'{k:.2f}'}")
        if e["yaml_load"]:
            print("  loading the problem from YAML (parse + validate), batch 1:")
            for r in e["yaml_load"]:
                solve_s = f"{r['solve_s']:.4f} s" if r["solve_s"] is not None else "n/a"
                print(f"    {r['params']:>10,} params  {r['yaml_bytes'] / 2**20:6.1f} MiB  load {r['load_s']:8.3f} s"
                      f"  vs solve {solve_s}")
            if e["yaml_load_exponent"] is not None:
                print(f"    load growth exponent: {e['yaml_load_exponent']:.2f}")
        for n in e.get("yaml_refused_params", []):
            print(f"    {n:>10,} params  not loaded: over the problem-file limit (by design)")
    if b:
        print()
        print("Profile of a serial full build (top 8 by cumulative time)")
        for r in b["profile_top"]:
            print(f"  {r['cumtime_s']:8.3f} s cum  {r['tottime_s']:8.3f} s own  {r['calls']:>7}  {r['function']}")
        print("  by stage (cumulative, under the profiler): " +
              ", ".join(f"{k} {v:.3f} s" for k, v in b["profile_stages"].items()))
    print()
    print("Targets")
    w = max((len(c["what"]) for c in checks), default=10)
    for c in checks:
        print(f"  {verdict(c['ok']):4}  {c['what']:<{w}}  {c['value']:<28}  target {c['target']}")


def print_page_load(p: dict[str, Any]) -> None:
    from .bench_page import print_table
    print("Page load in headless Chromium (cold: a fresh browser context per load)")
    print_table(p)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="repeats per timing (median); default 5")
    ap.add_argument("--quick", action="store_true", help="engine sizes up to 1e5 only, 3 repeats")
    ap.add_argument("--yaml-max", type=int, default=1_100_000,
                    help="largest network (parameters) to load from YAML; default all sizes")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--skip-engine", action="store_true")
    ap.add_argument("--skip-page", action="store_true", help="skip the page-load measurement (Chromium)")
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    sizes = [100, 1_000, 10_000, 100_000] + ([] if args.quick else [1_000_000])
    results: dict[str, Any] = {"machine": machine(), "repeats": repeats}
    started = time.perf_counter()
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / "results.json"

    def measured(key: str, what: str, fn: Callable[[], Any]) -> None:
        # each part is written as soon as it is measured: a later failure keeps it
        print(f"{what} ...", flush=True)
        results[key] = fn()
        out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")

    if not args.skip_build:
        measured("build", "Site build", lambda: bench_build(repeats))
    if not args.skip_page:
        measured("page_load", "Page load", lambda: bench_page(repeats))
        measured("phone", "Page load on a phone profile", lambda: bench_phone_profile(repeats))
    if not args.skip_engine:
        measured("engine", "Engine", lambda: bench_engine(sizes, [1, 64], repeats, args.yaml_max))
    checks = report(results)
    results["targets"] = checks
    results["total_bench_s"] = time.perf_counter() - started
    print_report(results, checks)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(REPO)} ({results['total_bench_s']:.1f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
