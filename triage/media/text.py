"""Text submissions (stories, lyrics): detect the encoding reliably, normalise, enforce limits."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding

from triage.domain import MediaLimits, MediaType, Probe
from triage.errors import InvalidSubmission, TooLarge, UnsupportedMedia

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\f\v")
# Real prose has few control characters (old texts use backspace overstrikes); a soup of them is binary.
_MAX_CONTROL_SHARE = 0.1
# charset-normalizer's own "chaos" scale: 0 is clean text; above this the guess is not trustworthy.
_MAX_CHAOS = 0.1


def has_text_bom(head: bytes) -> bool:
    """True when the bytes start with a Unicode byte-order mark."""
    return any(head.startswith(bom) for bom, _ in _BOMS)


def _detect_encoding(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    if b"\x00" in data:
        raise UnsupportedMedia("the file contains binary data (NUL bytes) and is not a supported media format")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    found = from_bytes(data)
    best = found.best()
    # For single-byte encodings any bytes decode, so only a recognised language makes the guess
    # trustworthy; a multi-byte encoding that decodes cleanly is evidence by itself.
    if best is None or best.chaos > _MAX_CHAOS or (best.coherence <= 0 and not is_multi_byte_encoding(best.encoding)):
        raise UnsupportedMedia(
            "the text is not UTF-8 and its encoding cannot be detected reliably; please save it as UTF-8"
        )
    # Single-byte code pages often tie (cp1250 and cp1252 share most letters) and the first listed wins, which
    # turned French "è" into "č". On a tie, the Western code page (a superset of Latin-1) is far the likelier.
    tied = [m.encoding for m in found if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    return "cp1252" if "cp1252" in tied else best.encoding


def normalise_text(raw: str) -> str:
    """NFC-normalise, use \\n newlines and drop a leading byte-order mark."""
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _decode(data: bytes, encoding: str) -> str:
    try:
        return normalise_text(data.decode(encoding))
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidSubmission(f"the text is not valid {encoding}: {exc}") from exc


def _check(text: str, limits: MediaLimits) -> None:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS)
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise UnsupportedMedia(
            f"the file is full of control characters ({controls} of {len(text)}), not readable text"
        )
    if not text.strip():
        raise InvalidSubmission("the text is blank (only whitespace)")
    if len(text) > limits.max_text_chars:
        raise TooLarge(f"the text has {len(text):,} characters; the limit is {limits.max_text_chars:,}")


def probe_text(path: Path, size: int, limits: MediaLimits) -> Probe:
    """Probe a file whose content matched no media signature, as text. Raises when it is not usable text."""
    # A character takes at most 4 bytes in any encoding we accept: refuse to read a huge file.
    if size > 4 * limits.max_text_chars + 4:
        raise TooLarge(
            f"the text file is {size:,} bytes, more than {limits.max_text_chars:,} characters can take"
        )
    data = path.read_bytes()
    encoding = _detect_encoding(data)
    text = _decode(data, encoding)
    _check(text, limits)
    return Probe(
        media_type=MediaType.TEXT,
        format_name="text",
        mime="text/plain",
        encoding=encoding,
        char_count=len(text),
    )


def decode_text(path: Path, probe: Probe) -> str:
    """Read a probed text file: decoded with the probed encoding, NFC, \\n newlines."""
    return _decode(path.read_bytes(), probe.encoding or "utf-8")
