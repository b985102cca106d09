"""Tell what a file is from its first bytes (magic numbers), never from its name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

HEAD_BYTES = 4096  # enough for every signature below, including a WebM DocType


class Family(StrEnum):
    """Broad kinds of content; audio and video share a family because one container may hold either."""

    AV = "audio or video"
    IMAGE = "image"
    TEXT = "text"


@dataclass(frozen=True)
class Sniffed:
    family: Family
    format_name: str  # short name stored on the Probe, e.g. "mp4", "png"
    label: str  # for people, e.g. "an MP4 video"
    demuxer: str | None = None  # the FFmpeg demuxer to force for audio/video (never auto-detected)
    pillow_format: str | None = None  # the only Pillow plugin allowed to open an image


# Signatures of files that are certainly not submissions; naming them makes the rejection clearer.
_KNOWN_OTHER: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}


def _av(fmt: str, label: str, demuxer: str) -> Sniffed:
    return Sniffed(Family.AV, fmt, label, demuxer=demuxer)


def _image(fmt: str, label: str, pillow: str) -> Sniffed:
    return Sniffed(Family.IMAGE, fmt, label, pillow_format=pillow)


def _iso_media(head: bytes) -> Sniffed | str:
    brand = head[8:12]
    if brand in _HEIF_BRANDS:
        return "a HEIC/AVIF image, which is not supported yet (please convert it to JPEG or PNG)"
    if brand == b"qt  ":
        return _av("mov", "a QuickTime (MOV) video", "mov")
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return _av("m4a", "an M4A audio file", "mov")
    return _av("mp4", "an MP4 video", "mov")


def _mpeg_audio(head: bytes) -> Sniffed | None:
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    layer = (head[1] >> 1) & 0b11
    if layer == 0:  # layer bits 00 mark ADTS AAC rather than MPEG audio
        return _av("aac", "an AAC audio file", "aac")
    return _av("mp3", "an MP3 audio file", "mp3")


def sniff(head: bytes) -> Sniffed | str | None:
    """Identify content from its first bytes.

    Returns a Sniffed for media triage accepts, a description (str) for recognised content it does not
    accept, or None when no signature matches (the caller then checks whether it is text).
    """
    if head.startswith(b"\xff\xd8\xff"):
        return _image("jpeg", "a JPEG image", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image("png", "a PNG image", "PNG")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _image("gif", "a GIF image", "GIF")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _image("webp", "a WebP image", "WEBP")
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":
        return _image("bmp", "a BMP image", "BMP")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return _image("tiff", "a TIFF image", "TIFF")
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head[4:8] in _QUICKTIME_ATOMS:
        return _av("mov", "a QuickTime (MOV) video", "mov")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head[:64]:
            return _av("webm", "a WebM video", "matroska")
        return _av("mkv", "a Matroska (MKV) video", "matroska")
    if head.startswith(b"OggS"):
        return _av("ogg", "an Ogg audio/video file", "ogg")
    if head.startswith(b"fLaC"):
        return _av("flac", "a FLAC audio file", "flac")
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return _av("wav", "a WAV audio file", "wav")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return _av("avi", "an AVI video", "avi")
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return _av("aiff", "an AIFF audio file", "aiff")
    if head.startswith(b"ID3"):
        return _av("mp3", "an MP3 audio file", "mp3")
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return _av("asf", "a Windows Media (ASF) file", "asf")
    if head.startswith(b"FLV\x01"):
        return _av("flv", "a Flash video (FLV)", "flv")
    if head.startswith(b"\x00\x00\x01\xba"):
        return _av("mpeg", "an MPEG program stream", "mpeg")
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return _av("mpegts", "an MPEG transport stream", "mpegts")
    mpeg_audio = _mpeg_audio(head)
    if mpeg_audio is not None:
        return mpeg_audio
    for magic, description in _KNOWN_OTHER:
        if head.startswith(magic):
            return description
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return "a Windows program"
    return None


_EXTENSIONS: dict[Family, frozenset[str]] = {
    Family.AV: frozenset({
        "mp4", "m4v", "mov", "qt", "webm", "mkv", "avi", "3gp", "3g2", "mpg", "mpeg", "ts", "mts", "m2ts",
        "wmv", "asf", "flv", "ogv", "mp3", "wav", "wave", "ogg", "oga", "opus", "flac", "m4a", "m4b", "aac",
        "wma", "aif", "aiff", "aifc",
    }),
    Family.IMAGE: frozenset({"jpg", "jpeg", "jpe", "png", "gif", "webp", "bmp", "tif", "tiff", "heic", "avif"}),
    Family.TEXT: frozenset({"txt", "text", "md", "markdown", "rst", "lrc", "srt", "vtt"}),
}


def extension_family(name: str | None) -> tuple[str, Family] | None:
    """The media family a file name's extension claims, with the extension; None when unknown or absent."""
    if not name:
        return None
    ext = PurePath(name).suffix.lower().lstrip(".")
    for family, extensions in _EXTENSIONS.items():
        if ext in extensions:
            return ext, family
    return None
