"""Task runs: every train, score and plan job is recorded in a TaskRun row, queued for
the django-q2 worker with ``transaction.on_commit`` (the worker never reads a row that is
not committed), and executed by ``run_execute``, which the task wrapper calls.

``run_execute`` also feeds the Prometheus metrics the *Modelos y operación* dashboard
reads (``healthplanner/metrics.py``): one ``healthplanner_task_runs_total`` count per run,
the duration of every training (failed ones too) and the new version's MAE.

Supervision: while a run works it writes ``heartbeat_at`` (every log line, and a thread every
``TASK_HEARTBEAT_SECONDS``). ``run_reclaim_stale`` queues again (or, out of attempts, marks
failed) a running run whose heartbeat is older than ``TASK_HEARTBEAT_TIMEOUT``: its worker was
killed. A run also records its worker (``host:pid``): a worker starting on the same machine
reclaims at once a run whose process is gone (django-q2 replaces a killed worker at once, long
before the heartbeat times out). See docs/operations.md."""
import logging
import os
import socket
import threading
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from healthplanner import metrics
from healthplanner.i18n import localize, render

from .. import keras_model
from ..messages import LOG_ATTEMPT, LOG_ATTEMPT_AGAIN, LOG_FAILED
from ..models import ModelStatus, ModelVersion, Plan, TaskKind, TaskRun, TaskStatus

__all__ = ["pipeline_enqueue", "run_enqueue", "run_execute", "run_now", "run_reclaim_stale", "scheduled_train",
           "scheduled_score"]

logger = logging.getLogger(__name__)

TASK_PATH = "modeling.tasks.execute_run"
MSG_UNKNOWN_KIND = _("Unknown task kind “%(kind)s”.")
MSG_STALE = _(
    "The worker running this task stopped without finishing it (no heartbeat for %(seconds)s seconds: "
    "it was killed or its machine stopped), %(attempts)s times. Nothing it was computing was kept: "
    "start the task again."
)
MSG_REQUEUED = _("The worker of attempt %(attempts)s stopped (no heartbeat for %(seconds)s seconds): queued again.")
MSG_GONE_REQUEUED = _("The worker of attempt %(attempts)s (process %(worker)s) is gone: queued again.")
MSG_GONE = _(
    "The worker running this task (process %(worker)s) stopped without finishing it, %(attempts)s times. Nothing "
    "it was computing was kept: start the task again."
)
# The ``task`` label of healthplanner_task_runs_total for each kind of run.
TASK_METRIC_NAMES = {TaskKind.TRAIN: "train_model", TaskKind.SCORE: "score_communities", TaskKind.PLAN: "compute_plan"}


@transaction.atomic
def run_create(*, kind: str, params: dict | None = None, user=None, model_version=None, plan=None) -> TaskRun:
    run = TaskRun(kind=kind, params=params or {}, user=user, model_version=model_version, plan=plan)
    run.full_clean()
    run.save()
    return run


@transaction.atomic
def run_enqueue(*, kind: str, params: dict | None = None, user=None, model_version=None, plan=None) -> TaskRun:
    """Record a run and hand it to the worker once this transaction commits."""
    run = run_create(kind=kind, params=params, user=user, model_version=model_version, plan=plan)
    _send_on_commit(run)
    return run


def _send_on_commit(run, *, again=False):
    from django_q.tasks import async_task

    def send():
        task_id = async_task(TASK_PATH, run.pk, task_name=f"{run.kind}-run-{run.pk}" + ("-again" if again else ""),
                             group=f"modeling-{run.kind}")
        TaskRun.objects.filter(pk=run.pk, **({} if again else {"task_id": ""})).update(
            task_id=str(task_id or "")[:64])

    transaction.on_commit(send)


def run_now(*, kind: str, params: dict | None = None, user=None, model_version=None, plan=None,
            echo=None) -> TaskRun:
    """Record a run and execute it in this process (management commands); ``echo``, if
    given, receives every log line as it is written (progress on a terminal)."""
    run = run_create(kind=kind, params=params, user=user, model_version=model_version, plan=plan)
    run_execute(run_id=run.pk, echo=echo)
    run.refresh_from_db()
    return run


def _stamp() -> str:
    """A log line's time in the site's time zone (America/Lima), as the admin shows times."""
    return f"{timezone.localtime():%H:%M:%S}"


def _heartbeat_fresh(run, now):
    return run.heartbeat_at is not None and run.heartbeat_at >= now - timedelta(seconds=settings.TASK_HEARTBEAT_TIMEOUT)


def _claim(run_id):
    """Mark the run as running; returns None when it already finished (a retried task
    whose first attempt completed must not run a second time) or when another process is
    still working on it (a running run with a fresh heartbeat)."""
    with transaction.atomic():
        run = TaskRun.objects.select_for_update().get(pk=run_id)
        now = timezone.now()
        if run.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED):
            return None
        if run.status == TaskStatus.RUNNING and _heartbeat_fresh(run, now):
            return None
        run.status = TaskStatus.RUNNING
        run.attempts += 1
        run.started_at = now
        run.heartbeat_at = now
        run.worker = _this_worker()
        message = LOG_ATTEMPT_AGAIN if run.attempts > 1 else LOG_ATTEMPT
        note = f"{_stamp()} " + render(message, {"attempt": run.attempts, "pid": os.getpid()})
        run.log = [*run.log, note]
        run.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "worker", "log"])
        return run


