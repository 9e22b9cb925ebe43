"""Shared fixtures: the project root, problem paths and a throw-away copy of the project."""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path

import pytest
import yaml

TESTS = Path(__file__).resolve().parent
ROOT_DIR = TESTS.parent
PROBLEM_FILE = ROOT_DIR / "problems" / "002-neural-networks-are-fun.yml"

if str(TESTS) not in sys.path:  # so that `import oracle` works from every test module
    sys.path.insert(0, str(TESTS))


@pytest.fixture(scope="session")
def ROOT() -> Path:
    """The project folder (/work/main)."""
    return ROOT_DIR


@pytest.fixture(scope="session")
def problem_file() -> Path:
    return PROBLEM_FILE


@pytest.fixture(scope="session")
def problem_data() -> dict:
    """The real problem file, parsed with yaml.safe_load (a fresh copy per use is the test's job)."""
    return yaml.safe_load(PROBLEM_FILE.read_text(encoding="utf-8"))


def copy_project(dest: Path) -> Path:
    """Copy what the generator needs (problems/ and docs/) into ``dest``; return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT_DIR / "problems", dest / "problems")
    shutil.copytree(ROOT_DIR / "docs", dest / "docs")
    return dest


@pytest.fixture
def project_copy(tmp_path):
    """A helper: ``project_copy()`` makes a fresh copy of problems/ and docs/ under tmp_path."""
    counter = iter(range(1000))

    def make(name: str | None = None) -> Path:
        return copy_project(tmp_path / (name or f"project{next(counter)}"))

    return make


def write_problem(dest_dir: Path, data: dict, name: str = "problem.yml") -> Path:
    """Dump a (modified) problem dict as YAML into dest_dir."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def mutated(tmp_path, problem_data):
    """``mutated(fn)``: apply fn to a copy of the problem data, write it to tmp_path, return its path."""
    def make(fn, name: str = "problem.yml") -> Path:
        data = copy.deepcopy(problem_data)
        fn(data)
        return write_problem(tmp_path, data, name)
    return make


@pytest.fixture
def current_site():
    """Fails the test (never skips it) when site/ is missing or was built from other pages than
    docs/ holds (test_site.STALE): `make test` builds the site first."""
    from test_site import STALE
    if STALE:
        pytest.fail(f"{STALE}; run `make site` (`make test` does) to test the current site", pytrace=False)
