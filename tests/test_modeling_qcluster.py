"""A real ``manage.py qcluster`` with the ORM broker on PostgreSQL trains a model.

The cluster is a subprocess pointed at the test database (committed rows: a
transactional test); it is always terminated, its whole process group, at the end.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_q.conf import Conf

from modeling.models import ModelStatus, TaskKind, TaskRun, TaskStatus
from modeling.services.runs import run_enqueue
from tests.modeling_helpers import TRAIN_PARAMS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

if not settings.DATABASE_IS_POSTGRES:  # pragma: no cover - CI and the helpers use PostgreSQL
    pytest.skip("the qcluster test needs PostgreSQL (DATABASE_URL)", allow_module_level=True)


HEARTBEAT_TIMEOUT = 15


def _cluster(timeout=300, retry=360):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "healthplanner.settings",
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "true",
        "Q_SYNC": "false",
        "Q_WORKERS": "1",
        "Q_TIMEOUT": str(timeout),
        "Q_RETRY": str(retry),
        "HEALTHPLANNER_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DATABASE_CONN_MAX_AGE": "0",
        "TASK_HEARTBEAT_SECONDS": "2",
        "TASK_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
    }
    log = open(Path(settings.MEDIA_ROOT) / f"qcluster-{time.time_ns()}.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    return proc, log


def _stop(proc, log):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    log.seek(0)
    return log.read()


def _wait(run, until, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if until(run):
            return True
        time.sleep(1)
    return False


def test_a_real_qcluster_trains_a_model(demo_small, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)
    proc, log = _cluster()
    try:
        run = run_enqueue(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
        finished = _wait(run, lambda r: r.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED), 300)
    finally:
        output = _stop(proc, log)
    assert finished, output[-3000:]
    assert run.status == TaskStatus.SUCCEEDED, run.error
    assert run.task_id and run.attempts == 1
    assert f"in process {proc.pid}" not in run.log[0]  # trained in a forked worker, not the parent
    assert run.model_version.status == ModelStatus.ACTIVE
    assert (Path(settings.MODEL_FILES_ROOT) / run.model_version.file_path).is_file()
    assert proc.poll() is not None


def test_a_killed_workers_training_is_retried_and_finishes_once(demo_small, monkeypatch):
    """SIGKILL to the worker that trains: django-q2 starts a replacement at once, and its start
    reclaims the run whose process is gone (same machine): queued again, trained once more,
    finished once — long before the heartbeat times out (HEARTBEAT_TIMEOUT is 15 s here, but
    nothing waits for it) and long before Q_RETRY (600 s) would hand the task out again."""
    monkeypatch.setattr(Conf, "SYNC", False)
    proc, log = _cluster(timeout=500, retry=600)
    try:
        run = run_enqueue(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
        assert _wait(run, lambda r: r.status == TaskStatus.RUNNING and r.worker, 120)
        host, _sep, worker_pid = run.worker.rpartition(":")
        assert int(worker_pid) != proc.pid  # a forked worker, not the cluster's parent
        os.kill(int(worker_pid), signal.SIGKILL)
        killed_at = time.monotonic()
        finished = _wait(run, lambda r: r.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED), 400)
        took = time.monotonic() - killed_at
        time.sleep(3)  # a second execution, if one were started, would show in the log
    finally:
        output = _stop(proc, log)
    assert finished, output[-3000:]
    run.refresh_from_db()
    assert run.status == TaskStatus.SUCCEEDED, run.error
    assert took < 300, took  # the reclaim at once, not the broker handing the task out again at Q_RETRY
    assert run.attempts == 2, run.log
    # The product speaks Spanish: the reclaim, then the second attempt, each written once.
    assert sum("ya no existe: la tarea está en cola de nuevo" in line for line in run.log) == 1, run.log
    assert sum("el intento anterior se detuvo" in line for line in run.log) == 1, run.log
    assert run.worker.startswith(f"{host}:") and run.worker != f"{host}:{worker_pid}"
    assert TaskRun.objects.count() == 1
    assert run.model_version.status == ModelStatus.ACTIVE
    assert run.model_version.runs.count() == 1


def test_killing_the_whole_cluster_mid_training_the_next_start_reclaims_the_run(demo_small, monkeypatch):
    """Audit row 14: SIGKILL to every process of the cluster while it trains. The run is left
    "running"; once its heartbeat is older than TASK_HEARTBEAT_TIMEOUT, the next cluster's
    worker reclaims it at start (queued again: it has an attempt left) and trains it, long
    before Q_RETRY (600 s here) would have handed the task out again."""
    monkeypatch.setattr(Conf, "SYNC", False)
    proc, log = _cluster(timeout=500, retry=600)
    try:
        run = run_enqueue(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
        assert _wait(run, lambda r: r.status == TaskStatus.RUNNING and r.log, 120)
        os.killpg(proc.pid, signal.SIGKILL)  # the parent, the sentinel, the workers: all at once
    finally:
        first = _stop(proc, log)
    killed_at = time.monotonic()
    run.refresh_from_db()
    assert run.status == TaskStatus.RUNNING and run.attempts == 1, first[-2000:]
    time.sleep(HEARTBEAT_TIMEOUT + 3)
    run.refresh_from_db()
    assert run.status == TaskStatus.RUNNING  # nothing beats any more, nothing reclaimed it yet
    proc, log = _cluster(timeout=500, retry=600)
    try:
        finished = _wait(run, lambda r: r.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED), 400)
    finally:
        output = _stop(proc, log)
    assert finished, output[-3000:]
    assert run.status == TaskStatus.SUCCEEDED, run.error
    assert time.monotonic() - killed_at < 600
    assert run.attempts == 2
    assert sum("en cola de nuevo" in line for line in run.log) == 1, run.log  # the product speaks Spanish
    assert run.model_version.status == ModelStatus.ACTIVE
