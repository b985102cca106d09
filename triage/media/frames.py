"""Pure helpers over RGB frames: downscaling, blank detection, a picture-quality score."""

from __future__ import annotations

import numpy as np
from PIL import Image

MAX_FRAME_SIDE = 512
# On a 0..255 scale, a frame whose luminance varies less than this is a flat colour (black, fades, slates).
BLANK_STD = 6.0


def fit_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size that keeps the aspect ratio with the long side at most max_side (never upscales)."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def downscale(rgb: np.ndarray, max_side: int = MAX_FRAME_SIDE) -> np.ndarray:
    """Shrink an RGB uint8 array so its long side is at most max_side."""
    height, width = rgb.shape[:2]
    size = fit_size(width, height, max_side)
    if size == (width, height):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma as float32."""
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def is_blank(rgb: np.ndarray) -> bool:
    """True for black or near-uniform frames that say nothing about the content."""
    return float(luminance(rgb).std()) < BLANK_STD


def detail_score(rgb: np.ndarray) -> float:
    """Contrast plus edge energy: higher for sharp, busy pictures (used to pick a poster frame)."""
    luma = luminance(rgb)
    edges = np.abs(np.diff(luma, axis=0)).mean() + np.abs(np.diff(luma, axis=1)).mean()
    return float(luma.std() + edges)
