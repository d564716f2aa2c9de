"""Every PromQL query of the dashboards returns data from a real Prometheus.

The test starts Debian's ``prometheus`` (its own config, derived from
prometheus/prometheus.yml with a 1 s scrape interval, its own storage folder and loopback
port), the web app under gunicorn with two workers, a django-q2 cluster and the worker
metrics exporter, all as docker-compose runs them (multiprocess metric folders included).
It sends requests (some failing on purpose), queues real modeling runs on the small demo
(a training with the tiny test configuration, a scoring, and trainings that fail on
purpose) and an import-like task, then runs each dashboard query through Prometheus's
HTTP API.
"""
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from django.db import connection

from tests import grafana_support as gs

PROMETHEUS = shutil.which("prometheus")
SCRAPE_MS = 1000

if PROMETHEUS is None and os.environ.get("CI") == "true":
    raise RuntimeError("CI=true but the prometheus binary is missing: apt-get install -y prometheus")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PROMETHEUS is None, reason="the prometheus binary is absent: "
                       "apt-get install -y prometheus to run the PromQL tests"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the web app and "
                       "the worker run in their own processes and need a shared database server"),
]

PROM_TARGETS = gs.all_targets(gs.PROM_TYPES)
METRICS_TOKEN = "prometheus-test-token-0123456789abcdef"
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
        return response.status, response.read()


