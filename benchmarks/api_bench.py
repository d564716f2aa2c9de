#!/usr/bin/env python
"""Load the API with wrk and compare it with the floor, in one run.

Serves the project with gunicorn under production settings (debug off, a real secret
key, PostgreSQL with the demo data), then drives each target with wrk at 32 concurrent
connections for 30 s and prints requests/s, p50/p95/p99 and errors. The floor is the
same query served by a minimal Django view returning ``json.dumps`` of ``.values()``
(benchmarks/bench_urls.py); the aim is at least half the floor's throughput and zero
errors. ``scores`` is measured the same way against its own floor (the active version's
scores, highest priority first); the setup trains and scores a quick model when none is
active.

    .venv/bin/python benchmarks/api_bench.py            # needs wrk (apt-get install -y wrk)
    .venv/bin/python benchmarks/api_bench.py --duration 10 --departments 5

It is a script, not a timed test.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SETUP = """
import django, json
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from healthplanner.tokens import api_token_create
from interventions import roles
from interventions.models import IndicatorValue
from interventions.seed.demo import seed_demo
summary = seed_demo(seed=2017, departments={departments})
user, _ = get_user_model().objects.get_or_create(username="bench-analyst")
user.groups.add(Group.objects.get(name=roles.ANALYSTS))
key = api_token_create(user=user).key
from modeling.models import CommunityScore, ModelStatus, ModelVersion
from modeling.services.runs import run_now
if not ModelVersion.objects.filter(status=ModelStatus.ACTIVE, target__code="stunting_u5_pct").exists():
    # A quick model (the fast configuration) so that the scores list has rows to serve.
    train = run_now(kind="train", params={{"target": "stunting_u5_pct", "level": "district", "year": 2022,
                                           "fast": True, "n_splits": 3}})
    assert train.status == "succeeded", train.error
version = ModelVersion.objects.get(status=ModelStatus.ACTIVE, target__code="stunting_u5_pct")
if not CommunityScore.objects.filter(version=version).exists():
    score = run_now(kind="score", model_version=version)
    assert score.status == "succeeded", score.error
print(json.dumps({{"token": key, "values": IndicatorValue.objects.count(), "changed": summary.changed,
                  "scores": CommunityScore.objects.filter(version=version).count()}}))
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hp_api_bench"))
    parser.add_argument("--departments", type=int, default=0, help="0: all 25 departments")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30, help="seconds per target")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--page-size", type=int, default=100)
    return parser.parse_args()


def ensure_database(url):
    import environ
    import psycopg2

    cfg = environ.Env.db_url_config(url)
    conn = psycopg2.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432,
                            user=cfg["USER"] or "postgres", password=cfg["PASSWORD"] or None, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def production_env(args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on the loopback: no TLS proxy in front of this run.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": args.database_url,
        # The load is the point here, not the throttle (it stays on, with a high rate).
        "API_THROTTLE_USER": "10000000/minute",
        "API_THROTTLE_ANON": "10000000/minute",
        "PYTHONPATH": str(ROOT),
    })
    return env


def wait_until_up(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {url} within {timeout} s")


def status_of(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, 0


def run_wrk(args, url, headers):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s",
           "-s", str(Path(__file__).with_name("stats.lua"))]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    env = production_env(args)
    ensure_database(args.database_url)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    print("==> seeding the demo data (idempotent; the first time takes a while)", flush=True)
    setup = subprocess.run([PYTHON, "-c", SETUP.format(departments=args.departments or None)],
                           cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    info = json.loads(setup.stdout.strip().splitlines()[-1])
    auth = {"Authorization": f"Token {info['token']}"}

    base = f"http://127.0.0.1:{args.port}"
    query = f"indicator=stunting_u5_pct&year=2020&page_size={args.page_size}"
    targets = [
        ("floor: json.dumps(.values())", f"{base}/bench/floor/indicator-values/?{query}", {}),
        ("API indicator-values", f"{base}/api/v1/indicator-values/?{query}", auth),
        ("API indicator-values (wide)",
         f"{base}/api/v1/indicator-values/?year=2020&layout=wide&page_size={args.page_size}", auth),
        ("floor: scores .values()", f"{base}/bench/floor/scores/?page_size={args.page_size}", {}),
        ("API scores", f"{base}/api/v1/scores/?page_size={args.page_size}", auth),
    ]
    gunicorn = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "healthplanner.wsgi:application", "--workers", str(args.workers),
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    results = []
    try:
        wait_until_up(f"{base}/api/schema/")
        for name, url, headers in targets:
            status, size = status_of(url, headers)
            if status != 200:
                raise SystemExit(f"{name}: {url} answered {status}")
            for _ in range(20):  # warm the workers' connections and caches
                status_of(url, headers)
            print(f"--> {name}: {args.connections} connections, {args.duration} s ({size} bytes per response)",
                  flush=True)
            results.append((name, size, run_wrk(args, url, headers)))
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)

    print()
    print(f"{info['values']} indicator values, {info['scores']} scores; "
          f"gunicorn {args.workers} sync workers; wrk {args.threads} threads, "
          f"{args.connections} connections, {args.duration} s per target; page size {args.page_size}; "
          f"{os.cpu_count()} CPUs shared by server, database and load generator")
    floors = {"indicator-values": None, "scores": None}
    header = (f"{'target':32} {'req/s':>8} {'vs floor':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'errors':>7} {'bytes':>7}")
    print(header)
    print("-" * len(header))
    for name, size, r in results:
        errors = sum(r[k] for k in r if k.startswith("errors_"))
        kind = "scores" if "scores" in name else "indicator-values"
        if name.startswith("floor"):
            floors[kind] = r["rps"]
        floor_rps = floors[kind]
        ratio = f"{r['rps'] / floor_rps:.2f}" if floor_rps else "-"
        print(f"{name:32} {r['rps']:8.1f} {ratio:>8} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f} "
              f"{errors:7d} {size:7d}")
    print(json.dumps({name: r for name, _, r in results}))


if __name__ == "__main__":
    main()
