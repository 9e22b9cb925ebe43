"""mkdocs hook (mkdocs.yml `hooks:`): live preview of problem files under `mkdocs serve`.

Under `mkdocs serve` only (never `mkdocs build`, so `make site` is unaffected):

- on start-up, before the first build, the generator runs once (`python -m generator build
  --strict`), so the pages match problems/;
- a watcher on problems/*.yml (and generator/**/*.py) runs the generator again after each
  edit. The generator rewrites only the pages whose bytes changed, under docs/, which
  mkdocs already watches: so each edit that changes a page gives exactly one site rebuild, and
  an edit that changes nothing (or a generator error) gives none;
- a generator error (a mistake in a problem file, a failed check) is printed, clearly, and
  the server keeps serving the last good pages.

The generator runs as a subprocess: it always uses the current generator source, and nothing
it does can stop the server. Only the standard library and watchdog (which mkdocs itself
uses) are imported here.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project folder (holds problems/, docs/)
DEBOUNCE = 0.3  # seconds of quiet after the last change before the generator runs
# events that mean a file's content changed; not "opened" / "closed_no_write", which the
# generator itself causes by reading the files (watching those would loop)
CHANGES = {"created", "modified", "moved", "deleted", "closed"}
TIMEOUT = 600  # seconds

log = logging.getLogger("mkdocs.hooks.generator")

# mkdocs loads this file again for every rebuild's config; state that must live as long as
# the server is kept on the `sys` module, under one attribute.
_STATE_KEY = "_backprop_worked_live_preview"


def _generate(reason: str) -> bool:
    """Run the generator; print its report. True when it succeeded."""
    cmd = [sys.executable, "-m", "generator", "--root", str(ROOT), "build", "--strict"]
    log.info(f"Generating pages ({reason})...")
    try:
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.SubprocessError) as err:
        log.error(f"The generator could not run: {err}; still serving the previous pages.")
        return False
    for line in run.stdout.splitlines():
        # what changed and the summary; not the progress lines nor every unchanged problem
        if line.strip() and not line.startswith("[") and not line.strip().startswith("unchanged"):
            log.info(f"generator: {line.strip()}")
    if run.returncode != 0:
        message = run.stderr.rstrip() or f"exit status {run.returncode}"
        # one clear block, then the server carries on with the pages it has
        log.error("The generator stopped; still serving the previous pages. Fix this and save again:\n"
                  + message)
        return False
    return True


class _Watcher:
    """Runs the generator after changes to problem files or the generator's source."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one generator run at a time
        self.timer: threading.Timer | None = None
        self.timer_lock = threading.Lock()
        self.observer = None

    def relevant(self, path: str) -> bool:
        p = Path(path)
        if "__pycache__" in p.parts:
            return False
        if p.suffix == ".yml" and p.parent == ROOT / "problems":
            return not p.name.startswith(".")
        return p.suffix == ".py" and ROOT / "generator" in p.parents

    def on_event(self, event) -> None:
        if event.is_directory or event.event_type not in CHANGES:
            return
        paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "") or ""]
        if not any(p and self.relevant(p) for p in paths):
            return
        with self.timer_lock:  # debounce: editors write several events per save
            if self.timer is not None:
                self.timer.cancel()
            self.timer = threading.Timer(DEBOUNCE, self.run)
            self.timer.daemon = True
            self.timer.start()

    def run(self) -> None:
        with self.lock:
            _generate("problem files changed")

    def start(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        handler = FileSystemEventHandler()
        handler.on_any_event = self.on_event  # type: ignore[method-assign]
        self.observer = Observer()
        self.observer.schedule(handler, str(ROOT / "problems"), recursive=False)
        self.observer.schedule(handler, str(ROOT / "generator"), recursive=True)
        self.observer.daemon = True
        self.observer.start()
        log.info("Watching problems/ and generator/: pages are regenerated on every change")

    def stop(self) -> None:
        with self.timer_lock:
            if self.timer is not None:
                self.timer.cancel()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)


def on_startup(command: str, dirty: bool) -> None:
    """`mkdocs serve`: generate once, before the first build (errors keep the old pages)."""
    if command != "serve" or getattr(sys, _STATE_KEY, None) is not None:
        return
    setattr(sys, _STATE_KEY, {"watcher": None})
    _generate("mkdocs serve is starting")


def on_serve(server, config, builder):
    """Start watching problems/ (once per server)."""
    state = getattr(sys, _STATE_KEY, None)
    if state is None:  # `mkdocs serve --clean` reports command 'build' to on_startup
        state = {"watcher": None}
        setattr(sys, _STATE_KEY, state)
        _generate("mkdocs serve is starting")
    if state["watcher"] is None:
        watcher = _Watcher()
        watcher.start()
        state["watcher"] = watcher
    return server


def on_shutdown() -> None:
    state = getattr(sys, _STATE_KEY, None)
    if state and state.get("watcher") is not None:
        state["watcher"].stop()
        state["watcher"] = None