def _status(url, headers=None):
    try:
        return _get(url, headers=headers)[0]
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _wait_for(check, what, timeout=60, logs=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    details = ""
    for path in logs or []:
        if os.path.exists(path):
            details += f"\n--- {path}\n" + open(path, errors="replace").read()[-3000:]
    raise AssertionError(f"timed out waiting for {what}{details}")


def _database_url():
    cfg = connection.settings_dict
    password = f":{urllib.parse.quote(cfg['PASSWORD'])}" if cfg["PASSWORD"] else ""
    return (f"postgres://{cfg['USER']}{password}@{cfg['HOST'] or '127.0.0.1'}:"
            f"{cfg['PORT'] or 5432}/{cfg['NAME']}")


class Stack:
    """The processes this test started, stopped by their own process groups."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.procs = []

    def start(self, name, argv, env):
        log = open(self.tmp / f"{name}.log", "w")
        proc = subprocess.Popen(argv, cwd=gs.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((name, proc, log))
        return str(self.tmp / f"{name}.log")

    def stop(self):
        # SIGTERM to each leader lets it stop its own children in order (qcluster, gunicorn);
        # whatever is left in the group afterwards is killed.
        for _name, proc, _log in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc, log in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
            log.close()


def _prometheus_config(path, web_port, worker_port, prom_port, token_file):
    """The committed prometheus.yml, pointed at this test's ports and token file and scraping
    every second."""
    config = yaml.safe_load(gs.PROMETHEUS_CONFIG.read_text())
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    addresses = {"healthplanner-web": f"127.0.0.1:{web_port}",
                 "healthplanner-worker": f"127.0.0.1:{worker_port}",
                 "prometheus": f"127.0.0.1:{prom_port}"}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [addresses[job["job_name"]]]}]
        if job["job_name"].startswith("healthplanner-"):
            assert job["authorization"] == {"type": "Bearer", "credentials_file": "/run/secrets/metrics_token"}
            job["authorization"]["credentials_file"] = str(token_file)
    path.write_text(yaml.safe_dump(config))


class PromAPI:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, endpoint, **params):
        query = urllib.parse.urlencode(params, doseq=True)
        status, body = _get(f"{self.base}/api/v1/{endpoint}?{query}", timeout=10)
        payload = json.loads(body)
        assert payload["status"] == "success", payload
        return payload["data"]

    def instant(self, expr, at=None):
        return self.call("query", query=expr, **({"time": at.timestamp()} if at else {}))["result"]


def _queue(func, *args):
    from django_q.tasks import async_task

    return async_task(func, *args, sync=False)


@pytest.fixture
def stack(tmp_path, transactional_db):
    web_port, worker_port, prom_port = _free_port(), _free_port(), _free_port()
    web_dir, worker_dir, tsdb = tmp_path / "web-metrics", tmp_path / "worker-metrics", tmp_path / "tsdb"
    for folder in (web_dir, worker_dir, tsdb):
        folder.mkdir()
    base_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.grafana_live_settings",
                "DATABASE_URL": _database_url(), "PYTHONPATH": str(gs.ROOT), "METRICS_TOKEN": METRICS_TOKEN}
    base_env.pop("DJANGO_DEBUG", None)
    stack = Stack(tmp_path)
    bin_dir = os.path.dirname(sys.executable)
    try:
        web_log = stack.start("gunicorn", [os.path.join(bin_dir, "gunicorn"), "--config", "gunicorn.conf.py",
                                           "--bind", f"127.0.0.1:{web_port}", "--workers", "2"],
                              {**base_env, "PROMETHEUS_MULTIPROC_DIR": str(web_dir)})
        worker_env = {**base_env, "PROMETHEUS_MULTIPROC_DIR": str(worker_dir)}
        q_log = stack.start("qcluster", [sys.executable, "manage.py", "qcluster"], worker_env)
        exporter_log = stack.start("serve_metrics", [sys.executable, "manage.py", "serve_metrics",
                                                     "--port", str(worker_port), "--address", "127.0.0.1"],
                                   worker_env)
        config, token_file = tmp_path / "prometheus.yml", tmp_path / "metrics_token"
        token_file.write_text(METRICS_TOKEN + "\n")
        _prometheus_config(config, web_port, worker_port, prom_port, token_file)
        prom_log = stack.start("prometheus", [PROMETHEUS, f"--config.file={config}",
                                              f"--storage.tsdb.path={tsdb}",
                                              f"--web.listen-address=127.0.0.1:{prom_port}"], base_env)
        logs = [web_log, q_log, exporter_log, prom_log]
        _wait_for(lambda: _status(f"http://127.0.0.1:{web_port}/metrics", SCRAPE) == 200, "the web app", logs=logs)
        _wait_for(lambda: _status(f"http://127.0.0.1:{worker_port}/metrics", SCRAPE) == 200, "the worker exporter",
                  logs=logs)
        # Without the token neither exporter answers (audit row 11).
        assert _status(f"http://127.0.0.1:{web_port}/metrics") == 401
        assert _status(f"http://127.0.0.1:{worker_port}/metrics") == 401
        _wait_for(lambda: _status(f"http://127.0.0.1:{prom_port}/-/ready") == 200, "prometheus", logs=logs)
        yield {"web": f"http://127.0.0.1:{web_port}", "worker": f"http://127.0.0.1:{worker_port}",
               "prom": PromAPI(prom_port), "logs": logs, "web_dir": web_dir}
    finally:
        stack.stop()


def _traffic(web):
    for _ in range(5):
        assert _status(f"{web}/admin/login/") == 200
        assert _status(f"{web}/no-such-page/") == 404
        assert _status(f"{web}/_test/fail/") == 500
    assert _status(f"{web}/admin/") == 200  # redirected to the login page


def _failing_training():
    """A training the worker records as failed (the target does not exist)."""
    from modeling.services.runs import run_enqueue
    from tests.modeling_helpers import TRAIN_PARAMS

    return run_enqueue(kind="train", params={**TRAIN_PARAMS, "target": "no_such_indicator"})


def _worker_shows(worker, *fragments):
    body = _get(f"{worker}/metrics", headers=SCRAPE)[1]
    return all(fragment in body for fragment in fragments)


def _prom_variables(api, dashboard, start, end):
    values = {}
    for variable in dashboard["templating"]["list"]:
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        assert query.startswith("label_values("), query
        inner = query[len("label_values("):-1]
        selector, _, label = inner.rpartition(",")
        params = {"start": start.timestamp(), "end": end.timestamp()}
        if selector:
            params["match[]"] = gs.replace_variables(selector.strip(), values, gs.prom_interpolate)
        options = api.call(f"label/{label.strip()}/values", **params)
        assert options, f"variable {variable['name']} offers nothing"
        values[variable["name"]] = gs.choose_value(variable, options)
    return values


def test_every_promql_target_returns_series_from_a_real_prometheus(stack, monkeypatch):
    from django_q.conf import Conf

    api, web = stack["prom"], stack["web"]
    # The test settings run tasks inline; here run_enqueue must hand them to the worker.
    monkeypatch.setattr(Conf, "SYNC", False)
    # gunicorn runs two workers; /metrics adds up the samples every worker wrote to its own
    # file in the multiprocess folder.
    for _ in range(40):
        assert _status(f"{web}/admin/login/") == 200
    body = _get(f"{web}/metrics", headers=SCRAPE)[1].decode()
    lines = [line for line in body.splitlines()
             if line.startswith("django_http_requests_total_by_view_transport_method_total{")
             and 'view="admin:login"' in line]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in lines) >= 40, body[:2000]
    assert [f for f in os.listdir(stack["web_dir"]) if f.startswith("counter_") and f.endswith(".db")]
    _traffic(web)
    # Round 1: a real training of the tiny configuration on the small demo, through the
    # worker (which imports TensorFlow itself), a training that fails, an import.
    from interventions.seed.demo import seed_demo
    from modeling.models import TaskRun, TaskStatus
    from modeling.services.runs import run_enqueue
    from tests.modeling_helpers import TRAIN_PARAMS

    seed_demo(seed=7, departments=3)
    train = run_enqueue(kind="train", params=TRAIN_PARAMS)
    _failing_training()
    _queue("tests.grafana_tasks.import_like", "synthetic-demo", 120, 3)
    # The worker ran them and its exporter shows them, added up across processes.
    _wait_for(lambda: _worker_shows(stack["worker"],
                                    b'healthplanner_import_rows_total{outcome="written",source="synthetic-demo"} 120.0',
                                    b'healthplanner_task_runs_total{status="success",task="train_model"} 1.0',
                                    b'healthplanner_task_runs_total{status="failure",task="train_model"} 1.0'),
              "the worker's task metrics", timeout=300, logs=stack["logs"])
    train.refresh_from_db()
    assert train.status == TaskStatus.SUCCEEDED, train.error
    version = train.model_version
    _wait_for(lambda: api.instant(f"healthplanner_model_version == {version.pk}"),
              "prometheus to scrape the worker", logs=stack["logs"])
    (mae,) = api.instant('healthplanner_model_mae{target="stunting_u5_pct",level="district"}')
    assert float(mae["value"][1]) == version.metrics["wmae"]
    assert "version" not in mae["metric"]  # one series per target and level, not per version
    _wait_for(lambda: api.instant('django_http_responses_total_by_status_total{status="500"}'),
              "prometheus to scrape the web app", logs=stack["logs"])
    # Round 2, so counters increase between scrapes: score the new version, fail a
    # training again (failed trainings are timed too), import again; then let rates settle.
    time.sleep(2)
    _traffic(web)
    score = run_enqueue(kind="score", model_version=version)
    _failing_training()
    _queue("tests.grafana_tasks.import_like", "synthetic-demo", 240, 3)
    _wait_for(lambda: api.instant('healthplanner_task_runs_total{task="score_communities",status="success"}')
              and api.instant("sum(healthplanner_training_seconds_count) >= 3")
              and api.instant('healthplanner_import_rows_total{outcome="written"} >= 360'),
              "the second round of tasks", timeout=120, logs=stack["logs"])
    score.refresh_from_db()
    assert score.status == TaskStatus.SUCCEEDED, score.error
    assert TaskRun.objects.filter(status=TaskStatus.FAILED).count() == 2
    time.sleep(5)

    end = datetime.now(UTC)
    time_range = gs.TimeRange(end - timedelta(minutes=5), end)
    failures = []
    checked = 0
    for name, dashboard in gs.load_dashboards().items():
        targets = [t for t in PROM_TARGETS if t.dashboard_file == name]
        if not targets:
            continue
        variables = _prom_variables(api, dashboard, time_range.start, time_range.end)
        for target in targets:
            interval = gs.panel_interval_ms(target.panel, time_range, "1s")
            expr = gs.expand_promql(target.target["expr"], variables, time_range, interval, SCRAPE_MS)
            assert "$" not in expr, expr
            if target.target.get("instant"):
                result = api.instant(expr, at=time_range.end)
                values = [float(s["value"][1]) for s in result]
            else:
                data = api.call("query_range", query=expr, start=time_range.start.timestamp(),
                                end=time_range.end.timestamp(), step=max(interval / 1000, 1))
                result = data["result"]
                values = [float(v[1]) for s in result for v in s["values"]]
            checked += 1
            if not result:
                failures.append(f"{target.id}: no series for {expr}")
            elif not any(math.isfinite(v) for v in values):
                failures.append(f"{target.id}: only NaN/Inf values for {expr}")
    assert checked == len(PROM_TARGETS)
    assert not failures, "\n".join(failures)
