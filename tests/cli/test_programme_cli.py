"""`triage programme`: the five commands from a shortlist to a rough cut, the rest of the group, and
`triage contributors` merging names for the credits."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import FAKE_MODELS, ingested
from tests.service.test_programmes import ids
from triage.cli import cli, programme  # noqa: F401  (importing registers the commands)
from triage.config import Settings
from triage.render import ffmpeg


def triage(settings: Settings, *args: str) -> Result:
    env = {**FAKE_MODELS, "TRIAGE_MODELS_DIR": str(settings.models_dir), "HF_HUB_OFFLINE": "1",
           "TRIAGE_RENDER_WIDTH": "320", "TRIAGE_RENDER_HEIGHT": "180"}
    return CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args], env=env)


def shown(result: Result) -> dict:  # type: ignore[type-arg]
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_from_shortlist_to_rough_cut_in_five_commands(settings: Settings, tmp_path: Path) -> None:
    sid = ids(ingested(settings, "speech.mp4", "story.txt", "speech.wav"))
    made = shown(triage(settings, "programme", "create", "Episode 1", "--kind", "episode", "--callout", "lawn",
                        "--target", "0:30", "--json"))
    assert (made["id"], made["target"]) == ("episode-1", 30)
    placed = shown(triage(settings, "programme", "add", "episode-1", sid["speech.mp4"], sid["story.txt"],
                          sid["speech.wav"], "--json"))
    assert [p["title"] for p in placed["pieces"]] == ["speech.mp4", "story.txt", "speech.wav"]
    moved = shown(triage(settings, "programme", "move", "episode-1", "3", "1", "--json"))
    assert [p["title"] for p in moved["pieces"]] == ["speech.wav", "speech.mp4", "story.txt"]
    trimmed = shown(triage(settings, "programme", "trim", "episode-1", "1", "--in", "0:00.5", "--json"))
    assert trimmed["pieces"][0]["start"] == 0.5 and trimmed["pieces"][0]["end"] == moved["pieces"][0]["end"]
    rendered = triage(settings, "programme", "render", "episode-1")
    assert rendered.exit_code == 0, rendered.output
    cut = settings.data_dir / "programmes" / "episode-1" / "episode" / "rough-cut.mp4"
    assert str(cut.parent) in rendered.output and "LUFS" in rendered.output
    assert abs(ffmpeg.duration(cut) - trimmed["used"]) < 0.05


def test_show_headings_suggestions_credits_and_merged_names(settings: Settings, tmp_path: Path) -> None:
    sid = ids(ingested(settings, "speech.mp3", "story.txt", "latin1.txt"))
    assert triage(settings, "programme", "create", "The book", "--kind", "book").exit_code == 0
    assert triage(settings, "programme", "add", "the-book", sid["story.txt"], sid["latin1.txt"], sid["speech.mp3"],
                  "--heading", "Part one").exit_code == 0
    table = triage(settings, "programme", "show", "the-book")
    assert table.exit_code == 0 and "Part one" in table.output and "words" in table.output
    suggested = triage(settings, "programme", "suggest", "the-book", "--json")
    assert sorted(shown(suggested)["order"]) == sorted(p["submission_id"] for p in shown(
        triage(settings, "programme", "show", "the-book", "--json"))["pieces"])
    sheet = tmp_path / "payouts.csv"
    credits = shown(triage(settings, "programme", "credits", "the-book", "--csv", str(sheet), "--json"))
    assert credits["basis"].startswith("words") and sheet.read_text().startswith("name,role,share,basis,pieces")
    assert abs(sum(line["share"] for line in credits["lines"]) - 1) < 1e-9
    gone = triage(settings, "programme", "remove", "the-book", sid["speech.mp3"])
    assert gone.exit_code == 0 and "speech.mp3" not in gone.output
    bad = triage(settings, "programme", "trim", "the-book", "1", "--in", "9999", "--out", "10000")
    assert bad.exit_code == 2 and "past the end" in bad.output
    assert triage(settings, "programme", "show", "nope").exit_code == 4
    merged = triage(settings, "contributors", "merge", "Ann", "ann", "--as", "Ann Lee")
    assert merged.exit_code == 0 and "credited as 'Ann Lee'" in merged.output
    assert triage(settings, "contributors", "unmerge", "Ann").exit_code == 0
