"""Which precision a sentence model runs in (bfloat16 only where the CPU computes it, unless asked)."""

import pytest

from triage.encoders.text import uses_bf16
from triage.errors import ConfigError


def test_precision_choice() -> None:
    assert not uses_bf16("float32", "cpu") and uses_bf16("bfloat16", "cpu")
    assert not uses_bf16("auto", "cuda") and not uses_bf16("bfloat16", "cuda")  # CUDA keeps its own precision
    with pytest.raises(ConfigError, match="precision"):
        uses_bf16("int4", "cpu")
