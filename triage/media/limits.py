"""Limit checks shared by every media type, with messages a person can act on."""

from __future__ import annotations

from triage.domain import MediaLimits
from triage.errors import InvalidSubmission, TooLarge


def human_count(n: float) -> str:
    """12_000_000 -> '12 million', 2_500_000_000 -> '2.5 billion'."""
    for size, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {word}"
    return f"{n:g}"


def human_bytes(n: int) -> str:
    """1536 -> '1.5 KB' (powers of 1024)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def hms(seconds: float) -> str:
    """75.4 -> '00:01:15'."""
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def check_file_size(size: int, limits: MediaLimits) -> None:
    """Reject empty files and files over max_file_bytes."""
    if size == 0:
        raise InvalidSubmission("empty file (0 bytes)")
    if size > limits.max_file_bytes:
        raise TooLarge(f"the file is {human_bytes(size)}; the limit is {human_bytes(limits.max_file_bytes)}")


def check_not_too_large(width: int, height: int, limits: MediaLimits, what: str = "video frame") -> None:
    """Reject a picture over max_pixels or max_side (each video frame is held to this, not only the first)."""
    pixels = width * height
    if pixels > limits.max_pixels:
        raise TooLarge(
            f"{what} is {width}x{height} pixels ({human_count(pixels)}); "
            f"the limit is {human_count(limits.max_pixels)}"
        )
    if max(width, height) > limits.max_side:
        raise TooLarge(f"{what} is {width}x{height} pixels; no side may exceed {limits.max_side}")


def check_picture(width: int, height: int, limits: MediaLimits, what: str = "image") -> None:
    """Reject pictures (images or video frames) that are too small or too large, before decoding them."""
    if width <= 0 or height <= 0:
        raise InvalidSubmission(f"the {what} claims an impossible size of {width}x{height} pixels")
    check_not_too_large(width, height, limits, what)
    if min(width, height) < limits.min_side:
        raise InvalidSubmission(
            f"{what} is only {width}x{height} pixels; each side must be at least {limits.min_side}"
        )


def check_duration(duration: float | None, limits: MediaLimits) -> None:
    """Reject media longer than max_duration_s."""
    if duration is not None and duration > limits.max_duration_s:
        raise TooLarge(f"duration {hms(duration)} exceeds the {hms(limits.max_duration_s)} limit")
