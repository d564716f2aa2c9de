"""gunicorn as deployed (gunicorn.conf.py, production settings): loopback by default, and
X-Forwarded-Proto believed only from the configured proxy addresses (audit row 15: with
DJANGO_BEHIND_TLS_PROXY a client reaching gunicorn directly could claim https)."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "healthplanner.settings", "DJANGO_SECRET_KEY": "k" * 60,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "PYTHONPATH": str(ROOT)}, **extra)
    return env


def test_the_default_bind_is_loopback():
    out = subprocess.run([str(GUNICORN), "--config", "gunicorn.conf.py", "--print-config"], cwd=ROOT,
                         env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = {line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip() for line in out.stdout.splitlines()
             if "=" in line}
    assert lines["bind"] == "['127.0.0.1:8000']"
    assert lines["forwarded_allow_ips"] == "['127.0.0.1', '::1']"


def test_bind_and_trusted_proxies_come_from_the_environment():
    out = subprocess.run([str(GUNICORN), "--config", "gunicorn.conf.py", "--print-config"], cwd=ROOT,
                         env=_env(GUNICORN_BIND="0.0.0.0:8000", GUNICORN_FORWARDED_ALLOW_IPS="10.0.0.5"),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = {line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip() for line in out.stdout.splitlines()
             if "=" in line}
    assert lines["bind"] == "['0.0.0.0:8000']"
    assert lines["forwarded_allow_ips"] == "['10.0.0.5']"


def test_django_never_reads_the_forwarded_proto_header_itself():
    """gunicorn passes X-Forwarded-Proto on from any client; only gunicorn (which checks the
    peer's address) may turn it into the request's scheme."""
    code = "from django.conf import settings; print(repr(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)))"
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT,
                         env=_env(DJANGO_BEHIND_TLS_PROXY="true"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "None"


def _status(port, headers):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/", headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        return urllib.request.build_opener(NoRedirect).open(request, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("trusted, expected", [("", 301), ("127.0.0.1", 401)])
def test_forwarded_proto_is_believed_only_from_the_proxy(trusted, expected):
    """Production settings redirect plain HTTP to HTTPS (301). A request that claims
    ``X-Forwarded-Proto: https`` is treated as HTTPS (here: the API's 401) only when it comes
    from a trusted proxy address; from anyone else it is still redirected."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=_env(GUNICORN_FORWARDED_ALLOW_IPS=trusted, DJANGO_BEHIND_TLS_PROXY="true"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()[-2000:]
                time.sleep(0.3)
        assert _status(port, {}) == 301
        assert _status(port, {"X-Forwarded-Proto": "https"}) == expected
    finally:
        server.terminate()
        server.wait(timeout=30)
