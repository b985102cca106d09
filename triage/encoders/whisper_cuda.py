"""Whether CTranslate2, which runs Whisper, can use the GPU: asked once at load, so no clip fails later."""

from __future__ import annotations

from typing import Any

import numpy as np

CUDA_HELP = ("CTranslate2, which runs Whisper, needs the CUDA 12 cuBLAS and cuDNN 9 libraries on the GPU "
             "(pip install nvidia-cublas-cu12 'nvidia-cudnn-cu12==9.*' and put their lib folders on "
             "LD_LIBRARY_PATH), or set TRIAGE_DEVICE=cpu.")


def cuda_device_problem() -> str | None:
    """Why this CTranslate2 build cannot see a GPU, or None when it sees one."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() == 0:
        return f"Whisper cannot use CUDA: this CTranslate2 build sees no CUDA device. {CUDA_HELP}"
    return None


def cuda_run_problem(model: Any) -> str | None:
    """Why a Whisper model loaded on CUDA cannot compute, or None when one encoder pass works.

    torch can see the GPU while CTranslate2 cannot use it: its wheels load CUDA 12 cuBLAS at the first
    matrix product, and torch built for CUDA 13 brings only CUDA 13's. One 30 s window of silence finds
    that out at load time, instead of every clip failing later.
    """
    n_mels = int(model.feature_extractor.mel_filters.shape[0])
    frames = int(model.feature_extractor.nb_max_frames)
    try:
        model.encode(np.zeros((n_mels, frames), dtype=np.float32))
    except (RuntimeError, OSError) as exc:
        return f"Whisper cannot run on CUDA ({exc}). {CUDA_HELP}"
    return None
