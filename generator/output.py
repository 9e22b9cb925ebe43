"""The only module that writes files: all pages are computed first, then written atomically.

It writes the generated pages under docs/ (write_tree) and the build cache (write_cache).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .cache import ENTRIES, STATE

MANIFEST = ".generated"  # lists the generated files under docs/, so stale ones can be removed


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_tree(root: Path, files: dict[str, bytes]) -> WriteReport:
    """Write changed files under ``root``, leave identical ones alone, remove stale generated ones."""
    report = WriteReport()
    for rel in sorted(files):
        path = root / rel
        if path.exists() and path.read_bytes() == files[rel]:
            report.unchanged.append(rel)
            continue
        write_atomic(path, files[rel])
        report.written.append(rel)
    manifest = root / MANIFEST
    old = set(manifest.read_text(encoding="utf-8").split()) if manifest.exists() else set()
    for rel in sorted(old - set(files)):
        stale = root / rel
        if stale.is_file():
            stale.unlink()
            report.removed.append(rel)
    listing = ("\n".join(sorted(files)) + "\n").encode("utf-8")
    if not manifest.exists() or manifest.read_bytes() != listing:
        write_atomic(manifest, listing)
    return report


def write_cache(cache_dir: Path, entries: dict[str, bytes], state: bytes, keep: set[str],
                limit: int) -> None:
    """Store new build-cache entries (``<key>.json`` -> bytes) and the build state, then prune.

    Entries named in ``keep`` (the ones the build just used) stay; of the others, the ``limit``
    most recently used stay and older ones are removed. Only the cache's own files are touched.
    """
    pages = cache_dir / ENTRIES
    for name, data in sorted(entries.items()):
        path = pages / name
        if not (path.exists() and path.read_bytes() == data):
            write_atomic(path, data)
    for name in sorted(keep):
        path = pages / name
        if path.exists() and name not in entries:
            os.utime(path)  # mark as recently used, for the pruning below
    state_path = cache_dir / STATE
    if not (state_path.exists() and state_path.read_bytes() == state):
        write_atomic(state_path, state)
    if pages.is_dir():
        others = [p for p in pages.glob("*.json") if p.name not in keep]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in others[limit:]:
            stale.unlink(missing_ok=True)
