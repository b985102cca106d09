"""nomic-embed-text (a BERT with rotary positions and a gated MLP) run in PyTorch from its GGUF weights.

The model is asymmetric: documents and queries are embedded with different task prefixes, so `encode` (pieces)
and `encode_queries` (call-out briefs, prompts, searches) differ. Its tokenizer is BERT's uncased WordPiece,
rebuilt from the vocabulary the GGUF file carries.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from triage.encoders import gguf
from triage.encoders.text import encoder_name
from triage.errors import ModelUnavailable

ARCHITECTURE = "nomic-bert"
DOCUMENT_PREFIX = "search_document: "
QUERY_PREFIX = "search_query: "
MAX_TOKENS = 512  # the model reads 2048; pieces are chunked far below this, and attention cost grows with length
WORD_START = "\u2581"  # llama.cpp marks word-initial WordPiece tokens with it and drops the "##" of the others


def wordpiece_vocab(tokens: list[str]) -> dict[str, int]:
    """llama.cpp's token list back in BERT's WordPiece spelling: "▁word" -> "word", "piece" -> "##piece"."""
    vocab: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.startswith(WORD_START):
            token = token[len(WORD_START):]
        elif not re.fullmatch(r"\[[^\]]+\]", token):  # [CLS], [unused0] ... stay as they are
            token = "##" + token
        vocab.setdefault(token, index)
    return vocab


def bert_tokenizer(vocab: dict[str, int], max_tokens: int) -> Any:
    """BERT's uncased tokenizer (the `tokenizers` library): [CLS] text [SEP], truncated, padded per batch."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                      strip_accents=None, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tokenizer.enable_truncation(max_tokens)
    tokenizer.enable_padding(pad_id=vocab.get("[PAD]", 0), pad_token="[PAD]")
    return tokenizer


BLOCK_WEIGHTS = ("attn_qkv.weight", "attn_output.weight", "attn_output_norm.weight", "attn_output_norm.bias",
                 "ffn_up.weight", "ffn_gate.weight", "ffn_down.weight", "layer_output_norm.weight",
                 "layer_output_norm.bias")


class NomicBert:
    """The nomic-bert network for inference: the file's weights as tensors on one device, and its forward pass."""

    def __init__(self, model: gguf.GGUFModel, dtype: Any, device: str) -> None:
        import torch

        settings, weights = model.settings, model.tensors
        if settings.get("general.architecture") != ARCHITECTURE:
            raise ModelUnavailable(f"not a {ARCHITECTURE} model: {settings.get('general.architecture')!r}")
        self.heads = int(settings[f"{ARCHITECTURE}.attention.head_count"])
        self.eps = float(settings[f"{ARCHITECTURE}.attention.layer_norm_epsilon"])
        self.rope_base = float(settings[f"{ARCHITECTURE}.rope.freq_base"])

        def tensor(name: str) -> Any:
            return torch.from_numpy(np.array(weights[name], dtype=np.float32)).to(device=device, dtype=dtype)

        self.embed = tensor("token_embd.weight")
        self.token_type = tensor("token_types.weight")[0]
        self.embed_norm = (tensor("token_embd_norm.weight"), tensor("token_embd_norm.bias"))
        self.blocks = [{key: tensor(f"blk.{i}.{key}") for key in BLOCK_WEIGHTS}
                       for i in range(int(settings[f"{ARCHITECTURE}.block_count"]))]
        self.dim = int(self.embed.shape[1])

    def __call__(self, ids: Any, mask: Any) -> Any:
        """Token ids and their attention mask (batch, length) to unit float32 vectors (batch, dim)."""
        import torch.nn.functional as F  # noqa: N812 - PyTorch's own convention

        batch, length = ids.shape
        dim, heads, eps = self.dim, self.heads, self.eps
        head_dim = dim // heads
        x = F.embedding(ids, self.embed) + self.token_type
        x = F.layer_norm(x, (dim,), *self.embed_norm, eps)
        cos, sin = rotary_tables(length, head_dim, self.rope_base, x.device, x.dtype)
        keep = mask[:, None, None, :].bool()
        for w in self.blocks:  # post-norm BERT blocks: attention, then a gated (SwiGLU) MLP
            q, k, v = (x @ w["attn_qkv.weight"].T).view(batch, length, 3, heads, head_dim).unbind(2)
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))
            q, k = rotate(q, cos, sin), rotate(k, cos, sin)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(batch, length, dim) @ w["attn_output.weight"].T
            x = F.layer_norm(x + attended, (dim,), w["attn_output_norm.weight"], w["attn_output_norm.bias"], eps)
            hidden = (x @ w["ffn_up.weight"].T) * F.silu(x @ w["ffn_gate.weight"].T)
            x = F.layer_norm(x + hidden @ w["ffn_down.weight"].T, (dim,), w["layer_output_norm.weight"],
                             w["layer_output_norm.bias"], eps)
        counts = mask[..., None].to(x.dtype)
        pooled = (x * counts).sum(1) / counts.sum(1).clamp(min=1)  # the model's mean pooling
        return F.normalize(pooled.float(), dim=-1)


