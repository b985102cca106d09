"""CLIP's image preprocessing as tensor operations, so that it can run where the model runs (the GPU).

On the CPU, open_clip's transform resizes one PIL image at a time; next to a GPU that is the bottleneck
(benchmarks/RESULTS.md, "On a GPU"). torchvision runs the same resize, crop and normalise steps on tensors.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from triage.errors import ProcessingFailed

# Steps of open_clip's transform that only turn a PIL image into a float tensor; here the arrays become
# tensors directly.
_CONVERSIONS = {"MaybeConvertMode", "MaybeToTensor", "ToTensor", "_convert_to_rgb"}


def as_rgb(img: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 array from RGB, RGBA or greyscale input."""
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise ProcessingFailed(f"Expected an RGB image of shape (H, W, 3), got {arr.shape}")
    return np.ascontiguousarray(arr[..., :3].astype(np.uint8))


def tensor_steps(transform: Any) -> Any | None:
    """The resize, crop and normalise steps of an open_clip image transform, runnable on tensor batches.

    None when the transform holds a step torchvision cannot run on tensors the same way (an open_clip resize
    mode other than the default, say): the caller then keeps the PIL transform.
    """
    from torchvision import transforms as T

    steps = []
    for step in getattr(transform, "transforms", [transform]):
        name = getattr(step, "__name__", type(step).__name__)
        if name in _CONVERSIONS:
            continue
        if not isinstance(step, T.Resize | T.CenterCrop | T.Normalize):
            return None
        steps.append(step)
    return T.Compose(steps)


def preprocess(images: list[np.ndarray], steps: Any, device: str, dtype: Any) -> Any:
    """RGB uint8 arrays to one batch of model inputs on `device`, in input order.

    The pixels travel as uint8 (a quarter of the bytes of floats), and frames of one size, as a video's
    are, are resized together.
    """
    import torch

    by_shape: dict[tuple[int, ...], list[int]] = defaultdict(list)
    arrays = [as_rgb(img) for img in images]
    for k, arr in enumerate(arrays):
        by_shape[arr.shape].append(k)
    out: list[Any] = [None] * len(arrays)
    for members in by_shape.values():
        batch = torch.from_numpy(np.stack([arrays[k] for k in members])).to(device)
        ready = steps(batch.permute(0, 3, 1, 2).float().div_(255.0))
        for j, k in enumerate(members):
            out[k] = ready[j]
    return torch.stack(out).to(dtype=dtype)
