#!/usr/bin/env bash
# The main job end to end on the embedded defaults: SQLite and files under ./data, the bundled models,
# the sample media in samples/. Ends with the curator web page running. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRIAGE_DATA_DIR=${TRIAGE_DATA_DIR:-data}
PORT=${PORT:-8000}
triage() { .venv/bin/triage "$@"; }

echo "== call-outs"
triage callouts import samples/callouts.json
callouts=$(.venv/bin/python -c 'import json; print(" ".join(c["id"] for c in json.load(open("samples/callouts.json"))))')

echo "== ingest the sample archive into each call-out (identical bytes are analysed once)"
for callout in $callouts; do
  triage ingest --callout "$callout" --manifest samples/submissions.jsonl
done
triage status

for callout in $callouts; do
  echo "== score and shortlist: $callout"
  triage score "$callout" >/dev/null
  triage shortlist "$callout" --limit 5
done
echo "== duplicate groups"
triage duplicates --callout "$(echo "$callouts" | cut -d' ' -f1)"

token=$(triage tokens create --role curator --name demo-curator)
echo
echo "== the curator web page: http://127.0.0.1:$PORT/  (log in with this curator token)"
echo "   $token"
echo "   API docs: http://127.0.0.1:$PORT/docs  ·  stop with Ctrl-C"
exec .venv/bin/triage serve --host 127.0.0.1 --port "$PORT"
