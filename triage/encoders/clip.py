"""open_clip adapter: the only module that imports open_clip.

Weights come from a checkpoint file (TRIAGE_CLIP_CHECKPOINT) or from a pretrained tag that
`triage models pull` already fetched into `<models_dir>/clip`. Nothing is downloaded here, and a
model with random weights is never returned.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from triage.encoders.offline import hub_offline
from triage.encoders.pixels import as_rgb, preprocess, tensor_steps
from triage.errors import ConfigError, ModelUnavailable

_SAFE_DEFAULT = "open_clip_model.safetensors"
_BIN_DEFAULT = "open_clip_pytorch_model.bin"


def cache_dir(models_dir: Path) -> Path:
    """Where `triage models pull` keeps CLIP weights (Hugging Face cache layout, plus plain files)."""
    return models_dir / "clip"


def missing_message(arch: str, pretrained: str) -> str:
    return (f"CLIP weights for {arch}/{pretrained} not found; run 'triage models pull' on a machine with "
            "internet, or set TRIAGE_CLIP_CHECKPOINT=/path")


def check_known(arch: str, pretrained: str | None) -> dict[str, Any]:
    """Validate the architecture (and tag, when given); return the tag's pretrained config ({} for none)."""
    import open_clip

    if open_clip.get_model_config(arch) is None:
        raise ConfigError(f"Unknown CLIP architecture {arch!r}; see open_clip.list_models() for the names")
    if not pretrained:
        return {}
    cfg = open_clip.get_pretrained_cfg(arch, pretrained)
    if not cfg:
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(arch)) or "none"
        raise ConfigError(f"Unknown pretrained tag {pretrained!r} for CLIP {arch}; known tags: {tags}")
    return dict(cfg)


def _hf_candidates(hf_hub: str) -> list[tuple[str, str]]:
    # open_clip writes "org/repo/" for the default file name and "org/repo/file.bin" otherwise,
    # and prefers a .safetensors twin when the repo has one.
    repo_id, filename = os.path.split(hf_hub)
    filename = filename or _BIN_DEFAULT
    names = [filename]
    if filename == _BIN_DEFAULT:
        names.insert(0, _SAFE_DEFAULT)
    elif filename.endswith((".bin", ".pth")):
        names.insert(0, filename[:-4] + ".safetensors")
    return [(repo_id, n) for n in names]


def find_local_weights(cfg: dict[str, Any], models_dir: Path) -> Path | None:
    """The weights file for a pretrained config if it is already on disk (models_dir first), else None.

    Looks only at the file system: never a network call.
    """
    from huggingface_hub import try_to_load_from_cache

    dirs: list[Path | None] = [cache_dir(models_dir), None]  # None: the user's default HF cache
    if cfg.get("hf_hub"):
        for repo_id, filename in _hf_candidates(str(cfg["hf_hub"])):
            for d in dirs:
                found = try_to_load_from_cache(repo_id, filename, cache_dir=d)
                if isinstance(found, str) and Path(found).is_file():
                    return Path(found)
    if cfg.get("url"):
        basename = os.path.basename(str(cfg["url"]))
        for d in (cache_dir(models_dir), Path("~/.cache/clip").expanduser()):
            if (d / basename).is_file():
                return d / basename
    return None


def weights_may_be_here(models_dir: Path) -> bool:
    """False only when no place `find_local_weights` looks holds anything: models_dir/clip and ~/.cache/clip hold
    no file, and the Hugging Face cache holds no model at all."""
    from huggingface_hub import constants

    for folder in (cache_dir(models_dir), Path("~/.cache/clip").expanduser()):
        if folder.is_dir() and any(p.is_file() for p in folder.rglob("*")):
            return True
    hub = Path(constants.HF_HUB_CACHE)
    return hub.is_dir() and any(hub.glob("models--*"))


def arch_config_exists(arch: str) -> bool:
    """Whether open_clip ships a config for `arch`, read from its package folder without importing it (an
    architecture registered some other way is found once open_clip is imported, when weights may be here)."""
    import importlib.util

    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        return False
    return any((Path(folder) / "model_configs" / f"{arch}.json").is_file()
               for folder in spec.submodule_search_locations)


