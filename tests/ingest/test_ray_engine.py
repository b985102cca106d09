"""The Ray engine: the same batch gives the same stored results as a local run, and a lost worker or a
missing model is handled as locally (one file failed, or the batch stopped and resumable)."""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ray
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import Service, make_tokens
from tests.conftest import MEDIA, triage_cmd
from triage import runtime
from triage.api.app import create_app
from triage.config import Settings
from triage.errors import ModelUnavailable, ProcessingFailed
from triage.ingest.engine import Request
from triage.ingest.ray_engine import RayEngine, RayWorkerPool, spread
from triage.ingest.runner import ItemResult, ingest
from triage.ingest.sources import Source, from_paths
from triage.jobs import handlers
from triage.jobs.handlers import JobContext
from triage.lineage.types import Reuse, ReuseKind
from triage.runtime import worker_analyser
from triage.service.lineage_update import rebuild_lineage
from triage.store.callouts import upsert_callout
from triage.store.lineage import all_matches
from triage.store.schema import Submission, Vector
from triage.store.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """One private two-CPU Ray instance for the module; engines join it instead of starting their own."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _settings(tmp_path: Path, name: str, **models: str) -> Settings:
    chosen = {"whisper_model": "fake", "text_model": "fake", "clip_model": "fake", **models}
    return Settings(data_dir=tmp_path / name, models_dir=tmp_path / "models", threads=1, **chosen)


def _store(settings: Settings) -> Store:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Front Lawn Freaks", brief="Film yourself freaking out on your lawn.")
    return store


def _batch(tmp_path: Path) -> list[Source]:
    """Good and bad files, then a copy of one under another name: two submissions share one analysis."""
    again = tmp_path / "again.wav"
    shutil.copy(MEDIA / "good" / "speech.wav", again)
    return list(from_paths([MEDIA / "good", MEDIA / "bad", again]))


def _summary(results: list[ItemResult]) -> list[tuple[str, str, str | None, str | None, str | None, str]]:
    return [(Path(r.source).name, r.status, r.media_type, r.sha256, r.error, r.action) for r in results]


def _vectors(store: Store) -> dict[tuple[str, str, str, int], np.ndarray]:
    with store.db.session() as session:
        return {(v.sha256, v.source, v.kind, v.ordinal): np.frombuffer(v.vector, dtype=np.float32)
                for v in session.scalars(select(Vector))}


def test_ray_batch_stores_what_a_local_batch_stores(tmp_path: Path, cluster: None) -> None:
    local_settings, ray_settings = _settings(tmp_path, "local"), _settings(tmp_path, "ray")
    local_store, ray_store = _store(local_settings), _store(ray_settings)
    local = ingest(local_store, "lawn", _batch(tmp_path), runtime.analysis_engine(local_settings),
                   max_file_bytes=local_settings.max_file_bytes)
    heard: list[str] = []
    with RayEngine(ray_settings, worker_analyser, workers=2) as engine:
        assert len(engine.workers) == 2 and engine.capacity == 4
        remote = ingest(ray_store, "lawn", _batch(tmp_path), engine, max_file_bytes=ray_settings.max_file_bytes,
                        on_result=lambda r: heard.append(r.source))

    assert _summary(remote) == _summary(local)  # results come back in source order, whatever finished first
    assert sorted(heard) == sorted(r.source for r in remote)
    assert {r.status for r in remote} == {"ready", "rejected"}
    first_wav = next(r for r in remote if r.source.endswith("good/speech.wav"))
    assert remote[-1].action == "reused" and remote[-1].sha256 == first_wav.sha256  # one analysis, two uses
    local_vectors, remote_vectors = _vectors(local_store), _vectors(ray_store)
    assert local_vectors.keys() == remote_vectors.keys() and local_vectors
    for key, vector in local_vectors.items():
        np.testing.assert_array_equal(remote_vectors[key], vector)


def _texts(folder: Path) -> list[Path]:
    """A poem, a story quoting 35 of its words, and a sequel quoting the story: text reuse for the rebuild."""
    rng = random.Random(7)
    made_up = [a + b for a in ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi") for b in ("dor", "fin", "gal", "hem")]
    poem, own = (" ".join(rng.choice(made_up) for _ in range(n)) for n in (60, 40))
    texts = {"poem": f"A poem. {poem}", "story": f"It began. {own}. Then: {' '.join(poem.split()[10:45])}. End.",
             "sequel": f"My own words first. Then the story: {own}. Nothing else."}
    folder.mkdir()
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text)
    return [folder / f"{name}.txt" for name in texts]


def test_a_lineage_rebuild_on_ray_stores_what_a_local_rebuild_stores(tmp_path: Path, cluster: None) -> None:
    settings = _settings(tmp_path, "data")
    store = _store(settings)
    # The same speech three ways (sound), a video's frames after a black intro (pictures), quoted texts (words).
    media = [MEDIA / "good" / name for name in ("speech.wav", "speech.mp3", "speech.mp4", "scene_cut.mp4",
                                                 "black_intro.mp4")]
    ingest(store, "lawn", list(from_paths([*media, *_texts(tmp_path / "texts")])), runtime.analysis_engine(settings),
           max_file_bytes=settings.max_file_bytes)

    def stored() -> list[Reuse]:
        with store.db.session() as session:
            return all_matches(session)

    local = rebuild_lineage(store)
    found = stored()
    assert {r.kind for r in found} == {ReuseKind.AUDIO, ReuseKind.VIDEO, ReuseKind.TEXT}
    heard: list[tuple[int, int]] = []
    on_ray = rebuild_lineage(store, progress=lambda done, total: heard.append((done, total)),
                             spread=functools.partial(spread, workers=2))
    assert on_ray == local and stored() == found  # the same reuses, written in the same order
    assert heard[-1] == (local["matched"], local["matched"])
    assert _cpus_back(2)  # the tasks let go of the cluster's CPUs


def _crash_while_queued(engine: RayEngine, request: Request) -> None:
    """Send `request` to the engine's only worker and kill that worker's process before it gets to it, as a
    segfaulting decoder or the out-of-memory killer would."""
    worker = engine.workers[0]
    pid = ray.get(worker.__ray_call__.remote(lambda self: os.getpid()))
    worker.__ray_call__.remote(lambda self: time.sleep(60))  # keeps the worker busy while the file waits
    engine.submit(request)
    time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("attempts", [1, 2])
def test_a_crashed_worker_is_restarted_and_its_file_retried_once(tmp_path: Path, cluster: None,
                                                                  attempts: int) -> None:
    settings = _settings(tmp_path, "data")
    store = _store(settings)
    wav = store.files.put_original(MEDIA / "good" / "speech.wav")[0]
    story = store.files.put_original(MEDIA / "good" / "story.txt")[0]
    with RayEngine(settings, worker_analyser, workers=1, max_attempts=attempts) as engine:
        _crash_while_queued(engine, Request(wav, store.files.original_path(wav)))
        outcome = engine.next_done()
        assert outcome.sha256 == wav
        if attempts == 1:  # lost on its only try: failed, for the next run to retry
            assert outcome.analysis is None and "analysis worker died 1 time(s)" in str(outcome.error)
        else:  # the crash was not this file's doing: the second try, on the restarted worker, succeeds
            assert outcome.error is None and outcome.analysis is not None
        engine.submit(Request(story, store.files.original_path(story)))  # the restarted worker takes new files
        after = engine.next_done()
        assert after.error is None and after.analysis is not None


def test_a_worker_gone_for_good_hands_its_files_to_the_others(tmp_path: Path, cluster: None) -> None:
    settings = _settings(tmp_path, "data")
    store = _store(settings)
    story = store.files.put_original(MEDIA / "good" / "story.txt")[0]
    lyrics = store.files.put_original(MEDIA / "good" / "lyrics.md")[0]
    with RayEngine(settings, worker_analyser, workers=2, restart_wait_s=2.0) as engine:
        engine.submit(Request(story, store.files.original_path(story)))  # goes to worker 0, the least loaded
        ray.kill(engine.workers[0], no_restart=True)  # its node is gone and Ray cannot bring it back
        moved = engine.next_done()
        assert moved.sha256 == story and moved.error is None and moved.analysis is not None  # done by worker 1
        engine.submit(Request(lyrics, store.files.original_path(lyrics)))
        assert engine.next_done().error is None
        ray.kill(engine.workers[1], no_restart=True)
        engine.submit(Request(story, store.files.original_path(story)))
        lost = engine.next_done()
        assert "analysis worker died" in str(lost.error)
        with pytest.raises(ProcessingFailed, match="every Ray worker is lost"):
            engine.submit(Request(lyrics, store.files.original_path(lyrics)))


def test_a_missing_model_stops_the_batch_and_a_rerun_resumes(tmp_path: Path, cluster: None) -> None:
    broken = _settings(tmp_path, "data", text_model=str(tmp_path / "no-such-model"))
    store = _store(broken)
    sources = list(from_paths([MEDIA / "good" / "story.txt", MEDIA / "good" / "lyrics.md"]))
    with RayEngine(broken, worker_analyser, workers=1) as engine, \
            pytest.raises(ModelUnavailable, match="no-such-model"):
        ingest(store, "lawn", sources, engine, max_file_bytes=broken.max_file_bytes)
    with store.db.session() as session:
        assert {s.status for s in session.scalars(select(Submission))} <= {"processing", "received"}

    fixed = _settings(tmp_path, "data")
    again = ingest(store, "lawn", sources, runtime.analysis_engine(fixed), max_file_bytes=fixed.max_file_bytes)
    assert [r.status for r in again] == ["ready", "ready"]
    assert {r.action for r in again} <= {"resumed", "added"}


def test_reprocess_job_on_ray_recomputes_what_was_asked(tmp_path: Path, cluster: None) -> None:
    settings = _settings(tmp_path, "data")
    store = _store(settings)
    ingest(store, "lawn", list(from_paths([MEDIA / "good"])), runtime.analysis_engine(settings),
           max_file_bytes=settings.max_file_bytes)
    before = _vectors(store)
    steps: list[tuple[int, int]] = []
    on_ray = settings.model_copy(update={"engine": "ray", "ray_workers": 2})
    ctx = JobContext(store, on_ray)
    try:
        summary = handlers.reprocess(ctx, {"only": ["transcripts"]}, None,
                                     lambda done, total: steps.append((done, total)))
    finally:
        ctx.close()
    assert summary["errors"] == [] and summary["recomputed"] == summary["contents"] > 0
    assert steps[-1] == (summary["contents"], summary["contents"])
    assert _vectors(store).keys() == before.keys()  # transcripts and their text vectors made again, the same


def test_engines_sharing_a_pool_each_collect_their_own_files(tmp_path: Path, cluster: None) -> None:
    settings = _settings(tmp_path, "data")
    store = _store(settings)
    story, lyrics, wav = (store.files.put_original(MEDIA / "good" / name)[0]
                          for name in ("story.txt", "lyrics.md", "speech.wav"))
    pool = RayWorkerPool(settings, worker_analyser, workers=2)
    try:
        first, second = RayEngine(pool=pool), RayEngine(pool=pool)
        first.submit(Request(story, store.files.original_path(story)))
        second.submit(Request(lyrics, store.files.original_path(lyrics)))
        assert second.next_done().sha256 == lyrics and first.next_done().sha256 == story
        first.submit(Request(wav, store.files.original_path(wav)))
        first.close()  # a cancelled job: the pool stops counting its file, and keeps running for the others
        assert pool._load == [0, 0] and len(pool.workers) == 2
        second.submit(Request(story, store.files.original_path(story)))
        assert second.next_done().analysis is not None
        second.close()
    finally:
        pool.close()


def _cpus_back(expected: float, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while ray.available_resources().get("CPU", 0) < expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_server_uploads_are_analysed_by_ray_workers_the_jobs_share(tmp_path: Path, cluster: None) -> None:
    settings = _settings(tmp_path, "data").model_copy(update={"engine": "ray", "ray_workers": 2})
    files = ["speech.mp4", "speech.mp3", "story.txt", "lyrics.md", "image.png"]
    app = create_app(settings, workers=2)  # two job threads, each job on the shared workers
    with TestClient(app) as client:
        service = Service(client, make_tokens(app), settings)
        sent = {name: service.upload("submitter", MEDIA / "good" / name) for name in files}
        assert all(r.status_code == 202 for r in sent.values()), {n: r.text for n, r in sent.items()}
        done = {name: service.wait_ready(r.json()["submission"]["submission_id"], timeout=120)
                for name, r in sent.items()}
        assert {name: d["status"] for name, d in done.items()} == dict.fromkeys(files, "ready")
        jobs = app.state.triage.jobs
        assert len(jobs._ray_pool.workers) == 2  # started once, for every job
        assert jobs.preloaded is None  # no analysis model was loaded in the server itself
        assert service.client.get(f"/api/submissions/{done['speech.mp4']['submission_id']}",
                                  headers=service.h("curator")).json()["transcript"] is not None
    assert jobs._ray_pool is None and _cpus_back(2)  # stopping the server stops its workers


@pytest.fixture
def stale_cluster_record() -> Iterator[None]:
    """What `ray start` leaves behind on a machine whose cluster has since stopped: its address on file."""
    from ray._private.utils import get_ray_address_file

    record = Path(get_ray_address_file(None))
    before = record.read_text() if record.exists() else None
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("127.0.0.1:9")  # nothing listens there
    yield
    if before is None:
        record.unlink(missing_ok=True)
    else:
        record.write_text(before)


def test_cli_ingest_with_the_ray_engine(tmp_path: Path, cli_env: dict[str, str], stale_cluster_record: None) -> None:
    """Without an address the batch gets a private Ray instance, whatever an old `ray start` left on file."""
    env = {**cli_env, "TRIAGE_THREADS": "1"}
    subprocess.run([*triage_cmd(), "callouts", "create", "lawn", "--title", "Lawn", "--brief", "On the lawn."],
                   env=env, check=True, capture_output=True)
    done = subprocess.run([*triage_cmd(), "ingest", "--callout", "lawn", "--engine", "ray", "--workers", "1",
                           "--json", str(MEDIA / "good" / "story.txt"), str(MEDIA / "bad" / "empty.mp4")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert [r["status"] for r in results] == ["ready", "rejected"]

    too_many = subprocess.run([*triage_cmd(), "ingest", "--callout", "lawn", "--engine", "ray",
                               "--workers", "100000", str(MEDIA / "good" / "story.txt")],
                              env=env, capture_output=True, text=True, timeout=300)
    assert too_many.returncode == 2 and "100000 workers x 1 threads need 100000 CPUs" in too_many.stderr

    again = subprocess.run([*triage_cmd(), "reprocess", "--only", "fingerprints", "--engine", "ray", "--workers", "1",
                            "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    job = json.loads(again.stdout)
    assert job["status"] == "done" and job["result"]["recomputed"] == 1 and job["result"]["errors"] == []
    local_only = subprocess.run([*triage_cmd(), "reprocess", "--workers", "2"], env=env, capture_output=True,
                                text=True, timeout=300)
    assert local_only.returncode == 2 and "--workers and --ray-address need --engine ray" in local_only.stderr


def test_cli_lineage_rebuild_with_the_ray_engine(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """`triage lineage rebuild --engine ray`, on a private Ray instance, finds what the local rebuild finds."""
    settings = _settings(tmp_path, "data")  # the folders cli_env names
    store = _store(settings)
    ingest(store, "lawn", list(from_paths(_texts(tmp_path / "texts"))), runtime.analysis_engine(settings),
           max_file_bytes=settings.max_file_bytes)
    env = {**cli_env, "TRIAGE_THREADS": "1"}
    runs = []
    for engine in ([], ["--engine", "ray", "--workers", "2"]):
        done = subprocess.run([*triage_cmd(), "lineage", "rebuild", *engine], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        with store.db.session() as session:
            runs.append((done.stdout, all_matches(session)))
    assert runs[0] == runs[1] and runs[0][0] == "matched 3 pieces: 2 reuses found\n"
    local_only = subprocess.run([*triage_cmd(), "lineage", "rebuild", "--workers", "2"], env=env,
                                capture_output=True, text=True, timeout=300)
    assert local_only.returncode == 2 and "--workers and --ray-address need --engine ray" in local_only.stderr


@pytest.mark.real_models
def test_real_models_on_ray_give_the_local_vectors(tmp_path: Path, cluster: None) -> None:
    """Whisper and the sentence model load inside the Ray worker; clean speech transcribes the same there.

    In float32: the local engine embeds a batch's files in one call, and bfloat16 rounds a padded batch a little
    differently from one file's (cosine > 0.999, tests/encoders/test_text_real.py), on any engine."""
    real = {"whisper_model": "tiny.en", "text_model": "all-MiniLM-L6-v2", "text_precision": "float32"}
    local_settings, ray_settings = _settings(tmp_path, "local", **real), _settings(tmp_path, "ray", **real)
    files = [MEDIA / "good" / "speech.wav", MEDIA / "good" / "story.txt"]
    local_store, ray_store = _store(local_settings), _store(ray_settings)
    ingest(local_store, "lawn", list(from_paths(files)), runtime.analysis_engine(local_settings),
           max_file_bytes=local_settings.max_file_bytes)
    with RayEngine(ray_settings, worker_analyser, workers=1) as engine:
        results = ingest(ray_store, "lawn", list(from_paths(files)), engine,
                         max_file_bytes=ray_settings.max_file_bytes)
    assert [r.status for r in results] == ["ready", "ready"], [r.error for r in results]
    local_vectors, remote_vectors = _vectors(local_store), _vectors(ray_store)
    assert local_vectors.keys() == remote_vectors.keys()
    for key, vector in local_vectors.items():
        np.testing.assert_allclose(remote_vectors[key], vector, atol=1e-4)


