"""The BERT and MPNet sentence models run without transformers: the same vectors, bit for bit, and only for the
folders they can run exactly."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from triage.encoders import cache, plain_sentence, registry, text
from triage.errors import ModelUnavailable

TEXTS = ["A man is playing a guitar on stage.", "Kids sprint over the sand by the sea.", "one", "", "  padded  ",
         "UPPER case Ünïcödé and 東京 🎉", "\ttabs\nand newlines", "word " * 400,  # cut at max_tokens
         *(" ".join(["the", "tide", "came", "in", "slowly"][: 1 + i % 5] * (1 + i % 7)) for i in range(30))]


def _minilm() -> Path:
    path = text.bundled_path()
    if path is None:
        pytest.skip("all-MiniLM-L6-v2 is not installed")
    return path


def _copy_settings(src: Path, dst: Path) -> Path:
    """The folder's small files copied, its weights linked: a folder to edit without touching the installed one."""
    dst.mkdir()
    for item in src.iterdir():
        if item.name == "model.safetensors":
            (dst / item.name).symlink_to(item)
        elif item.is_dir():
            shutil.copytree(item, dst / item.name)
        else:
            shutil.copy(item, dst / item.name)
    return dst


def _edit(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.mark.real_models
@pytest.mark.parametrize("bf16", [True, False])
def test_minilm_vectors_are_those_of_sentence_transformers_bit_for_bit(bf16: bool) -> None:
    path = _minilm()
    ours = plain_sentence.PlainSentenceEncoder(path, label="minilm", batch_size=8, bf16=bf16)
    theirs = text.SentenceEncoder(path, label="minilm", batch_size=8, bf16=bf16)
    assert (ours.name, ours.dim, ours.max_tokens) == (theirs.name, theirs.dim, theirs.max_tokens)
    assert np.array_equal(ours.encode(TEXTS), theirs.encode(TEXTS))  # five batches, each padded to its own longest
    assert np.array_equal(ours.encode_queries(["a query"]), theirs.encode_queries(["a query"]))
    assert ours.encode([]).shape == (0, ours.dim)


@pytest.mark.real_models
def test_mpnet_vectors_are_those_of_sentence_transformers_bit_for_bit(tmp_path: Path) -> None:
    path = text.resolve("all-mpnet-base-v2", registry.default_models_dir())
    ours = plain_sentence.PlainSentenceEncoder(path, label="mpnet", batch_size=8, bf16=True)
    theirs = text.SentenceEncoder(path, label="mpnet", batch_size=8, bf16=True)
    some = TEXTS[:12]  # mpnet is slower: padded and unpadded batches, a text past max_tokens
    assert np.array_equal(ours.encode(some), theirs.encode(some))


def test_mpnet_position_buckets_are_transformers_own() -> None:
    import torch
    from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

    at = torch.arange(300)
    offsets = at[None, :] - at[:, None]
    assert torch.equal(plain_sentence.relative_bucket(offsets), MPNetEncoder.relative_position_bucket(offsets))


@pytest.mark.real_models
def test_the_registry_runs_the_bundled_models_without_importing_transformers() -> None:
    code = ("import sys; from triage.encoders import registry; "
            "m = registry.text_encoder('all-MiniLM-L6-v2+all-mpnet-base-v2'); m.encode(['hello']); "
            "print(type(m.parts[0]).__name__, type(m.parts[1]).__name__, "
            "sorted(k for k in ('transformers', 'sentence_transformers', 'torchvision', 'open_clip') "
            "if k in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.split() == ["PlainSentenceEncoder", "PlainSentenceEncoder", "[]"]


def test_folders_it_cannot_run_exactly_go_to_sentence_transformers(tmp_path: Path) -> None:
    src = _minilm()
    assert plain_sentence.runs_here(src)
    cls = _copy_settings(src, tmp_path / "cls")
    _edit(cls / "1_Pooling" / "config.json", pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    lower = _copy_settings(src, tmp_path / "lower")
    _edit(lower / "sentence_bert_config.json", do_lower_case=True)
    other = _copy_settings(src, tmp_path / "other")
    _edit(other / "config.json", model_type="roberta")
    relative = _copy_settings(src, tmp_path / "relative")
    _edit(relative / "config.json", position_embedding_type="relative_key")
    dense = _copy_settings(src, tmp_path / "dense")
    modules = json.loads((dense / "modules.json").read_text())
    (dense / "modules.json").write_text(json.dumps(
        [*modules[:2], {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
         modules[2]]))
    untokenized = _copy_settings(src, tmp_path / "untokenized")
    (untokenized / "tokenizer.json").unlink()
    prefixed = _copy_settings(src, tmp_path / "prefixed")  # its tensors saved as "bert.embeddings...."
    (prefixed / "model.safetensors").unlink()
    from safetensors.numpy import save_file

    save_file({"bert.embeddings.word_embeddings.weight": np.zeros((4, 4), np.float32)},
              str(prefixed / "model.safetensors"))
    for folder in (cls, lower, other, relative, dense, untokenized, prefixed):
        assert not plain_sentence.runs_here(folder), folder.name
    with pytest.raises(ModelUnavailable, match="not a BERT or MPNet"):
        plain_sentence.PlainSentenceEncoder(cls, label="cls")
    cache.clear()
    try:
        assert isinstance(registry.text_encoder(str(cls)), text.SentenceEncoder)
    finally:
        cache.clear()


def test_unreadable_weights_are_a_clear_error(tmp_path: Path) -> None:
    folder = _copy_settings(_minilm(), tmp_path / "broken")
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    import torch

    assert not plain_sentence.runs_here(folder)  # the registry leaves it to sentence-transformers, which says so
    with pytest.raises(ModelUnavailable, match="Could not read the weights"):
        plain_sentence.read_weights(folder / "model.safetensors", torch.float32, "cpu")
