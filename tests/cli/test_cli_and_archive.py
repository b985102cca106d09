"""`triage show` and `triage callouts import` read and write as `Archive.piece` and `Archive.import_callouts` do:
one service function each (service/pieces.py `shown`, service/callouts.py `import_callouts`). In-process, with
the fake models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import triage
from tests.conftest import FAKE_MODELS, MEDIA
from triage.cli import callouts, cli  # noqa: F401  (importing registers the commands)
from triage.errors import BadRequest, NotFound
from triage.store.callouts import upsert_callout


def _invoke(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], env={**FAKE_MODELS, "HF_HUB_OFFLINE": "1"})


def _archive(data_dir: Path) -> triage.Archive:
    return triage.open_archive(data_dir, whisper_model="fake", text_model="fake", clip_model="fake",
                               models_dir=data_dir.parent / "models")


def _as_printed(data: dict[str, Any]) -> Any:
    """A piece as `triage show --json` prints it: times as ISO text."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat()))


def test_show_prints_the_piece_the_archive_gives(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    archive = _archive(data_dir)
    archive.create_callout("lawn")
    archive.create_callout("river")
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "fox"}) + "\n")
    archive.ingest("lawn", manifest=manifest, allow_outside=True)

    for callout_id in (None, "lawn"):
        where = ["--callout", callout_id] if callout_id else []
        done = _invoke(data_dir, "show", "fox", "--json", *where)
        assert done.exit_code == 0, done.output
        assert json.loads(done.output) == _as_printed(archive.piece("fox", callout_id=callout_id))
    # Both look only in the call-out named: neither falls back to the piece filed elsewhere.
    assert _invoke(data_dir, "show", "fox", "--callout", "river").exit_code == 4
    with pytest.raises(NotFound):
        archive.piece("fox", callout_id="river")


def _callouts(data_dir: Path) -> list[dict[str, Any]]:
    """The call-outs stored, without their times (two archives written a moment apart)."""
    return [{k: v for k, v in c.items() if not k.endswith("_at")} for c in _archive(data_dir).callouts()]


def test_an_import_writes_the_same_callouts_from_the_cli_and_the_archive(tmp_path: Path) -> None:
    listed = tmp_path / "callouts.json"
    listed.write_text(json.dumps([{"id": "river", "title": "River", "brief": "Water.", "prompts": ["a heron"]},
                                  {"id": "lawn", "brief": "Dogs.", "negative_prompts": ["cats"]}, {"id": "sea"}]))
    by_cli, by_archive = tmp_path / "by-cli", tmp_path / "by-archive"
    for data_dir in (by_cli, by_archive):
        assert _invoke(data_dir, "callouts", "create", "lawn", "--title", "Lawn", "--brief", "Foxes.").exit_code == 0

    done = _invoke(by_cli, "callouts", "import", str(listed))
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == ["created call-out river", "updated call-out lawn", "created call-out sea"]
    returned = _archive(by_archive).import_callouts(listed)
    assert [c["id"] for c in returned] == ["river", "lawn", "sea"]
    assert _callouts(by_cli) == _callouts(by_archive)
    assert {c["id"]: (c["title"], c["brief"]) for c in _callouts(by_archive)} == {
        "lawn": ("Lawn", "Dogs."), "river": ("River", "Water."), "sea": ("sea", "")}


def test_a_create_writes_and_answers_as_the_archive_does(tmp_path: Path) -> None:
    """`triage callouts create` and `Archive.create_callout` (one service function, `put_callout`): the same rows
    and the same JSON, for a new call-out and for an update of the fields given."""
    by_cli, by_archive = tmp_path / "by-cli", tmp_path / "by-archive"
    archive = _archive(by_archive)
    for args, kwargs in ((["--title", "Lawn", "--brief", "Foxes.", "--prompt", "a den"],
                          {"title": "Lawn", "brief": "Foxes.", "prompts": ["a den"]}),
                         (["--brief", "Dogs."], {"brief": "Dogs."})):
        done = _invoke(by_cli, "callouts", "create", "lawn", "--json", *args)
        assert done.exit_code == 0, done.output
        given = archive.create_callout("lawn", **kwargs)
        times = ("created_at", "updated_at")
        assert {k: v for k, v in json.loads(done.output).items() if k not in times} == \
            {k: v for k, v in _as_printed(given).items() if k not in times}
    assert _callouts(by_cli) == _callouts(by_archive)
    assert [(c["title"], c["brief"], c["prompts"]) for c in _callouts(by_archive)] == [("Lawn", "Dogs.", ["a den"])]


def test_an_import_that_fails_on_writing_writes_nothing_from_either(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    listed = tmp_path / "callouts.json"
    listed.write_text(json.dumps([{"id": "pond"}, {"id": "sea"}]))

    def refuse_sea(session: Any, callout_id: str, **fields: Any) -> Any:
        if callout_id == "sea":  # passes the file's checks, fails in the database
            raise BadRequest("the database refused it")
        return upsert_callout(session, callout_id, **fields)

    monkeypatch.setattr("triage.service.callouts.upsert_callout", refuse_sea)
    by_cli, by_archive = tmp_path / "by-cli", tmp_path / "by-archive"
    done = _invoke(by_cli, "callouts", "import", str(listed))
    assert done.exit_code != 0 and "created" not in done.output, done.output
    with pytest.raises(BadRequest):
        _archive(by_archive).import_callouts(listed)
    assert _callouts(by_cli) == _callouts(by_archive) == []  # "pond" went with "sea", from both