def test_workers_are_told_local_model_folders_absolutely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.ingest.ray_engine import _absolute_paths

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my-sentence-model").mkdir()
    relative = Settings(models_dir=Path("models"), text_model="my-sentence-model", whisper_model="tiny.en")
    sent = _absolute_paths(relative)
    assert sent.models_dir == tmp_path / "models"
    assert sent.text_model == str(tmp_path / "my-sentence-model")
    assert sent.whisper_model == "tiny.en"  # a name, not a folder here: left for the worker to resolve
    assert sent.whisper_other_languages == ""  # none asked for: still none, not the working dir
    (tmp_path / "my-whisper").mkdir()
    assert _absolute_paths(relative.model_copy(update={"whisper_other_languages": "my-whisper"})
                           ).whisper_other_languages == str(tmp_path / "my-whisper")


class _TwoPartError(Exception):
    def __init__(self, what: str, why: str) -> None:  # pickle cannot rebuild it from its message alone
        super().__init__(f"{what}: {why}")


def test_only_errors_that_survive_the_trip_are_sent_back_as_they_are() -> None:
    from triage.errors import InvalidSubmission
    from triage.ingest.ray_engine import _picklable

    assert _picklable(InvalidSubmission("file is empty")) and _picklable(RuntimeError("boom"))
    assert not _picklable(_TwoPartError("decoder", "bad frame"))


def test_a_server_told_to_use_ray_without_ray_installed_refuses_to_start(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from triage.errors import ConfigError

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "ray" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    settings = _settings(tmp_path, "data").model_copy(update={"engine": "ray"})
    with pytest.raises(ConfigError, match=r"pip install 'triage\[ray\]'"):
        create_app(settings, workers=1)
    create_app(settings, workers=0)  # a server that runs no jobs needs no Ray
