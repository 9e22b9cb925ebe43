"""generator/output.py: atomic writes, unchanged files left alone, stale generated files removed."""

from __future__ import annotations

import os
import stat

from generator.output import MANIFEST, write_atomic, write_tree


def test_write_atomic_writes_bytes_with_mode_644_and_no_leftovers(tmp_path):
    target = tmp_path / "a" / "b" / "page.md"
    write_atomic(target, b"hello\n")
    assert target.read_bytes() == b"hello\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["page.md"]


def test_write_atomic_replaces_existing_content(tmp_path):
    target = tmp_path / "page.md"
    target.write_bytes(b"old old old old\n")
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"


def test_write_tree_reports_written_then_unchanged(tmp_path):
    files = {"index.md": b"home\n", "handouts/x/index.md": b"x\n"}
    first = write_tree(tmp_path, files)
    assert first.written == sorted(files) and first.unchanged == [] and first.removed == []
    assert (tmp_path / MANIFEST).read_text(encoding="utf-8").split() == sorted(files)
    mtimes = {rel: os.stat(tmp_path / rel).st_mtime_ns for rel in files}
    second = write_tree(tmp_path, files)
    assert second.written == [] and second.unchanged == sorted(files)
    assert {rel: os.stat(tmp_path / rel).st_mtime_ns for rel in files} == mtimes


def test_write_tree_rewrites_only_changed_files(tmp_path):
    write_tree(tmp_path, {"a.md": b"1\n", "b.md": b"2\n"})
    report = write_tree(tmp_path, {"a.md": b"1\n", "b.md": b"changed\n"})
    assert report.written == ["b.md"] and report.unchanged == ["a.md"]
    assert (tmp_path / "b.md").read_bytes() == b"changed\n"


def test_write_tree_removes_only_stale_generated_files(tmp_path):
    write_tree(tmp_path, {"a.md": b"1\n", "old.md": b"2\n"})
    (tmp_path / "hand-written.md").write_bytes(b"mine\n")
    report = write_tree(tmp_path, {"a.md": b"1\n"})
    assert report.removed == ["old.md"]
    assert not (tmp_path / "old.md").exists()
    assert (tmp_path / "hand-written.md").read_bytes() == b"mine\n"
    assert (tmp_path / MANIFEST).read_text(encoding="utf-8").split() == ["a.md"]