def resolve_weights(arch: str, pretrained: str, checkpoint: Path | None,
                    models_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The weights file to load and the tag config whose preprocessing it needs; raise if missing."""
    if checkpoint is not None:
        check_known(arch, None)
        if not Path(checkpoint).is_file():
            raise ModelUnavailable(f"CLIP checkpoint {checkpoint} does not exist; set TRIAGE_CLIP_CHECKPOINT "
                                   "to a .pt or .safetensors state dict for this architecture")
        cfg = check_known(arch, pretrained) if pretrained and _is_tag(arch, pretrained) else {}
        return Path(checkpoint), cfg
    if not weights_may_be_here(models_dir):
        # Known missing without importing open_clip: it brings torchvision, timm and torch._dynamo (250 MB of a
        # process that cannot use them). The architecture is still checked, from open_clip's config files.
        if not arch_config_exists(arch):
            raise ConfigError(f"Unknown CLIP architecture {arch!r}; see open_clip.list_models() for the names")
        raise ModelUnavailable(missing_message(arch, pretrained))
    cfg = check_known(arch, pretrained)
    found = find_local_weights(cfg, models_dir)
    if found is None:
        raise ModelUnavailable(missing_message(arch, pretrained))
    return found, cfg


def _is_tag(arch: str, pretrained: str) -> bool:
    import open_clip

    return bool(open_clip.get_pretrained_cfg(arch, pretrained))


def encoder_name(label: str) -> str:
    """The name an OpenClipEncoder labelled `label` carries, which its vectors and artifacts record."""
    return f"open_clip-{label}"


class OpenClipEncoder:
    """ImageTextEncoder backed by an open_clip model with real weights."""

    def __init__(self, arch: str, weights: Path, tag_cfg: dict[str, Any], *, label: str,
                 device: str = "cpu", threads: int = 2, batch_size: int = 32) -> None:
        import open_clip
        import torch

        if device == "cpu":
            torch.set_num_threads(threads)
        # Loading from a file skips the tag's settings, so pass on what the tag would have set.
        try:
            with hub_offline():
                model, _, transform = open_clip.create_model_and_transforms(
                    arch, pretrained=str(weights), device=device,
                    precision="fp16" if device == "cuda" else "fp32",
                    force_quick_gelu=bool(tag_cfg.get("quick_gelu", False)),
                    image_mean=tag_cfg.get("mean"), image_std=tag_cfg.get("std"),
                    image_interpolation=tag_cfg.get("interpolation"),
                    image_resize_mode=tag_cfg.get("resize_mode"),
                )
                tokenizer = open_clip.get_tokenizer(arch)
        except (RuntimeError, ValueError, OSError, KeyError, AssertionError) as exc:
            # open_clip reports a checkpoint for the wrong architecture with a bare assert.
            raise ModelUnavailable(f"Could not load CLIP {arch} weights from {weights}: {exc}") from exc
        model.eval()
        self._model = model
        self._transform = transform
        self._tokenizer = tokenizer
        self.device = device
        self._dtype = torch.float16 if device == "cuda" else torch.float32
        # On the GPU the frames are resized there too; on the CPU, PIL one by one is as fast as tensors.
        self._tensor_steps = tensor_steps(transform) if device == "cuda" else None
        self.name = encoder_name(label)
        self.dim = int(open_clip.get_model_config(arch)["embed_dim"])
        self.batch_size = batch_size

    def encode_images(self, images: list[np.ndarray]) -> np.ndarray:
        """RGB uint8 arrays (H, W, 3) to (n, dim) float32 unit vectors, in batches."""
        import torch
        from PIL import Image

        out = np.zeros((len(images), self.dim), dtype=np.float32)
        for i in range(0, len(images), self.batch_size):
            batch = images[i : i + self.batch_size]
            with torch.inference_mode():
                if self._tensor_steps is not None:
                    pixels = preprocess(batch, self._tensor_steps, self.device, self._dtype)
                else:
                    pixels = torch.stack([self._transform(Image.fromarray(as_rgb(img))) for img in batch])
                    pixels = pixels.to(self.device, dtype=self._dtype)
                feats = self._model.encode_image(pixels, normalize=True)
            out[i : i + len(batch)] = feats.float().cpu().numpy()
        return _renormalise(out)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Prompts to (n, dim) float32 unit vectors in the image space."""
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            tokens = self._tokenizer(list(texts[i : i + self.batch_size])).to(self.device)
            with torch.inference_mode():
                feats = self._model.encode_text(tokens, normalize=True)
            out[i : i + tokens.shape[0]] = feats.float().cpu().numpy()
        return _renormalise(out)


def _renormalise(v: np.ndarray) -> np.ndarray:
    # fp16 rounding leaves norms a little off 1; callers compare cosines directly.
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def download(arch: str, pretrained: str, models_dir: Path) -> Path:
    """Fetch the weights of a pretrained tag into models_dir/clip (needs internet)."""
    import open_clip

    cfg = check_known(arch, pretrained)
    target = cache_dir(models_dir)
    target.mkdir(parents=True, exist_ok=True)
    return Path(open_clip.download_pretrained(cfg, cache_dir=str(target)))
