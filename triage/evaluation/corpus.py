"""A labelled evaluation corpus on disk (the format of shared/eval/README.md): inputs and answer key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import ConfigError


@dataclass(frozen=True)
class Corpus:
    """Where the corpus lies, what the system may see (manifest, call-outs) and the answer key."""

    root: Path
    manifest: Path
    callouts: list[dict]
    category: dict[str, str]
    duplicate_groups: list[list[str]]
    relevant: dict[str, list[str]]
    spoken: dict[str, str] = field(default_factory=dict)

    def relevant_ids(self, callout_id: str) -> set[str]:
        """External ids of the pieces that answer `callout_id`."""
        topics = set(self.relevant.get(callout_id, []))
        return {ext for ext, topic in self.category.items() if topic in topics}


def load_corpus(root: Path) -> Corpus:
    """Read submissions.jsonl, callouts.json and truth.json from `root`."""
    root = Path(root)
    need = {name: root / name for name in ("submissions.jsonl", "callouts.json", "truth.json")}
    missing = [name for name, path in need.items() if not path.is_file()]
    if missing:
        raise ConfigError(f"{root} is not an evaluation corpus: missing {', '.join(missing)}")
    try:
        callouts = json.loads(need["callouts.json"].read_text())
        truth = json.loads(need["truth.json"].read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the corpus in {root}: {exc}") from exc
    if not isinstance(callouts, list) or not all(isinstance(c, dict) and c.get("id") for c in callouts):
        raise ConfigError(f"{need['callouts.json']} must be a JSON list of objects with an \"id\"")
    try:
        return Corpus(root=root, manifest=need["submissions.jsonl"], callouts=list(callouts),
                      category=dict(truth.get("category", {})),
                      duplicate_groups=[list(g) for g in truth.get("duplicate_groups", [])],
                      relevant={k: list(v) for k, v in truth.get("relevant", {}).items()},
                      spoken=dict(truth.get("spoken", {})))
    except (AttributeError, TypeError, ValueError) as exc:
        raise ConfigError(f"{need['truth.json']} is not an answer key: an object of \"category\", "
                          f"\"duplicate_groups\", \"relevant\" and \"spoken\" ({exc})") from exc
