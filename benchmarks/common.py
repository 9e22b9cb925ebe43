"""What the benchmarks share: a temporary project root, and the commands `make site` runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_root(tmp: Path) -> Path:
    """A temporary project root: problems/, docs/ (with assets/katex) and mkdocs.yml."""
    root = tmp / "root"
    root.mkdir()
    shutil.copytree(REPO / "problems", root / "problems")
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    # mkdocs.yml hooks: and theme.custom_dir (overrides/), the KaTeX renderer (read only)
    for name in ("generator", "hooks", "overrides", "scripts", "vendor"):
        if (REPO / name).exists():
            (root / name).symlink_to(REPO / name, target_is_directory=True)
    return root


def mkdocs_exe() -> list[str]:
    exe = Path(sys.executable).parent / "mkdocs"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "mkdocs"]


def run_command(cmd: list[str], root: Path, **env_values: str) -> None:
    """Run ``cmd`` in ``root`` (the environment plus ``env_values``); raise if it fails."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **env_values)
    r = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")


def mkdocs_command(root: Path, site: Path) -> list[str]:
    return mkdocs_exe() + ["build", "--strict", "-q", "--site-dir", str(site), "-f", str(root / "mkdocs.yml")]
