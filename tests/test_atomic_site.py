"""`make site` is all or nothing (scripts/build_site.py), and `make serve` refuses a busy port in
one line (scripts/check_port.py) instead of building everything and dying with a traceback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import PROBLEM_FILE, ROOT_DIR, snapshot

BROKEN_FORMULA = r"\(\frac{1}{\)"  # KaTeX: "Expected '}', got 'EOF'"


def project(tmp: Path) -> Path:
    """A project folder with one problem (the one the hand-written pages link to; a build takes
    seconds): copies of problems/ and docs/ (they change), links to the rest."""
    root = tmp / "project"
    root.mkdir()
    shutil.copytree(ROOT_DIR / "problems", root / "problems")
    index = root / "problems" / "handouts.yml"
    handouts = yaml.safe_load(index.read_text(encoding="utf-8"))
    first = next(h for h in handouts["handouts"] if PROBLEM_FILE.stem in (h.get("problems") or []))
    first["problems"] = [PROBLEM_FILE.stem]
    index.write_text(yaml.safe_dump({"handouts": [first]}, sort_keys=False), encoding="utf-8")
    for path in (root / "problems").glob("*.yml"):
        if path.name != "handouts.yml" and path.stem != first["problems"][0]:
            path.unlink()
    shutil.copytree(ROOT_DIR / "docs", root / "docs")
    shutil.copy2(ROOT_DIR / "mkdocs.yml", root / "mkdocs.yml")
    for item in sorted(ROOT_DIR.iterdir()):
        if item.is_dir() and item.name not in ("problems", "docs", "site", ".git", ".venv") \
                and not item.name.startswith((".site-build-", ".build-cache", ".pytest")):
            (root / item.name).symlink_to(item, target_is_directory=True)
    return root


def build_site(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT_DIR / "scripts" / "build_site.py"), "--root", str(root),
                           "--quiet"], capture_output=True, text=True, timeout=600, cwd=root)


def first_problem(root: Path) -> Path:
    return root / "problems" / PROBLEM_FILE.name


def test_a_page_mkdocs_cannot_build_leaves_docs_and_site_as_they_were(tmp_path):
    root = project(tmp_path)
    site = root / "site"
    site.mkdir()
    (site / "index.html").write_text("the previous site", encoding="utf-8")
    path = first_problem(root)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["intro"] = f"Broken {BROKEN_FORMULA} formula"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    docs_before, site_before = snapshot(root / "docs"), snapshot(site)
    result = build_site(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "mkdocs build failed" in result.stderr and "left as they were" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root / "docs") == docs_before  # the generator's pages were staged, not written
    assert snapshot(site) == site_before
    assert not list(root.glob(".site-build-*"))  # the staging folder is gone
    # fixed: the same command writes docs/ and replaces site/ whole
    data["intro"] = r"Fixed \(x^2\) formula"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = build_site(root)
    assert result.returncode == 0, result.stderr
    assert snapshot(root / "docs") != docs_before
    assert (site / "index.html").read_text(encoding="utf-8") != "the previous site"
    assert (site / "search" / "search_index.json").is_file() or (site / "search" / "search_index.js").is_file()
    assert (site / ".built-from").is_file()
    assert not list(root.glob(".site-build-*"))


def test_a_failed_check_leaves_docs_and_site_as_they_were(tmp_path):
    root = project(tmp_path)
    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("the previous site", encoding="utf-8")
    path = first_problem(root)
    path.write_text(path.read_text(encoding="utf-8") + "title: again\n", encoding="utf-8")
    docs_before, site_before = snapshot(root / "docs"), snapshot(root / "site")
    result = build_site(root)
    assert result.returncode == 1
    assert "written twice" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(root / "docs") == docs_before and snapshot(root / "site") == site_before
    assert not list(root.glob(".site-build-*"))


def test_make_serve_on_a_busy_port_says_so_in_one_line_and_builds_nothing():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        temp_before = set(Path(tempfile.gettempdir()).glob("mkdocs_*"))
        proc = subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT_DIR), "serve", f"DEV_ADDR={address}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env=dict(os.environ, ALLOW_APT="0"))
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            pytest.fail(f"make serve started on a busy port {address}")
    assert proc.returncode != 0
    ours = [line for line in err.splitlines() if line.strip() and not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert ours == [f"error: {address} is already in use (another `make serve`?); stop that server or "
                    f"choose another address, e.g. `make serve DEV_ADDR=127.0.0.1:{int(address.split(':')[1]) + 1}`"]
    assert "Traceback" not in err and "Building documentation" not in out + err
    assert set(Path(tempfile.gettempdir()).glob("mkdocs_*")) <= temp_before
