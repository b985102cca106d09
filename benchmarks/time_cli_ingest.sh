#!/bin/bash
# `triage ingest` of the short-clip corpus as a user runs it (process start, models, ingest, lineage), timed whole.
#   benchmarks/time_cli_ingest.sh TREE LABEL [CORPUS]    (TREE: this checkout, or `git archive REV triage | tar -x`)
# Needs /tmp/short40 from benchmarks/build_short_clips.py; writes a fresh data dir /tmp/ingcli_LABEL.
set -euo pipefail
tree=$(realpath "$1"); label=$2; corpus=${3:-/tmp/short40}
root=$(cd "$(dirname "$0")/.." && pwd)
data=/tmp/ingcli_$label
rm -rf "$data"
export TRIAGE_DATA_DIR=$data TRIAGE_MODELS_DIR=${TRIAGE_MODELS_DIR:-$root/models} HF_HUB_OFFLINE=1 PYTHONPATH=$tree
cd /tmp  # so that the tree on PYTHONPATH, not this checkout, is imported
"$root/.venv/bin/python" -m triage.cli callouts create bench --title Bench --brief "Anything." > /dev/null
/usr/bin/time -f "$label: wall %e s, user %U s, sys %S s, max RSS %M KB" "$root/.venv/bin/python" -m triage.cli \
    ingest --callout bench --manifest "$corpus/submissions.jsonl" --allow-outside --json > /dev/null 2> "$data.err"
tail -1 "$data.err"
