"""Worker supervision (audit row 14): a run writes a heartbeat while it works, and a
running run whose heartbeat stopped (its worker or the whole cluster was killed) is
reclaimed after TASK_HEARTBEAT_TIMEOUT, long before django-q2's Q_RETRY would hand the task
out again: queued again while it has attempts left, else failed with the reason in Spanish.
The real cluster is killed in tests/test_modeling_qcluster.py."""
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.signals import post_spawn
from prometheus_client import REGISTRY

from modeling.models import TaskKind, TaskRun, TaskStatus
from modeling.services import runs
from modeling.services.runs import run_execute, run_now, run_reclaim_stale
from tests.modeling_helpers import TRAIN_PARAMS

ROOT = settings.BASE_DIR


def _running(*, beat_seconds_ago, attempts=1, kind=TaskKind.TRAIN):
    run = TaskRun.objects.create(kind=kind, status=TaskStatus.RUNNING, attempts=attempts, params=TRAIN_PARAMS)
    at = timezone.now() - timedelta(seconds=beat_seconds_ago)
    TaskRun.objects.filter(pk=run.pk).update(started_at=at, heartbeat_at=at)
    return run


def test_the_timeout_is_shorter_than_q_retry():
    assert settings.TASK_HEARTBEAT_SECONDS < settings.TASK_HEARTBEAT_TIMEOUT < settings.Q_CLUSTER["retry"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthplanner.settings", "DJANGO_DEBUG": "true",
           "Q_RETRY": "600", "TASK_HEARTBEAT_TIMEOUT": "900"}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "must be longer than TASK_HEARTBEAT_SECONDS" in out.stderr


@pytest.mark.django_db
def test_a_run_writes_its_heartbeat_when_claimed_and_at_every_log_line():
    run = run_now(kind=TaskKind.TRAIN, params={**TRAIN_PARAMS, "target": "no_such_indicator"})
    assert run.status == TaskStatus.FAILED
    assert run.heartbeat_at is not None and run.started_at <= run.heartbeat_at <= run.finished_at


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_a_step_logs_nothing():
    run = _running(beat_seconds_ago=600)
    with runs._Heartbeat(run.pk, 0.2):
        time.sleep(1.0)
    run.refresh_from_db()
    assert timezone.now() - run.heartbeat_at < timedelta(seconds=2)
    assert run_reclaim_stale() == {"requeued": [], "failed": []}  # fresh again: not reclaimed


@pytest.mark.django_db
def test_stale_runs_are_requeued_then_failed_in_spanish(settings, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "es"
    timeout = settings.TASK_HEARTBEAT_TIMEOUT
    first = _running(beat_seconds_ago=timeout + 60, attempts=1)
    last = _running(beat_seconds_ago=timeout + 60, attempts=settings.Q_CLUSTER["max_attempts"])
    fresh = _running(beat_seconds_ago=timeout // 2)
    never = _running(beat_seconds_ago=timeout + 60)
    TaskRun.objects.filter(pk=never.pk).update(heartbeat_at=None)
    queued = TaskRun.objects.create(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
    TaskRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(days=1))
    failures = REGISTRY.get_sample_value("healthplanner_task_runs_total",
                                         {"task": "train_model", "status": "failure"}) or 0.0

    with django_capture_on_commit_callbacks(execute=False) as sent:
        done = run_reclaim_stale()
    assert {outcome: sorted(ids) for outcome, ids in done.items()} == {"requeued": sorted([first.pk, never.pk]),
                                                                      "failed": [last.pk]}
    assert len(sent) == 2  # each requeued run is handed to the worker again once committed
    for run in (first, last, fresh, never, queued):
        run.refresh_from_db()
    assert (first.status, never.status, fresh.status, queued.status) == (
        TaskStatus.QUEUED, TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.QUEUED)
    assert "en cola de nuevo" in first.log[-1]
    assert last.status == TaskStatus.FAILED and last.finished_at is not None
    assert last.error.startswith("El proceso que ejecutaba esta tarea se detuvo sin terminarla")
    assert f"{timeout} segundos" in last.error
    assert REGISTRY.get_sample_value("healthplanner_task_runs_total",
                                     {"task": "train_model", "status": "failure"}) == failures + 1


@pytest.mark.django_db
def test_a_run_another_process_still_works_on_is_not_started_twice():
    run = _running(beat_seconds_ago=5)
    assert run_execute(run_id=run.pk) == TaskStatus.RUNNING
    run.refresh_from_db()
    assert run.attempts == 1 and run.status == TaskStatus.RUNNING


@pytest.mark.django_db
def test_every_worker_start_reclaims(settings):
    """django-q2 sends post_spawn in each worker it starts (the cluster's start, a worker
    replacing a dead one): stale runs are reclaimed then."""
    stale = _running(beat_seconds_ago=settings.TASK_HEARTBEAT_TIMEOUT + 1, attempts=settings.Q_CLUSTER["max_attempts"])
    post_spawn.send(sender="django_q", proc_name="Process-test")
    stale.refresh_from_db()
    assert stale.status == TaskStatus.FAILED


@pytest.mark.django_db
def test_the_reclaim_is_scheduled():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="modeling: reclaim stale runs")
    assert schedule.func == "modeling.tasks.reclaim_stale_runs"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes * 60 < settings.TASK_HEARTBEAT_TIMEOUT


def _worker_of(proc):
    return f"{socket.gethostname()}:{proc.pid}"


@pytest.mark.django_db
def test_a_run_whose_process_is_gone_is_reclaimed_at_once(settings, django_capture_on_commit_callbacks):
    """django-q2 replaces a killed worker at once: the replacement's start reclaims the run the
    killed process held (same machine, process gone) without waiting for the heartbeat to time
    out. A live process, or a process of another machine, keeps its run."""
    settings.LANGUAGE_CODE = "es"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gone = _running(beat_seconds_ago=1)
        gone_last = _running(beat_seconds_ago=1, attempts=settings.Q_CLUSTER["max_attempts"])
        working = _running(beat_seconds_ago=1)
        elsewhere = _running(beat_seconds_ago=1)
        TaskRun.objects.filter(pk__in=[gone.pk, gone_last.pk]).update(worker=_worker_of(dead))
        TaskRun.objects.filter(pk=working.pk).update(worker=_worker_of(alive))
        TaskRun.objects.filter(pk=elsewhere.pk).update(worker=f"another-machine:{dead.pid}")
        with django_capture_on_commit_callbacks(execute=False) as sent:
            done = run_reclaim_stale()
    finally:
        alive.kill()
        alive.wait()
    assert done == {"requeued": [gone.pk], "failed": [gone_last.pk]}
    assert len(sent) == 1
    for run in (gone, gone_last, working, elsewhere):
        run.refresh_from_db()
    assert (gone.status, working.status, elsewhere.status) == (TaskStatus.QUEUED, TaskStatus.RUNNING,
                                                              TaskStatus.RUNNING)
    assert "ya no existe: la tarea está en cola de nuevo" in gone.log[-1] and str(dead.pid) in gone.log[-1]
    assert gone_last.status == TaskStatus.FAILED and gone_last.error.startswith("El proceso que ejecutaba esta tarea")


@pytest.mark.django_db
def test_a_claimed_run_records_its_worker():
    run = run_now(kind=TaskKind.TRAIN, params={**TRAIN_PARAMS, "target": "no_such_indicator"})
    assert run.worker == f"{socket.gethostname()}:{os.getpid()}"
