"""The build cache: a problem's rendered files, keyed by a hash of everything they depend on.

A problem's page and drawings are a pure function of
  - its problem file (the exact bytes the validator parsed) and its name (the page's path),
  - problems/handouts.yml (the handout's title and folder appear in them),
  - the generator's code that shapes pages (generator/{problem,graph,solve,render}/, produce.py), and
  - the toolchain that renders them (Python, numpy, sympy, Graphviz's `dot`).
The key is the sha256 of all of these, so a cache hit gives exactly the bytes a full build
would make. Entries live in ``<root>/.build-cache/`` (git-ignored). This module only reads;
generator/output.py writes (output.write_cache).
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = ".build-cache"
FORMAT = 1  # bump when the layout below changes; older entries are then ignored
ENTRIES = "pages"  # <key>.json: {"format", "stem", "files": {path under docs/: text}, "sha256": {...}}
STATE = "state.json"  # the inputs of each problem at the last successful build (for the reasons)
KEEP = 64  # entries kept besides the ones the last build used (a few earlier versions per problem)

GENERATOR_DIR = Path(__file__).resolve().parent

# what each component of a key is called in the console
COMPONENTS = {
    "problem": "problem file changed",
    "handouts": "handouts.yml changed",
    "generator": "generator changed",
    "toolchain": "toolchain changed",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# the code that shapes a problem's page and drawings: the stages problem -> graph -> solve ->
# render, and produce.py that runs them; the command line, the scaffold, the build's bookkeeping
# (this module, output.py, pipeline.py) change no page, so editing them regenerates nothing
PAGE_CODE = ("problem", "graph", "solve", "render", "produce.py")


@functools.cache
def generator_hash(source_dir: Path = GENERATOR_DIR) -> str:
    """sha256 over the code that shapes pages (its paths and bytes), in a fixed order."""
    h = hashlib.sha256()
    for path in sorted(source_dir.rglob("*.py")):
        if "__pycache__" in path.parts or path.relative_to(source_dir).parts[0] not in PAGE_CODE:
            continue
        h.update(path.relative_to(source_dir).as_posix().encode("utf-8") + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def toolchain_hash() -> str:
    """The versions that shape the output besides our own code: Python, numpy, sympy, dot."""
    import graphviz
    import numpy
    import sympy

    dot = shutil.which("dot")
    version = "dot: not installed"
    if dot:
        try:
            run = subprocess.run([dot, "-V"], capture_output=True, timeout=30)
            version = (run.stdout + run.stderr).decode("utf-8", "replace").strip()
        except (OSError, subprocess.SubprocessError) as err:
            version = f"dot: {err}"
    text = "\n".join([platform.python_version(), f"numpy {numpy.__version__}",
                      f"sympy {sympy.__version__}", f"graphviz {graphviz.__version__}", version])
    return sha256(text.encode("utf-8"))


@dataclass(frozen=True)
class Inputs:
    """What one problem's rendered files depend on, each as a sha256."""

    stem: str
    problem: str
    handouts: str
    generator: str
    toolchain: str

    @property
    def key(self) -> str:
        text = "\n".join([f"backprop-worked build cache {FORMAT}", self.stem, self.problem,
                          self.handouts, self.generator, self.toolchain])
        return sha256(text.encode("utf-8"))

    def as_dict(self) -> dict[str, str]:
        return {"problem": self.problem, "handouts": self.handouts,
                "generator": self.generator, "toolchain": self.toolchain, "key": self.key}

    def changed_since(self, before: dict | None) -> list[str]:
        """Which inputs differ from ``before`` (a previous as_dict()), in words."""
        if not isinstance(before, dict):
            return []
        return [words for name, words in COMPONENTS.items() if before.get(name) != getattr(self, name)]


class BuildCache:
    """Read access to ``<root>/.build-cache``; a missing or damaged entry is simply a miss."""

    def __init__(self, root: Path):
        self.dir = root / CACHE_DIR
        self.state = self._load_state()

    def _load_state(self) -> dict[str, dict] | None:
        try:
            data = json.loads((self.dir / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("problems"), dict):
            return None
        return data["problems"]

    def entry_path(self, key: str) -> Path:
        return self.dir / ENTRIES / f"{key}.json"

    def lookup(self, key: str) -> dict[str, bytes] | None:
        """The cached files for ``key`` (path under docs/ -> bytes), or None."""
        try:
            data = json.loads(self.entry_path(key).read_text(encoding="utf-8"))
            files = {rel: text.encode("utf-8") for rel, text in data["files"].items()}
            sums = data["sha256"]
            if data.get("format") != FORMAT or data.get("key") != key:
                return None
            if set(sums) != set(files) or any(sha256(files[rel]) != sums[rel] for rel in files):
                return None  # damaged: rebuild it
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return files

    def previous(self, stem: str) -> dict | None:
        """The inputs of ``stem`` at the last successful build, or None."""
        if self.state is None:
            return None
        before = self.state.get(stem)
        return before if isinstance(before, dict) else None


def entry_bytes(key: str, stem: str, files: dict[str, bytes]) -> bytes:
    """The serialised cache entry (UTF-8 JSON, stable key order)."""
    data = {"format": FORMAT, "key": key, "stem": stem,
            "files": {rel: files[rel].decode("utf-8") for rel in sorted(files)},
            "sha256": {rel: sha256(files[rel]) for rel in sorted(files)}}
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=0) + "\n").encode("utf-8")


def state_bytes(inputs: list[Inputs]) -> bytes:
    data = {"format": FORMAT, "problems": {i.stem: i.as_dict() for i in inputs}}
    return (json.dumps(data, sort_keys=True, indent=1) + "\n").encode("utf-8")
