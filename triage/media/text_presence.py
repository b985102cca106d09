"""A cheap test for "might this picture hold printed text?", run before Tesseract so that a picture with none
costs a few milliseconds instead of a full OCR pass (which spends 50-100 ms on a busy 640 px frame to find nothing).

Printed text is sharp strokes on a calm background, several of them side by side: in a grid of small tiles, a
text line is a run of neighbouring tiles that each hold some strong edges (not a wall of them, as noise does) and
many flat pixels between them. Smooth pictures (gradients, sky, blur) have no strong edges; noise and grain have
edges everywhere and no flat pixels; both fail the test. Busy natural scenes sometimes pass, and then Tesseract's
confidence filter has the last word. Sharp textures (such as cellular patterns) pass it over whole frames, and
Tesseract spent a second or more on each to find nothing: `is_texture` tells them from lines of text, and
`plate_lines` finds the captions printed on plates inside them.
"""

from __future__ import annotations

import itertools

import numpy as np

_MAX_SIDE = 640  # the test runs on at most this long a side: small captions stay a few pixels tall
_TILE = 16
_STRONG = 48  # a step between neighbouring grey levels at least this big is a stroke's edge
_FLAT = 8  # a step this small or smaller is background
_MIN_EDGES, _MAX_EDGES = 0.03, 0.75  # share of a tile's pixels on strong edges, for a tile of text (outlined small
# captions reach 0.7; grain and noise have edges nearly everywhere but fail the flat share below)
_MIN_FLAT = 0.15  # share of a tile's pixels that are flat, for a tile of text (noise and grain: under 0.05)
_RUN = 3  # neighbouring text-like tiles in one row of tiles that make a line of text
_LINE_TILES = 4  # a region this many tiles tall is one line of text with its margins: always worth reading
_CALM_ROW = 0.02  # a pixel row with at most this share of strong steps across is calm (between lines, around them)
_MIN_CALM = 0.05  # a taller region with fewer calm rows than this share is a texture, not lines of text
_PLATE_ROWS = 3  # flat rows above and below a line that make the plate it is printed on, inside a texture


def tile_pixels(shape: tuple[int, ...]) -> int:
    """How many of the picture's pixels one tile of `text_tiles` spans."""
    return max(1, -(-max(shape[:2]) // _MAX_SIDE)) * _TILE


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
    scale = tile_pixels(rgb.shape)
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


def is_texture(ink: np.ndarray, tile: int) -> bool:
    """True when a region found by `text_regions` (`ink`: its grey levels, or a mask of the pixels to read, in the
    picture's pixels; `tile`: `tile_pixels` of the picture) is a texture rather than lines of text, and reading it
    would cost Tesseract seconds to find nothing. Lines of text, on any background calm enough to read them on,
    leave calm pixel rows between and around them (at least 59% of the rows of every poster and caption region in
    benchmarks/bench_ocr.py, seed 0); sharp textures such as cellular patterns have none. A region one
    line tall is always read, however busy: a caption over a busy scene must not be lost to save a little."""
    if ink.shape[0] <= _LINE_TILES * tile or ink.shape[1] <= 2 * tile:
        return False
    inner = ink[:, tile:-tile].astype(np.int16)  # the margin columns that `text_regions` added may hold the scene
    steps = np.abs(np.diff(inner, axis=1)) >= _STRONG
    calm = steps.mean(axis=1) <= _CALM_ROW
    return bool(calm.mean() < _MIN_CALM)


def _longest_flat_runs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel row: where its longest flat stretch (no step over `_FLAT`) starts, and how long it is."""
    steps = np.abs(np.diff(ink.astype(np.int16), axis=1)) > _FLAT
    starts, lengths = np.zeros(len(steps), dtype=np.int64), np.zeros(len(steps), dtype=np.int64)
    for y, row in enumerate(steps):
        cuts = np.flatnonzero(np.concatenate(([True], row, [True])))
        gaps = np.diff(cuts) - 1
        longest = int(np.argmax(gaps))
        starts[y], lengths[y] = cuts[longest], gaps[longest]
    return starts, lengths


def plate_lines(ink: np.ndarray, tile: int) -> list[tuple[int, int, int, int]]:
    """Boxes (in `ink`'s pixels) of the lines printed on a plate inside a texture (a caption's black box over a
    busy scene): a band at most a line tall with a flat stretch at least `_RUN` tiles wide for `_PLATE_ROWS` rows
    above it and below it. What `is_texture` skips is searched for these, so such a caption is still read."""
    starts, lengths = _longest_flat_runs(ink)
    flat = lengths >= _RUN * tile
    stripes: list[tuple[int, int]] = []  # [first, end) of each stack of at least _PLATE_ROWS flat rows
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flat.astype(np.int8), [0]))))
    for first, end in zip(edges[::2], edges[1::2], strict=True):
        if end - first >= _PLATE_ROWS:
            stripes.append((int(first), int(end)))
    boxes = []
    for (top, above), (below, bottom) in itertools.pairwise(stripes):
        if not 2 <= below - above <= _LINE_TILES * tile:
            continue
        # the widest flat row on each side: the plate's own edge, where no ascender or descender cuts it
        upper, lower = top + int(np.argmax(lengths[top:above])), below + int(np.argmax(lengths[below:bottom]))
        x0 = int(max(starts[upper], starts[lower]))
        x1 = int(min(starts[upper] + lengths[upper], starts[lower] + lengths[lower]))
        if x1 - x0 >= _RUN * tile:  # the flat stretches above and below line up: a plate
            # with up to a tile of it each way around the line: Tesseract reads a line with margins better
            boxes.append((x0, max(top, above - tile), x1, min(bottom, below + tile)))
    return boxes
