"""Shared by the benchmark scripts, not a script itself: benchmark code run in a fresh child process on a tree of
code (its own peak memory, that tree's `triage`), and the JSON object it prints last."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_child(code: str, tree: Path, *args: str) -> dict[str, object]:
    """`python -c code args...` with `tree` first on the path, from /tmp (so the checkout's own package is not
    picked up instead); its last line of output, a JSON object."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd="/tmp",
                          check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