def _this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:160]


def _process_gone(worker: str) -> bool:
    """Whether ``worker`` (``host:pid``) names a process of this machine that no longer
    exists. A process of another machine, or one that exists, is not known to be gone."""
    host, _sep, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


class _Heartbeat:
    """A daemon thread that writes the run's ``heartbeat_at`` every ``every`` seconds while
    the run works (a long Keras fit logs nothing for minutes). It uses, then closes, its own
    database connection."""

    def __init__(self, run_id, every):
        self.run_id, self.every, self.stop = run_id, every, threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-run-{run_id}", daemon=True)

    def _beat(self):
        try:
            while not self.stop.wait(self.every):
                try:
                    TaskRun.objects.filter(pk=self.run_id, status=TaskStatus.RUNNING).update(
                        heartbeat_at=timezone.now())
                except Exception:  # noqa: BLE001 - a missed beat must not break the run; the next one retries
                    logger.warning("heartbeat of run %s failed", self.run_id, exc_info=True)
                    connections.close_all()
        finally:
            connections.close_all()  # this thread's connections only

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def _train(run, log):
    params = run.params
    base = keras_model.default_config(params.get("target"), fast=bool(params.get("fast")))
    config = keras_model.TrainConfig.from_dict({**base.as_dict(), **(params.get("config") or {})})
    from .training import model_version_train

    with metrics.TRAINING_SECONDS.time():  # failed runs are timed too
        version = model_version_train(
            target=params["target"], level=params.get("level", "district"), target_year=int(params["year"]),
            features=params.get("features"),
            feature_years=tuple(params["feature_years"]) if params.get("feature_years") else None,
            min_sample_size=params.get("min_sample_size"), config=config, n_splits=int(params.get("n_splits", 5)),
            inputs=params.get("inputs"), designs=params.get("designs") or None,
            user=run.user, log=log,
        )
    run.model_version = version
    if version.wmae is not None:
        metrics.set_model_mae(target=version.target.code, level=version.level, version=version.pk, mae=version.wmae)


def _score(run, log):
    from .scoring import score_active, score_version

    if run.model_version_id:
        score_version(version=run.model_version, year=run.params.get("year"), log=log)
    else:
        score_active(log=log)


def _plan(run, log):
    from .planning import plan_compute

    plan_compute(plan=run.plan, log=log)


HANDLERS = {TaskKind.TRAIN: _train, TaskKind.SCORE: _score, TaskKind.PLAN: _plan}


def run_execute(*, run_id: int, echo=None) -> str:
    """Execute a run; its status, times, log and error are saved whatever happens.
    Returns the final status. Errors are recorded, not re-raised: retrying a failed
    training would only fail again and hold the worker."""
    run = _claim(run_id)
    if run is None:
        return TaskRun.objects.get(pk=run_id).status
    lines = list(run.log)

    def log(line):
        now = timezone.now()
        lines.append(f"{_stamp()} {line}")
        TaskRun.objects.filter(pk=run.pk).update(log=lines, heartbeat_at=now)
        if echo is not None:
            echo(localize(line))

    handler = HANDLERS.get(run.kind)
    try:
        if handler is None:
            raise ValueError(MSG_UNKNOWN_KIND % {"kind": run.kind})
        with _Heartbeat(run.pk, settings.TASK_HEARTBEAT_SECONDS):
            handler(run, log)
    except Exception as exc:  # recorded on the run, shown in the admin
        run.status = TaskStatus.FAILED
        run.error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"
        lines.append(f"{_stamp()} " + render(LOG_FAILED, {"error": f"{type(exc).__name__}: {exc}"}))
        if run.kind == TaskKind.PLAN and run.plan_id:
            Plan.objects.filter(pk=run.plan_id).update(status="failed")
    else:
        run.status = TaskStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.log = lines
    run.save(update_fields=["status", "error", "finished_at", "log", "model_version"])
    metrics.record_task_run(
        TASK_METRIC_NAMES.get(run.kind, run.kind),
        metrics.SUCCESS if run.status == TaskStatus.SUCCEEDED else metrics.FAILURE,
    )
    if run.status == TaskStatus.SUCCEEDED and run.params.get("then"):
        _enqueue_next(run)
    return run.status


