"""Measuring loudness (EBU R128 via FFmpeg's ebur128) and building a two-pass loudnorm filter."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from triage.errors import ProcessingFailed
from triage.render import ffmpeg

LRA_TARGET = 11.0  # loudness range allowed by loudnorm; wide enough not to squash speech against music


@dataclass(frozen=True)
class Loudness:
    """A file's integrated loudness (LUFS), true peak (dBTP) and loudness range (LU)."""

    integrated_lufs: float
    true_peak_db: float
    range_lu: float


def _number(text: str) -> float:
    """FFmpeg prints silence as -inf / -70.0; keep -inf as a very low float so arithmetic still works."""
    return float("-inf") if text.strip().lower() in ("-inf", "inf") and text.strip().startswith("-") else float(text)


def measure(path: Path) -> Loudness:
    """Measure the file's whole audio with ebur128 (true peak on) and read its Summary."""
    err = ffmpeg.output(["-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"],
                        f"measuring loudness of {path.name}")
    summary = err[err.rfind("Summary:"):] if "Summary:" in err else ""
    found = {}
    for key, pattern in (("i", r"I:\s+(-?inf|-?[\d.]+)\s+LUFS"), ("lra", r"LRA:\s+(-?inf|-?[\d.]+)\s+LU\b"),
                         ("peak", r"Peak:\s+(-?inf|-?[\d.]+)\s+dBFS")):
        match = re.search(pattern, summary)
        if match:
            found[key] = _number(match.group(1))
    if len(found) < 3:
        raise ProcessingFailed(f"measuring loudness of {path.name}: no ebur128 summary")
    return Loudness(integrated_lufs=found["i"], true_peak_db=found["peak"], range_lu=found["lra"])


def loudnorm_filter(path: Path, target_lufs: float, true_peak_db: float) -> str:
    """The second pass of a two-pass loudnorm for the file's audio: its first pass measured here, then linear gain.

    loudnorm resamples to 192 kHz internally: callers must follow this filter with `aresample=<rate>`, and, where
    the input's channel layout may be unknown (a WAV written without one), with `aformat=channel_layouts=stereo`
    (or mono) too: FFmpeg 5.1 otherwise fails with "Cannot select channel layout".
    """
    first = f"loudnorm=I={target_lufs}:TP={true_peak_db}:LRA={LRA_TARGET}:print_format=json"
    err = ffmpeg.output(["-i", str(path), "-map", "0:a:0", "-af", first, "-f", "null", "-"],
                        f"measuring loudness of {path.name}")
    start, end = err.rfind("{"), err.rfind("}")
    try:
        stats = json.loads(err[start:end + 1]) if 0 <= start < end else {}
    except json.JSONDecodeError:
        stats = {}
    keys = ("input_i", "input_tp", "input_lra", "input_thresh", "target_offset")
    if not all(k in stats for k in keys):
        raise ProcessingFailed(f"measuring loudness of {path.name}: no loudnorm statistics")
    values = {k: _finite(stats[k]) for k in keys}
    return (f"loudnorm=I={target_lufs}:TP={true_peak_db}:LRA={LRA_TARGET}"
            f":measured_I={values['input_i']}:measured_TP={values['input_tp']}"
            f":measured_LRA={values['input_lra']}:measured_thresh={values['input_thresh']}"
            f":offset={values['target_offset']}:linear=true:print_format=summary")


def _finite(text: str) -> str:
    """loudnorm rejects -inf as a measured value (pure silence): clamp it to its own floor, -99."""
    value = _number(str(text))
    return str(max(min(value, 99.0), -99.0))
