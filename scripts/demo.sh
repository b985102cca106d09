#!/usr/bin/env bash
# The main job end to end on the embedded defaults: SQLite and files under ./data, the bundled models,
# the sample media in samples/. Safe to run again (nothing is added twice).
set -euo pipefail
cd "$(dirname "$0")/.."
export TRIAGE_DATA_DIR=${TRIAGE_DATA_DIR:-data}
triage() { .venv/bin/triage "$@"; }

echo "== call-outs"
triage callouts import samples/callouts.json
echo "== ingest the sample archive into each call-out (identical bytes are analysed once)"
for callout in $(.venv/bin/python -c 'import json; print(" ".join(c["id"] for c in json.load(open("samples/callouts.json"))))'); do
  triage ingest --callout "$callout" --manifest samples/submissions.jsonl
done
echo "== status"
triage status
