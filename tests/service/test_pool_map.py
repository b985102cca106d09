"""The pool map's kept layout (service.map_layout) and the places of the pieces it lacks (service.pool_map)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from triage.scoring.cluster import Cluster
from triage.scoring.projection import Layout
from triage.service.map_layout import KeptLayout, layout_path, load, save
from triage.service.pool_map import provisional


def test_the_kept_layout_round_trips_and_a_broken_file_is_none(tmp_path: Path) -> None:
    store: Any = SimpleNamespace(data_dir=tmp_path)  # the layout's file needs the data dir only
    assert load(store, "lawn") is None
    layout = Layout(("a", "b"), ("d1", "d2"), np.array([[0.5, -1.25], [3.0, 4.0]]))
    save(store, "lawn", KeptLayout("sig", layout, 1.0))
    assert layout_path(store, "lawn") == tmp_path / "scores" / "lawn.map.json"  # beside the kept scores
    memo: dict[str, object] = {}
    kept = load(store, "lawn", memo)
    assert kept is not None and kept.signature == "sig" and kept.layout.ids == ("a", "b")
    assert np.allclose(kept.layout.xy, layout.xy) and load(store, "lawn", memo) is kept  # parsed once
    layout_path(store, "lawn").write_text("{not json")
    assert load(store, "lawn") is None  # derived data: a broken file is recomputed, never an error


def test_new_pieces_wait_near_their_sub_theme_apart_from_each_other() -> None:
    where = {"a": (0.0, 0.0), "b": (2.0, 0.0), "c": (100.0, 100.0)}
    clusters = [Cluster(0, "left", 3, ("a", "b", "n1", "n2"), ()), Cluster(1, "right", 2, ("c",), ())]
    placed = provisional(where, ["n1", "n2", "n3"], clusters)
    assert set(placed) == {"n1", "n2", "n3"}
    for sid in ("n1", "n2"):
        assert np.hypot(placed[sid][0] - 1.0, placed[sid][1]) < 5  # by the centre of a and b
    assert placed["n1"] != placed["n2"]
    assert 20 < placed["n3"][0] < 50  # no sub-theme: near the centre of everything placed
    assert provisional({}, ["n1"], clusters) == {}


def test_the_call_outs_laid_out_are_those_with_a_kept_layout(tmp_path: Path) -> None:
    from triage.service.map_layout import laid_out

    store: Any = SimpleNamespace(data_dir=tmp_path)
    assert laid_out(store) == []
    for callout in ("lawn", "pets"):
        save(store, callout, KeptLayout("sig", Layout((), (), np.zeros((0, 2))), 1.0))
    (tmp_path / "scores" / "lawn.json").write_text("{}")  # kept scores are not layouts
    assert laid_out(store) == ["lawn", "pets"]
