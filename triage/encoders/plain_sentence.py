"""BERT and MPNet sentence-transformers folders run in plain PyTorch, without importing transformers.

Importing sentence-transformers brings transformers, scikit-learn, SciPy, torchvision, timm and torch._dynamo
with it: about 310 MB of every process that embeds text, and seconds of start-up, for networks of a few
matrix products (benchmarks/RESULTS.md, "Session 18"). The bundled models are a BERT (all-MiniLM-L6-v2) and an
MPNet (all-mpnet-base-v2), each a Transformer, then mean pooling, then normalising. This runs those folders
from their safetensors weights and tokenizer.json, op for op and dtype for dtype as transformers 5 and
sentence-transformers run them, batched the same way, so the vectors are bit for bit those of
`text.SentenceEncoder` (tests/encoders/test_plain_sentence.py compares them). A folder with anything else in it
(another architecture, other modules, another pooling) is left to `text.SentenceEncoder`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import ModelUnavailable

ARCHITECTURES = ("bert", "mpnet")
_MODULES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
            "sentence_transformers.models.Normalize"]
_PATHS = ["", "1_Pooling", "2_Normalize"]  # where sentence-transformers puts them, and where this reads them
_MEAN_ONLY = {"pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
              "pooling_mode_mean_sqrt_len_tokens": False}


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def runs_here(path: Path) -> bool:
    """Whether `path` is a sentence-transformers folder this module runs exactly: a BERT (absolute positions) or
    MPNet with GELU, mean pooling over tokens, normalised, with safetensors weights and a tokenizer.json."""
    modules, config = _json(path / "modules.json"), _json(path / "config.json")
    pooling, settings = _json(path / "1_Pooling" / "config.json"), _json(path / "sentence_bert_config.json")
    if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
        return False
    if [m.get("type") for m in modules] != _MODULES or [m.get("path") for m in modules] != _PATHS:
        return False
    if not isinstance(config, dict) or config.get("model_type") not in ARCHITECTURES:
        return False
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        return False
    if not isinstance(pooling, dict) or any(pooling.get(key, False) != want for key, want in _MEAN_ONLY.items()):
        return False
    if any(pooling.get(key) for key in pooling if key.startswith("pooling_mode_") and key not in _MEAN_ONLY):
        return False
    lower = isinstance(settings, dict) and settings.get("do_lower_case", False)
    if lower or not (path / "tokenizer.json").is_file():
        return False
    return _names_fit(path / "model.safetensors", config)


_NAMES = {"bert": ("embeddings.token_type_embeddings.weight", "encoder.layer.0.attention.self.query.weight"),
          "mpnet": ("encoder.relative_attention_bias.weight", "encoder.layer.0.attention.attn.q.weight")}


def _names_fit(weights: Path, config: dict[str, Any]) -> bool:
    """Whether the safetensors file names its tensors as the network reads them (a model saved with a prefix such
    as "bert." is left to sentence-transformers): its header only is read."""
    from safetensors import SafetensorError, safe_open

    last = int(config.get("num_hidden_layers") or 0) - 1
    wanted = {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
              f"encoder.layer.{last}.output.dense.weight", *_NAMES[str(config["model_type"])]}
    try:
        with safe_open(str(weights), framework="pt") as found:
            return wanted <= set(found.keys())
    except (OSError, SafetensorError):
        return False


def max_tokens(path: Path, config: dict[str, Any]) -> int:
    """The tokens a text is cut to: the folder's max_seq_length, never past the model's positions."""
    settings = _json(path / "sentence_bert_config.json") or {}
    limit = int(settings.get("max_seq_length") or 512)
    positions = int(config.get("max_position_embeddings") or limit)
    return min(limit, positions)


def read_weights(path: Path, dtype: Any, device: str) -> dict[str, Any]:
    """Every tensor of a safetensors file in `dtype`, read one at a time (with pread where safetensors has it:
    a mapped file would count in the process's memory, whole, until the load ends)."""
    from safetensors import SafetensorError, safe_open

    def opened() -> Any:
        try:
            return safe_open(str(path), framework="pt", backend="pread")
        except TypeError:  # a safetensors without the pread backend
            return safe_open(str(path), framework="pt")

    out = {}
    try:
        with opened() as weights:
            for name in weights.keys():  # noqa: SIM118 - a safetensors handle, not a dict
                if not name.startswith("pooler.") and not name.endswith("position_ids"):
                    out[name] = weights.get_tensor(name).to(device=device, dtype=dtype)
    except (OSError, RuntimeError, ValueError, SafetensorError) as exc:
        raise ModelUnavailable(f"Could not read the weights in {path}: {exc}") from exc
    return out


class PlainNetwork:
    """A BERT or MPNet encoder for inference: its weights as tensors, and the forward pass to token states."""

    def __init__(self, config: dict[str, Any], weights: dict[str, Any]) -> None:
        self.kind = str(config["model_type"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.pad_id = int(config.get("pad_token_id", 0) or 0)
        self.w = weights
        self.layers = int(config["num_hidden_layers"])
        self.dim = int(config["hidden_size"])
        self.buckets = int(config.get("relative_attention_num_buckets", 32))
        prefix = "encoder.layer.0."
        missing = [n for n in ("embeddings.word_embeddings.weight", prefix + "output.dense.weight") if n not in weights]
        if missing:
            raise ModelUnavailable(f"{self.kind} weights lack {', '.join(missing)}")

    def __call__(self, ids: Any, mask: Any) -> Any:
        """Token ids and attention mask (batch, length) to the last layer's token states (batch, length, dim)."""
        import torch.nn.functional as F  # noqa: N812 - PyTorch's own convention

        w, dim = self.w, self.dim
        padded = not bool(mask.all())  # transformers passes no mask when nothing is padded
        x, keep, bias = self._bert_inputs(ids, mask, padded) if self.kind == "bert" else self._mpnet_inputs(
            ids, mask, padded)
        x = F.layer_norm(x, (dim,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            x = self._bert_attention(x, keep, p) if bias is None else self._mpnet_attention(x, keep, bias, p)
            hidden = F.gelu(F.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
            hidden = F.linear(hidden, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
            x = F.layer_norm(hidden + x, (dim,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                             self.eps)
        return x

    def _bert_inputs(self, ids: Any, mask: Any, padded: bool) -> tuple[Any, Any, None]:
        """Embedded tokens (word + type 0 + position) and SDPA's boolean mask of the keys that are real tokens."""
        import torch.nn.functional as F  # noqa: N812

        w = self.w
        x = F.embedding(ids, w["embeddings.word_embeddings.weight"]) + w["embeddings.token_type_embeddings.weight"][0]
        x = x + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
        keep = mask[:, None, None, :].bool().expand(-1, 1, ids.shape[1], -1) if padded else None
        return x, keep, None

    def _mpnet_inputs(self, ids: Any, mask: Any, padded: bool) -> tuple[Any, Any, Any]:
        """Embedded tokens (word + position), the additive mask (the dtype's lowest value on padding keys) and the
        relative position bias."""
        import torch
        import torch.nn.functional as F  # noqa: N812

        w = self.w
        real = ids.ne(self.pad_id).int()  # MPNet (like RoBERTa) numbers the real tokens from pad_id + 1
        positions = (torch.cumsum(real, dim=1).type_as(real) * real + self.pad_id).long()
        x = F.embedding(ids, w["embeddings.word_embeddings.weight"]) + F.embedding(
            positions, w["embeddings.position_embeddings.weight"])
        keep = None
        if padded:
            blocked = ~mask[:, None, None, :].bool().expand(-1, 1, ids.shape[1], -1)
            keep = torch.zeros(blocked.shape, dtype=x.dtype, device=x.device).masked_fill(
                blocked, torch.finfo(x.dtype).min)
        return x, keep, self._position_bias(ids.shape[0], ids.shape[1], ids.device)

    def _split(self, x: Any, name: str) -> Any:
        """One projection of x, split into heads: (batch, heads, length, head_dim)."""
        import torch.nn.functional as F  # noqa: N812

        batch, length, _ = x.shape
        projected = F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])
        return projected.view(batch, length, -1, self.dim // self.heads).transpose(1, 2)

    def _bert_attention(self, x: Any, keep: Any, p: Any) -> Any:
        import torch.nn.functional as F  # noqa: N812

        w, head_dim = self.w, self.dim // self.heads
        q, k, v = (self._split(x, p + "attention.self." + n) for n in ("query", "key", "value"))
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=0.0, scale=head_dim ** -0.5,
                                                  is_causal=False)
        attended = attended.transpose(1, 2).contiguous().reshape(*x.shape[:2], -1).contiguous()
        out = F.linear(attended, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
        return F.layer_norm(out + x, (self.dim,), w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)

    def _mpnet_attention(self, x: Any, keep: Any, bias: Any, p: Any) -> Any:
        import torch
        import torch.nn.functional as F  # noqa: N812

        w, head_dim = self.w, self.dim // self.heads
        q, k, v = (self._split(x, p + "attention.attn." + n) for n in ("q", "k", "v"))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(head_dim)
        scores += bias
        if keep is not None:
            scores = scores + keep
        attended = torch.matmul(F.softmax(scores, dim=-1), v)
        attended = attended.permute(0, 2, 1, 3).contiguous().view(*x.shape[:2], self.dim)
        out = F.linear(attended, w[p + "attention.attn.o.weight"], w[p + "attention.attn.o.bias"])
        return F.layer_norm(out + x, (self.dim,), w[p + "attention.LayerNorm.weight"],
                            w[p + "attention.LayerNorm.bias"], self.eps)

    def _position_bias(self, batch: int, length: int, device: Any) -> Any:
        """MPNet's learned bias per head for each (query, key) offset, by T5-style log buckets."""
        import torch

        at = torch.arange(length, dtype=torch.long, device=device)
        offset = at[None, :] - at[:, None]
        values = torch.nn.functional.embedding(relative_bucket(offset, self.buckets),
                                               self.w["encoder.relative_attention_bias.weight"])
        return values.permute([2, 0, 1]).unsqueeze(0).expand((batch, -1, length, length)).contiguous()


def relative_bucket(offset: Any, buckets: int = 32, max_distance: int = 128) -> Any:
    """The bucket of each key-minus-query offset: half the buckets per direction, exact near, logarithmic far."""
    import torch

    n = -offset
    half = buckets // 2
    out = (n < 0).to(torch.long) * half
    n = torch.abs(n)
    exact = half // 2
    far = exact + (torch.log(n.float() / exact) / math.log(max_distance / exact) * (half - exact)).to(torch.long)
    far = torch.min(far, torch.full_like(far, half - 1))
    return out + torch.where(n < exact, n, far)


class PlainSentenceEncoder:
    """TextEncoder for a BERT or MPNet sentence-transformers folder (see `runs_here`), run without transformers."""

    def __init__(self, path: Path, *, label: str, device: str = "cpu", threads: int = 2,
                 batch_size: int = 32, bf16: bool = False) -> None:
        import torch
        from tokenizers import Tokenizer

        from triage.encoders.text import encoder_name

        if device == "cpu":
            torch.set_num_threads(threads)
        if not runs_here(path):
            raise ModelUnavailable(f"{path} is not a BERT or MPNet sentence model with mean pooling")
        config = _json(path / "config.json")
        self._dtype = torch.bfloat16 if bf16 else torch.float32
        self._net = PlainNetwork(config, read_weights(path / "model.safetensors", self._dtype, device))
        try:
            self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as exc:  # the tokenizers library raises its own Exception type for a bad file
            raise ModelUnavailable(f"Could not read {path / 'tokenizer.json'}: {exc}") from exc
        self.max_tokens = max_tokens(path, config)
        pad_token = self._tokenizer.id_to_token(self._net.pad_id) or "[PAD]"
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding(pad_id=self._net.pad_id, pad_token=pad_token)
        self.bf16 = bf16
        self.name = encoder_name(label)
        self.device = device
        self.path = path
        self.batch_size = batch_size
        self.dim = self._net.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit rows; texts longer than max_tokens are cut, so chunk first."""
        import torch
        import torch.nn.functional as F  # noqa: N812

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first by characters, batched in that order, as sentence-transformers batches (the same argsort,
        # so the same batches: each is padded to its own longest text, and the bits depend on the padding).
        order = np.argsort([-len(t) for t in texts])
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
                ids = torch.tensor([e.ids for e in encoded], device=self.device)
                mask = torch.tensor([e.attention_mask for e in encoded], device=self.device)
                states = self._net(ids, mask)
                weights = mask.unsqueeze(-1).to(states.dtype)
                summed = (states * weights).sum(dim=1, dtype=torch.float32)
                mean = (summed / torch.clamp(weights.sum(dim=1, dtype=torch.float32), min=1e-9)).to(states.dtype)
                # normalised twice, as the Normalize module and then encode(normalize_embeddings=True) do
                unit = F.normalize(F.normalize(mean, p=2, dim=-1), p=2, dim=1)
                out[rows] = unit.float().cpu().numpy()
        if self.bf16:  # normalised in bfloat16: make the float32 rows unit again
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Queries and pieces share one embedding in these symmetric models."""
        return self.encode(texts)
