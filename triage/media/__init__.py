"""Safe probing and decoding of every submitted media type (video, audio, image, text). No models here."""

from triage.media.decode import decode
from triage.media.encode import jpeg_bytes, read_wav, wav_bytes
from triage.media.probe import probe

__all__ = ["decode", "jpeg_bytes", "probe", "read_wav", "wav_bytes"]