def rotary_tables(length: int, head_dim: int, base: float, device: Any, dtype: Any) -> tuple[Any, Any]:
    """cos and sin of each position's angles, halves side by side (GPT-NeoX layout, as nomic-bert uses)."""
    import torch

    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim))
    angles = torch.arange(length, dtype=torch.float32, device=device)[:, None] * inv_freq[None]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate(t: Any, cos: Any, sin: Any) -> Any:
    """Rotary position embedding of the last dimension: the halves turned by each position's angles."""
    import torch

    half = t.shape[-1] // 2
    return t * cos + torch.cat([-t[..., half:], t[..., :half]], dim=-1) * sin


class NomicEncoder:
    """TextEncoder for a nomic-embed-text GGUF file; documents and queries carry the model's task prefixes."""

    def __init__(self, path: Path, *, label: str, device: str = "cpu", threads: int = 2,
                 batch_size: int = 32, bf16: bool = False) -> None:
        import torch

        if device == "cpu":
            torch.set_num_threads(threads)
        model = gguf.read(path)
        tokens = model.settings.get("tokenizer.ggml.tokens")
        if model.settings.get("tokenizer.ggml.model") != "bert" or not isinstance(tokens, list):
            raise ModelUnavailable(f"{path} carries no BERT vocabulary")
        # bfloat16 on CPUs that have it natively: 2.2x faster, within 0.9999 cosine of float32 (RESULTS.md).
        dtype = torch.float16 if device == "cuda" else torch.bfloat16 if bf16 else torch.float32
        self._net = NomicBert(model, dtype, device)
        self._tokenizer = bert_tokenizer(wordpiece_vocab(tokens), MAX_TOKENS)
        self.name = encoder_name(label, gguf=True)
        self.device = device
        self.path = path
        self.batch_size = batch_size
        self.dim = self._net.dim
        self.max_tokens = MAX_TOKENS

    def encode(self, texts: list[str]) -> np.ndarray:
        """Pieces (documents): (n, dim) float32 unit rows."""
        return self._embed([DOCUMENT_PREFIX + t for t in texts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Call-out texts and searches (queries): (n, dim) float32 unit rows."""
        return self._embed([QUERY_PREFIX + t for t in texts])

    def _embed(self, texts: list[str]) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)  # all padded to the longest text
        lengths = [sum(e.attention_mask) for e in encodings]
        # Similar lengths together, each batch cut to its own longest: little compute is spent on padding.
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                longest = max(lengths[i] for i in rows)
                ids = torch.tensor([encodings[i].ids[:longest] for i in rows], device=self.device)
                mask = torch.tensor([encodings[i].attention_mask[:longest] for i in rows], device=self.device)
                out[rows] = self._net(ids, mask).cpu().numpy()
        return out