def run_reclaim_stale(*, timeout: int | None = None) -> dict[str, list[int]]:
    """Reclaim every running run whose heartbeat is older than ``timeout`` seconds (default
    ``TASK_HEARTBEAT_TIMEOUT``), or whose worker was a process of this machine that is gone:
    its worker was killed, or its machine stopped. A run that
    has attempts left (``Q_MAX_ATTEMPTS``) is queued again; the others are marked failed
    with the reason in the product's language (a plan's run fails its plan too). Called by
    the scheduled task ``modeling.tasks.reclaim_stale_runs`` and whenever a django-q2 worker
    starts. Returns ``{"requeued": [ids], "failed": [ids]}``."""
    timeout = settings.TASK_HEARTBEAT_TIMEOUT if timeout is None else int(timeout)
    max_attempts = max(int(settings.Q_CLUSTER.get("max_attempts") or 1), 1)
    now = timezone.now()
    limit = now - timedelta(seconds=timeout)
    done = {"requeued": [], "failed": []}
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        timed_out = Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)
        candidates = (TaskRun.objects.select_for_update(skip_locked=True)
                      .filter(status=TaskStatus.RUNNING)
                      .filter(timed_out | Q(worker__startswith=f"{socket.gethostname()}:")))
        stale = []  # (run, whether its process is known to be gone rather than silent)
        for run in candidates:
            beat = run.heartbeat_at or run.started_at
            if beat is not None and beat < limit:
                stale.append((run, False))
            elif _process_gone(run.worker):
                stale.append((run, True))
        for run, gone in stale:
            if run.attempts < max_attempts:
                if gone:
                    note = str(MSG_GONE_REQUEUED % {"attempts": run.attempts, "worker": run.worker})
                else:
                    note = str(MSG_REQUEUED % {"attempts": run.attempts, "seconds": timeout})
                run.status = TaskStatus.QUEUED
                run.log = [*run.log, f"{_stamp()} {note}"]
                run.save(update_fields=["status", "log"])
                _send_on_commit(run, again=True)
                done["requeued"].append(run.pk)
                continue
            if gone:
                reason = str(MSG_GONE % {"worker": run.worker, "attempts": run.attempts})
            else:
                reason = str(MSG_STALE % {"seconds": timeout, "attempts": run.attempts})
            run.status = TaskStatus.FAILED
            run.error = reason
            run.finished_at = now
            run.log = [*run.log, f"{_stamp()} {reason}"]
            run.save(update_fields=["status", "error", "finished_at", "log"])
            if run.kind == TaskKind.PLAN and run.plan_id:
                Plan.objects.filter(pk=run.plan_id).update(status="failed")
            metrics.record_task_run(TASK_METRIC_NAMES.get(run.kind, run.kind), metrics.FAILURE)
            done["failed"].append(run.pk)
    for outcome, ids in done.items():
        if ids:
            logger.warning("runs %s without a heartbeat for %s seconds: %s", ids, timeout, outcome)
    return done


def _enqueue_next(run):
    """A pipeline: after a successful run, queue the next step (train → score → plan)."""
    step, *rest = run.params["then"]
    target = run.model_version.target if run.model_version_id else None
    if step["kind"] == TaskKind.SCORE:
        version = ModelVersion.objects.filter(target=target, status=ModelStatus.ACTIVE).first() or run.model_version
        run_enqueue(kind=TaskKind.SCORE, model_version=version, user=run.user, params={"then": rest})
    elif step["kind"] == TaskKind.PLAN:
        from .planning import plan_create

        plan = plan_create(budget_pen=step["budget"], target=target.code, name=step.get("name", ""), user=run.user)
        run_enqueue(kind=TaskKind.PLAN, plan=plan, user=run.user, params={"then": rest})


def pipeline_enqueue(*, target: str, level: str, year: int, budget_pen, fast: bool = False, user=None) -> TaskRun:
    """Queue train → score → plan for the worker (the demo's whole job)."""
    return run_enqueue(kind=TaskKind.TRAIN, user=user, params={
        "target": target, "level": level, "year": year, "fast": fast,
        # The plan gets no stored name: it is shown by its target and budget in the reader's language
        # (Plan.display_name).
        "then": [{"kind": TaskKind.SCORE}, {"kind": TaskKind.PLAN, "budget": str(budget_pen)}],
    })


def _latest_year(target, level):
    from django.db.models import Max

    from interventions.models import IndicatorValue

    return IndicatorValue.objects.filter(indicator__code=target, community__level=level).aggregate(y=Max("year"))["y"]


def scheduled_train(*, default_target="stunting_u5_pct", level="district") -> list[int]:
    """Weekly: retrain every active model on the latest year of its target (or the
    default target when none is active yet). Returns the queued run ids."""
    jobs = {(v.target.code, v.level): v.hyperparameters for v in ModelVersion.objects.filter(
        status=ModelStatus.ACTIVE).select_related("target")}
    if not jobs:
        jobs = {(default_target, level): {}}
    ids = []
    for (target, lvl), hyper in sorted(jobs.items()):
        year = _latest_year(target, lvl)
        if year is None:
            continue
        params = {"target": target, "level": lvl, "year": year,
                  "feature_years": hyper.get("feature_years"), "min_sample_size": hyper.get("min_sample_size")}
        ids.append(run_enqueue(kind=TaskKind.TRAIN, params=params).pk)
    return ids


def scheduled_score() -> list[int]:
    """Nightly: rescore every active version."""
    return [run_enqueue(kind=TaskKind.SCORE, model_version=v).pk
            for v in ModelVersion.objects.filter(status=ModelStatus.ACTIVE)]


__all__ += ["run_create", "TASK_METRIC_NAMES"]
