"""Audit row 5 under load, on loopback: one token, many connections, two gunicorn workers.

Each worker used to count in its own memory, so a token got its rate once per worker. With
the shared cache (Redis) the workers count together: the token gets about one rate in all.
Bounded: a few hundred requests, well under 30 seconds."""
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from healthplanner.tokens import api_token_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
RATE = 25
REQUESTS = 150
CONNECTIONS = 32


def _database_url():
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _get(port, key):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/indicators/?page_size=1",
                                     headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After")


def test_one_token_gets_one_rate_across_two_gunicorn_workers(tmp_path, editor):
    if "postgresql" not in connection.settings_dict["ENGINE"]:
        pytest.skip("gunicorn's workers need a database server they can share (PostgreSQL)")
    key = api_token_create(user=editor).key
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "DJANGO_", "API_THROTTLE"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "healthplanner.test_settings", "PYTHONPATH": str(ROOT),
        "DATABASE_URL": _database_url(), "API_THROTTLE_USER": f"{RATE}/minute",
        # A fresh key prefix: this run's counts only.
        "CACHE_KEY_PREFIX": f"hp-load-{os.getpid()}-{secrets.token_hex(4)}",
    })
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        # --preload: the app is loaded once, before the fork, so both workers are ready at once.
        [str(GUNICORN), "--config", "gunicorn.conf.py", "--workers", "2", "--threads", "2", "--preload",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        boot = time.monotonic()
        deadline = boot + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()[-3000:]
                time.sleep(0.3)
        started = time.monotonic()
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            results = list(pool.map(lambda _i: _get(port, key), range(REQUESTS)))
        elapsed = time.monotonic() - started
        print(f"boot {started - boot:.1f} s, load {elapsed:.1f} s")
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = Counter(status for status, _retry in results)
    assert set(statuses) <= {200, 429}, statuses
    assert all(retry and int(retry) > 0 for status, retry in results if status == 429)
    # Both workers answered, each about half the requests (else this would prove nothing) …
    text = log.read_text()
    lines = [m.groups() for m in re.finditer(r"^<(\d+)> (\d{3})$", text, re.M)]
    assert len(lines) == REQUESTS, text[-2000:]
    by_worker = Counter(pid for pid, _status in lines)
    assert len(by_worker) == 2 and min(by_worker.values()) >= RATE, by_worker
    allowed_by_worker = Counter(pid for pid, status in lines if status == "200")
    print(statuses, by_worker, allowed_by_worker)
    # … and together they allowed the token about one rate: not one rate each (2 x RATE).
    assert RATE <= statuses[200] <= RATE + 2, (statuses, allowed_by_worker, f"{elapsed:.1f} s")
