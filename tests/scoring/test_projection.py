"""The pool map's layout: the same pool gives the same picture, a new piece makes a new one in which the others
keep their place, and tiny pools still get a picture."""

from __future__ import annotations

import numpy as np
import pytest

from tests.scoring.helpers import axis, item, words
from triage.scoring.projection import Layout, pool_layout, project


def themed(n: int, themes: int = 4, seed: int = 0, start: int = 0) -> list:
    """`n` text pieces around `themes` directions, a little noise each."""
    return [item(f"p{start + k:04d}", text=words([axis(k % themes, noise=0.25, seed=seed + start + k)]))
            for k in range(n)]


def spread(layout: Layout) -> float:
    return float(np.ptp(layout.xy, axis=0).max())


def test_same_pool_same_picture_whatever_the_order() -> None:
    pool = themed(60)
    first, again = pool_layout(pool), pool_layout(pool)
    assert first.ids == again.ids and np.array_equal(first.xy, again.xy)
    shuffled = pool_layout(list(reversed(pool))).position()
    assert all(np.allclose(shuffled[i], xy) for i, xy in first.position().items())


def test_an_unchanged_pool_keeps_its_layout() -> None:
    pool = themed(30)
    first = pool_layout(pool)
    assert np.array_equal(pool_layout(pool, previous=first).xy, first.xy)


def test_themes_stay_apart_on_the_map() -> None:
    pool = themed(80)
    layout = pool_layout(pool).position()
    centres = [np.mean([layout[p.submission_id] for k, p in enumerate(pool) if k % 4 == t], axis=0)
               for t in range(4)]
    within = np.mean([np.linalg.norm(np.array(layout[p.submission_id]) - centres[k % 4])
                      for k, p in enumerate(pool)])
    between = min(np.linalg.norm(a - b) for i, a in enumerate(centres) for b in centres[i + 1:])
    assert between > 2 * within


def test_a_new_piece_is_placed_and_the_others_keep_their_place() -> None:
    pool = themed(80)
    first = pool_layout(pool)
    grown = pool + themed(1, start=500)
    second = pool_layout(grown, previous=first)
    assert second.ids == tuple(p.submission_id for p in grown)
    assert not np.array_equal(second.xy[:80], first.xy)  # recomputed, not the old picture with a point added
    moved = np.linalg.norm(second.xy[:80] - first.xy, axis=1)
    assert np.median(moved) < 0.1 * spread(first)
    # the newcomer lands among the pieces of its theme (theme 0, like p0000, p0004, ...)
    new = second.position()["p0500"]
    theme = np.mean([second.position()[f"p{k:04d}"] for k in range(0, 80, 4)], axis=0)
    assert np.linalg.norm(np.array(new) - theme) < 0.25 * spread(second)


def test_a_changed_vector_is_a_new_piece() -> None:
    pool = themed(20)
    first = pool_layout(pool)
    pool[3] = item("p0003", text=words([axis(1, noise=0.1, seed=99)]))
    second = pool_layout(pool, previous=first)
    assert second.digests[3] != first.digests[3]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_tiny_pools_get_a_picture(n: int) -> None:
    layout = pool_layout(themed(n))
    assert layout.xy.shape == (n, 2) and np.isfinite(layout.xy).all()
    if n >= 2:  # every piece a point of its own
        assert len({tuple(np.round(r, 6)) for r in layout.xy}) == n


def test_copies_with_identical_vectors_do_not_hide_each_other() -> None:
    pool = themed(12)
    same = item("copy", text=words([pool[0].text.matrix[0]]))  # type: ignore[union-attr]
    layout = pool_layout([*pool, same]).position()
    assert layout["copy"] != layout[pool[0].submission_id]
    assert np.linalg.norm(np.subtract(layout["copy"], layout[pool[0].submission_id])) < 0.05 * spread(
        pool_layout([*pool, same]))


def test_pieces_without_vectors_still_get_a_point() -> None:
    pool = [*themed(10), item("bare")]
    layout = project([p.submission_id for p in pool], np.zeros((11, 4)))
    assert layout.xy.shape == (11, 2) and np.isfinite(layout.xy).all()
    assert "bare" in pool_layout(pool).position()
