"""The file store: originals by content hash, atomic derived files, nothing outside the data dir, sweeping leftovers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from triage.errors import UnsafePath
from triage.store.files import FileStore


def test_originals_are_stored_once_by_their_hash(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data")
    source = tmp_path / "a.bin"
    source.write_bytes(b"hello" * 1000)
    sha, size = store.put_original(source)
    assert sha == hashlib.sha256(source.read_bytes()).hexdigest() and size == 5000
    assert store.put_original(source) == (sha, size)
    assert store.original_path(sha).read_bytes() == source.read_bytes()
    assert not list(store.tmp.iterdir())


def test_resolve_refuses_paths_outside_the_root(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data")
    with pytest.raises(UnsafePath):
        store.resolve("../../etc/passwd")
    with pytest.raises(UnsafePath):
        store.write_atomic(Path("../escape.txt"), b"x")
    assert store.resolve("derived/x").is_relative_to(store.root)


def test_atomic_write_replaces_whole_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data")
    path = store.derived_dir("ab" * 32) / "poster.jpg"
    store.write_atomic(path, b"first")
    store.write_atomic(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in path.parent.iterdir()] == ["poster.jpg"]


def test_sweep_removes_leftovers_but_not_what_rows_know(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data")
    kept = tmp_path / "kept.bin"
    kept.write_bytes(b"kept")
    orphan = tmp_path / "orphan.bin"
    orphan.write_bytes(b"orphan")
    sha_kept, _ = store.put_original(kept)
    sha_orphan, _ = store.put_original(orphan)
    store.write_atomic(store.derived_dir(sha_kept) / "poster.jpg", b"jpg")
    store.write_atomic(store.derived_dir(sha_orphan) / "poster.jpg", b"jpg")
    (store.tmp / "half-written").write_bytes(b"...")
    removed = store.sweep(known_originals={sha_kept}, ready_derived={sha_kept})
    assert removed == 3
    assert store.original_path(sha_kept).exists() and not store.original_path(sha_orphan).exists()
    assert (store.derived_dir(sha_kept) / "poster.jpg").exists() and not store.derived_dir(sha_orphan).exists()
    assert not list(store.tmp.iterdir())


def test_sweep_waits_while_a_writer_is_active(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data")
    (store.tmp / "in-progress").write_bytes(b"...")
    with store.active():
        other = FileStore(tmp_path / "data")
        assert other.sweep(known_originals=set(), ready_derived=set()) == 0
    assert (store.tmp / "in-progress").exists()
