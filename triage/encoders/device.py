"""Pick the compute device once, the same way for every model family."""

from __future__ import annotations

from triage.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def cuda_available() -> bool:
    """True when torch sees a CUDA GPU (torch is imported only when asked)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return False
    return bool(torch.cuda.is_available())


def resolve_device(device: str) -> str:
    """Turn "auto" into "cuda" or "cpu"; refuse unknown names and a CUDA request without a GPU."""
    if device not in DEVICES:
        raise ConfigError(f"Unknown device {device!r}; use one of: {', '.join(DEVICES)}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise ConfigError("Device 'cuda' was requested but no CUDA GPU is visible; use device 'auto' or 'cpu'")
    return device
