"""The build, one stage after another: load -> solve -> render -> write.

Every problem file is validated on every run (cheap, and every mistake is reported). A problem
is solved and rendered again only when something its page depends on changed (see
generator/cache.py); otherwise its previously rendered bytes come from the build cache. Either
way the files handed to output.write_tree are exactly those of a full build. Solving and
rendering one problem is generator/produce.py, run in worker processes when many changed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .cache import KEEP, BuildCache, Inputs, entry_bytes, generator_hash, sha256, state_bytes, toolchain_hash
from .errors import GeneratorError
from .output import WriteReport, write_cache, write_tree
from .problem.load import HANDOUTS_FILE, load_handouts
from .problem.spec import Handout, Problem
from .render.print_pages import render_print_pages
from .render.site import handout_dir, nav, render_handout, render_home

# statuses of one problem in a build
REGENERATED = "regenerated"  # solved, verified and rendered in this run
UNCHANGED = "unchanged"  # nothing it depends on changed since the last build; cached bytes
REUSED = "reused"  # its inputs changed back to a version rendered before; cached bytes

# progress(index, total, stem): called before a problem is solved (index is 1-based)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def problems(self) -> Path:
        return self.root / "problems"

    @property
    def docs(self) -> Path:
        return self.root / "docs"


@dataclass(frozen=True)
class ProblemResult:
    """What happened to one problem in a build, and why."""

    stem: str
    status: str  # REGENERATED, UNCHANGED or REUSED
    reason: str = ""


@dataclass
class BuildResult:
    problems: list[ProblemResult] = field(default_factory=list)
    report: WriteReport | None = None  # None when nothing was written (check)
    seconds: float = 0.0
    files: dict[str, bytes] = field(default_factory=dict)  # every generated file, by path under docs/

    @property
    def count(self) -> int:
        return len(self.problems)

    def tally(self, status: str) -> int:
        return sum(1 for p in self.problems if p.status == status)


def render_indexes(handouts: tuple[Handout, ...]) -> dict[str, bytes]:
    """The home page and one index page per handout (cheap: made from the specs alone)."""
    files: dict[str, str] = {"index.md": render_home(handouts)}
    for h in handouts:
        files[f"{handout_dir(h)}/index.md"] = render_handout(h)
    files["handouts/.nav.json"] = nav(handouts)  # the site navigation's order (hooks/nav_hook.py)
    return {k: v.encode("utf-8") for k, v in files.items()}


def _stem(problem: Problem) -> str:
    return problem.slug  # the file name without .yml


MAX_JOBS = 8
MIN_PER_JOB = 3  # below this many problems per worker, starting workers costs more than it saves


def default_jobs() -> int:
    """Worker processes for solving: one per CPU (at most MAX_JOBS); BACKPROP_JOBS overrides."""
    try:
        return max(1, int(os.environ.get("BACKPROP_JOBS", "")))
    except ValueError:
        return max(1, min(os.cpu_count() or 1, MAX_JOBS))


def run(root: Path, strict: bool = True, write: bool = True, force: bool = False,
        progress: Progress | None = None, jobs: int | None = None, docs: Path | None = None) -> BuildResult:
    """Validate everything, solve what changed, render, and (unless ``write`` is False) write.

    The pages go to ``docs`` (default: ROOT/docs; scripts/build_site.py passes a staged copy).

    ``force`` ignores the cache (every problem is solved again). With ``write`` False (check),
    nothing at all is written, the cache included. ``jobs`` worker processes solve and render
    the problems that changed (default: one per CPU); the result does not depend on it.
    """
    started = time.monotonic()
    paths = Paths(root)
    # 1. load and validate every problem file (all mistakes are collected)
    sources: dict[Path, bytes] = {}
    handouts = load_handouts(paths.problems, root, strict, sources)
    # 2. for each problem: its cached files if nothing it depends on changed, else solve
    #    (a failing check raises before anything is written) and render
    cache = BuildCache(root)
    handouts_hash = sha256(sources[paths.problems / HANDOUTS_FILE])
    common = dict(handouts=handouts_hash, generator=generator_hash(), toolchain=toolchain_hash())
    result = BuildResult()
    files = render_indexes(handouts)
    fresh: dict[str, bytes] = {}  # new cache entries
    used: list[Inputs] = []
    todo: list[tuple[Handout, Problem, Inputs]] = []  # to solve and render, in order
    outcome: list[tuple[ProblemResult, dict[str, bytes] | None]] = []  # with the cached files, if any
    for h in handouts:
        for problem in h.problems:
            stem = _stem(problem)
            inputs = Inputs(stem=stem, problem=sha256(sources[paths.problems / f"{stem}.yml"]), **common)
            used.append(inputs)
            before = cache.previous(stem)
            changed = inputs.changed_since(before)
            cached = None if force else cache.lookup(inputs.key)
            if cached is not None:
                if before is not None and before.get("key") == inputs.key:
                    status = ProblemResult(stem, UNCHANGED)
                else:
                    why = ", ".join(changed) if changed else "new to the last build"
                    status = ProblemResult(stem, REUSED, f"{why}; rendered before")
                outcome.append((status, cached))
                continue
            if force:
                reason = "--force"
            elif cache.state is None:
                reason = "no earlier build in the cache"
            elif before is None:
                reason = "new problem"
            elif changed:
                reason = ", ".join(changed)
            else:
                reason = "cache entry missing"
            todo.append((h, problem, inputs))
            outcome.append((ProblemResult(stem, REGENERATED, reason), None))
    solved = _solve_and_render([(h, p) for h, p, _ in todo], progress, default_jobs() if jobs is None else jobs)
    rendered: dict[str, dict[str, bytes]] = {}  # stem -> files
    for (_, _, inputs), problem_files in zip(todo, solved, strict=True):
        rendered[inputs.stem] = problem_files
        fresh[f"{inputs.key}.json"] = entry_bytes(inputs.key, inputs.stem, problem_files)
    for status, cached in outcome:
        files.update(cached if cached is not None else rendered[status.stem])
        result.problems.append(status)
    files.update(render_print_pages(handouts, files))  # question sheets and answer keys
    # 3. write: changed files only, atomically; then remember what was built
    result.files = files
    if write:
        result.report = write_tree(paths.docs if docs is None else docs, files)
        write_cache(cache.dir, fresh, state_bytes(used), keep={f"{i.key}.json" for i in used}, limit=KEEP)
    result.seconds = time.monotonic() - started
    return result


def _solve_and_render(jobs_list: list[tuple[Handout, Problem]], progress: Progress | None,
                      jobs: int) -> list[dict[str, bytes]]:
    """Solve, verify and render each problem, in order; with ``jobs`` > 1 in worker processes.

    The workers are forked from this process (the problems and the loaded modules come with
    them) and each renders whole pages, so the bytes are exactly those of a serial run. The
    first problem, in order, whose check fails raises here, before anything is written. A
    worker that dies (killed, or a crash in native code) stops the build at once, naming the
    problem(s) it was solving: the executor notices the lost process, where a Pool would wait
    for its task forever.
    """
    from .produce import produce  # solving and drawing: imported only when something changed
    total = len(jobs_list)
    workers = min(jobs, total // MIN_PER_JOB)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        out = []
        for index, (h, problem) in enumerate(jobs_list, 1):
            if progress is not None:
                progress(index, total, _stem(problem))
            out.append(produce(h, problem))
        return out
    global _JOBS, _STATE, _PIDS
    context = multiprocessing.get_context("fork")
    # inherited by the workers: what each job's state is, and which worker process took it
    _JOBS, _STATE, _PIDS = jobs_list, context.Array("b", total, lock=False), context.Array("i", total, lock=False)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start)
    try:
        futures = [pool.submit(_worker_job, index) for index in range(total)]
        # pid -> Process, copied: the executor empties its own table once a worker is lost
        processes = dict(getattr(pool, "_processes", None) or {})
        out = []
        for index, future in enumerate(futures, 1):
            try:
                rendered = future.result()
            except BrokenProcessPool:
                raise GeneratorError(_lost_worker_message(jobs_list, processes)) from None
            if progress is not None:
                progress(index, total, _stem(jobs_list[index - 1][1]))
            out.append(rendered)
        return out
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _JOBS, _STATE, _PIDS = [], None, None


_JOBS: list[tuple[Handout, Problem]] = []  # what the forked workers solve, by index
_STATE = None  # shared with the workers: per job, 0 = waiting, 1 = being solved, 2 = done
_PIDS = None  # shared with the workers: per job, the process id of the worker solving it
RUNNING, DONE = 1, 2


def _lost_worker_message(jobs_list: list[tuple[Handout, Problem]], processes: dict) -> str:
    running = [i for i in range(len(jobs_list)) if _STATE[i] == RUNNING]
    # the executor stops the other workers with SIGTERM once one is lost: the lost one died otherwise
    died = {pid for pid, p in processes.items() if p.exitcode not in (None, -signal.SIGTERM)}
    lost = [i for i in running if _PIDS[i] in died] or running
    where = ", ".join(jobs_list[i][1].path for i in lost) if lost else "a problem (which one is unknown)"
    where = f"one of {where}" if len(lost) > 1 else where  # (when the exit codes cannot tell them apart)
    return (f"a worker process died while solving {where} (killed, out of memory, or a crash in "
            f"native code such as a BLAS kernel); run `BACKPROP_JOBS=1 python -m generator check` "
            f"to see it in one process")


def _worker_start() -> None:
    from .render import svg
    svg.forget_processes()  # the parent's dot processes are the parent's: start our own


def _worker_job(index: int) -> dict[str, bytes]:
    from .produce import produce
    h, problem = _JOBS[index]
    _PIDS[index] = os.getpid()
    _STATE[index] = RUNNING
    rendered = produce(h, problem)
    _STATE[index] = DONE
    return rendered


def build(root: Path, strict: bool = True, write: bool = True,
          force: bool = False) -> tuple[int, WriteReport | None]:
    """Load, solve, render and (unless ``write`` is False) write; returns (problems, report)."""
    result = run(root, strict=strict, write=write, force=force)
    return result.count, result.report
