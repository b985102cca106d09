"""probe(): what a submitted file is, judged by its content, with every limit enforced."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from triage.domain import MediaLimits, MediaType, Probe
from triage.errors import InvalidSubmission, UnsupportedMedia
from triage.media.av_probe import probe_av
from triage.media.image import probe_image
from triage.media.limits import check_file_size
from triage.media.sniff import HEAD_BYTES, Family, Sniffed, extension_family, sniff
from triage.media.text import has_text_bom, probe_text

_CONTENT_WORDS = {
    MediaType.TEXT: "plain text",
    MediaType.IMAGE: "an image",
    MediaType.AUDIO: "audio",
    MediaType.VIDEO: "a video",
}
_FAMILY = {MediaType.TEXT: Family.TEXT, MediaType.IMAGE: Family.IMAGE,
           MediaType.AUDIO: Family.AV, MediaType.VIDEO: Family.AV}


def _content_words(result: Probe, sniffed: Sniffed | None) -> str:
    if sniffed is not None:
        return sniffed.label
    return _CONTENT_WORDS[result.media_type]


def _check_name(result: Probe, sniffed: Sniffed | None, name: str | None, allow_mislabelled: bool) -> Probe:
    claimed = extension_family(name)
    if claimed is None:
        return result
    ext, family = claimed
    if family is _FAMILY[result.media_type]:
        return result
    message = f"file is named .{ext} but its content is {_content_words(result, sniffed)}"
    if not allow_mislabelled:
        raise UnsupportedMedia(message)
    return replace(result, notes=(*result.notes, f"{message}; accepted by content"))


def probe(path: Path, limits: MediaLimits, *, name: str | None = None, allow_mislabelled: bool = False) -> Probe:
    """Identify and validate a submitted file from its content.

    name is the original file name as submitted; an extension that contradicts the content is rejected
    unless allow_mislabelled (then the file is accepted by content and a note says so).
    Raises InvalidSubmission, UnsupportedMedia or TooLarge with a reason a person understands.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise InvalidSubmission(f"the file {path.name!r} does not exist") from exc
    if not path.is_file():
        raise InvalidSubmission(f"{path.name!r} is not a regular file")
    check_file_size(size, limits)
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)

    found = None if has_text_bom(head) else sniff(head)
    if isinstance(found, str):
        raise UnsupportedMedia(f"the file is {found}, which is not a supported submission")
    if found is None:
        result = probe_text(path, size, limits)
    elif found.family is Family.IMAGE:
        result = probe_image(path, found, limits)
    else:
        result = probe_av(path, size, found, limits)
    return _check_name(result, found, name, allow_mislabelled)


def check_name(result: Probe, name: str | None, *, allow_mislabelled: bool = False) -> Probe:
    """Compare a submission's file name with content probed earlier (the same bytes may arrive under many names)."""
    return _check_name(result, None, name, allow_mislabelled)
