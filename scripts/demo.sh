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
first=$(echo "$callouts" | cut -d' ' -f1)
echo "== a programme: $first's top five pieces as an episode, in a suggested order, rendered as a rough cut"
if ! triage programme show demo-episode >/dev/null 2>&1; then  # a second `make demo` keeps the first one's
  triage programme create "Demo episode" --kind episode --callout "$first" >/dev/null
  # shellcheck disable=SC2046  # one argument per submission id
  triage programme add demo-episode $(triage shortlist "$first" --limit 5 --json | .venv/bin/python -c \
    'import json, sys; print(" ".join(i["submission_id"] for i in json.load(sys.stdin)["items"]))') >/dev/null
fi
triage programme suggest demo-episode --apply
triage programme render demo-episode 2>/dev/null
triage programme credits demo-episode

echo "== duplicate groups"
triage duplicates --callout "$first"

token=$(triage tokens create --role curator --name demo-curator)
echo
echo "== the curator web page: http://127.0.0.1:$PORT/  (log in with this curator token)"
echo "   $token"
echo "   API docs: http://127.0.0.1:$PORT/docs  ·  stop with Ctrl-C"
exec .venv/bin/triage serve --host 127.0.0.1 --port "$PORT"
