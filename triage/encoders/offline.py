"""Keep model loads off the network: a load by hub name would otherwise retry for about a minute."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

_FLAGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@contextmanager
def hub_offline() -> Iterator[None]:
    """Within the block, Hugging Face libraries read only local files; the previous state is restored after.

    huggingface_hub reads HF_HUB_OFFLINE once at import, so the module constant is switched too;
    restoring it lets `triage models pull` download later in the same process.
    """
    saved_env = {k: os.environ.get(k) for k in _FLAGS}
    for k in _FLAGS:
        os.environ[k] = "1"
    import huggingface_hub.constants as hf_constants

    saved_const = hf_constants.HF_HUB_OFFLINE
    hf_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hf_constants.HF_HUB_OFFLINE = saved_const
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def hub_host() -> str:
    """The host name of the Hugging Face endpoint in use (HF_ENDPOINT honoured)."""
    from urllib.parse import urlparse

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    return urlparse(endpoint).hostname or "huggingface.co"
