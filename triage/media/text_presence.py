"""A cheap test for "might this picture hold printed text?", run before Tesseract so that a picture with none
costs a few milliseconds instead of a full OCR pass (which spends 50-100 ms on a busy 640 px frame to find nothing).

Printed text is sharp strokes on a calm background, several of them side by side: in a grid of small tiles, a
text line is a run of neighbouring tiles that each hold some strong edges (not a wall of them, as noise does) and
many flat pixels between them. Smooth pictures (gradients, sky, blur) have no strong edges; noise and grain have
edges everywhere and no flat pixels; both fail the test. Busy natural scenes sometimes pass, and then Tesseract's
confidence filter has the last word.
"""

from __future__ import annotations

import numpy as np

_MAX_SIDE = 640  # the test runs on at most this long a side: small captions stay a few pixels tall
_TILE = 16
_STRONG = 48  # a step between neighbouring grey levels at least this big is a stroke's edge
_FLAT = 8  # a step this small or smaller is background
_MIN_EDGES, _MAX_EDGES = 0.03, 0.75  # share of a tile's pixels on strong edges, for a tile of text (outlined small
# captions reach 0.7; grain and noise have edges nearly everywhere but fail the flat share below)
_MIN_FLAT = 0.15  # share of a tile's pixels that are flat, for a tile of text (noise and grain: under 0.05)
_RUN = 3  # neighbouring text-like tiles in one row of tiles that make a line of text


def grey_small(rgb: np.ndarray, max_side: int = _MAX_SIDE) -> np.ndarray:
    """The picture as int16 grey levels, shrunk by a whole factor (striding: no filtering cost) to at most
    `max_side`."""
    step = max(1, -(-max(rgb.shape[:2]) // max_side))
    small = rgb[::step, ::step, :3].astype(np.int32)
    return ((small[..., 0] * 77 + small[..., 1] * 150 + small[..., 2] * 29) >> 8).astype(np.int16)


def text_tiles(rgb: np.ndarray) -> np.ndarray:
    """A boolean grid, one cell per tile of the (shrunk) picture: True where the tile looks like printed text."""
    grey = grey_small(rgb)
    # the step to the right and down neighbour, on pixels that have both; the grid padded to whole tiles, each
    # tile's shares counted over its own pixels only, so a caption in the last few rows counts too
    across, down = np.abs(np.diff(grey[:-1], axis=1)), np.abs(np.diff(grey[:, :-1], axis=0))
    step = np.maximum(across, down)
    h, w = -(-step.shape[0] // _TILE) * _TILE, -(-step.shape[1] // _TILE) * _TILE
    if not step.size:
        return np.zeros((0, 0), dtype=bool)
    pad = ((0, h - step.shape[0]), (0, w - step.shape[1]))
    pixels = np.pad(np.ones(step.shape, dtype=np.float32), pad).reshape(h // _TILE, _TILE, w // _TILE, _TILE)
    counts = pixels.sum(axis=(1, 3))

    def share(mask: np.ndarray) -> np.ndarray:
        total = np.pad(mask.astype(np.float32), pad).reshape(h // _TILE, _TILE, w // _TILE, _TILE).sum(axis=(1, 3))
        return total / np.maximum(counts, 1)

    edges, flat = share(step >= _STRONG), share(step <= _FLAT)
    # letters have edges both ways (stems, and the tops and bottoms of strokes); stripes and bars have one
    both_ways = np.minimum(share(across >= _STRONG), share(down >= _STRONG)) >= _MIN_EDGES / 3
    enough = counts >= _TILE * _TILE / 4  # a sliver of a tile at the edge says little
    return enough & both_ways & (edges >= _MIN_EDGES) & (edges <= _MAX_EDGES) & (flat >= _MIN_FLAT)


def _runs(tiles: np.ndarray) -> np.ndarray:
    """True on every tile that is part of a run of `_RUN` neighbouring text-like tiles in its row."""
    n = tiles.shape[1]
    if n < _RUN:
        return tiles.copy()
    starts = tiles[:, : n - _RUN + 1].copy()
    for k in range(1, _RUN):
        starts &= tiles[:, k: n - _RUN + 1 + k]
    out = np.zeros_like(tiles)
    for k in range(_RUN):
        out[:, k: n - _RUN + 1 + k] |= starts
    return out


def may_hold_text(rgb: np.ndarray) -> bool:
    """True when some row of tiles has a run of `_RUN` neighbouring text-like tiles (a line of text, or part of one)."""
    return bool(_runs(text_tiles(rgb)).any())


def text_regions(rgb: np.ndarray, margin: int = 1) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1, in the picture's pixels) around the bands of neighbouring tile rows holding runs of
    text-like tiles, widened by `margin` tiles: where to read, so a busy picture around a caption does not confuse
    Tesseract's page layout. [] when the picture fails `may_hold_text`."""
    runs = _runs(text_tiles(rgb))
    rows = np.flatnonzero(runs.any(axis=1))
    if not len(rows):
        return []
    scale = max(1, -(-max(rgb.shape[:2]) // _MAX_SIDE)) * _TILE
    height, width = rgb.shape[:2]
    boxes: list[tuple[int, int, int, int]] = []
    for band in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):
        cols = np.flatnonzero(runs[band].any(axis=0))
        x0, x1 = max(0, (cols[0] - margin) * scale), min(width, (cols[-1] + 1 + margin) * scale)
        y0, y1 = max(0, (band[0] - margin) * scale), min(height, (band[-1] + 1 + margin) * scale)
        if boxes and y0 <= boxes[-1][3]:  # the margins meet: one region, so no line is read twice
            px0, py0, px1, py1 = boxes.pop()
            x0, y0, x1 = min(px0, x0), py0, max(px1, x1)
        boxes.append((int(x0), int(y0), int(x1), int(y1)))
    return boxes
