"""Exporting metrics: the web app's ``/metrics`` and the worker exporter (prometheus_client's
multiprocess mode), both behind a bearer token.

Prometheus sends ``Authorization: Bearer <METRICS_TOKEN>`` (``authorization`` with a
``credentials_file`` in prometheus/prometheus.yml). Without the header, or with another
token, the answer is 401; when ``METRICS_TOKEN`` is not set the metrics are not served at
all (403), so an unconfigured deployment never publishes them to anyone.
"""
import hmac
import os
from http.server import ThreadingHTTPServer
from threading import Thread

from django.http import HttpResponse
from prometheus_client import CollectorRegistry, MetricsHandler, multiprocess

MSG_NO_MULTIPROC_DIR = (
    "PROMETHEUS_MULTIPROC_DIR is not set or is not a folder: set it to an empty folder "
    "shared by the processes to export (the same value for qcluster and serve_metrics)."
)


def multiprocess_registry() -> CollectorRegistry:
    """A registry that adds up the samples every process wrote to PROMETHEUS_MULTIPROC_DIR."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if not path or not os.path.isdir(path):
        raise ValueError(MSG_NO_MULTIPROC_DIR)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)
    return registry


MSG_METRICS_DISABLED = "Metrics are not served: set METRICS_TOKEN and send it as a bearer token."
MSG_METRICS_TOKEN = "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>."
WWW_AUTHENTICATE = 'Bearer realm="metrics"'


def metrics_access(authorization: str, token: str) -> int:
    """200 when ``authorization`` is ``Bearer <token>``; 403 when no token is configured,
    401 otherwise. Compared in constant time."""
    if not token:
        return 403
    scheme, _sep, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return 401
    return 200


def metrics_view(request):
    """``/metrics`` for the web app: django-prometheus's export behind the bearer token."""
    from django.conf import settings
    from django_prometheus.exports import ExportToDjangoView

    status = metrics_access(request.headers.get("Authorization", ""), settings.METRICS_TOKEN)
    if status == 200:
        return ExportToDjangoView(request)
    response = HttpResponse(MSG_METRICS_DISABLED if status == 403 else MSG_METRICS_TOKEN, status=status,
                            content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


def _token_handler(registry, token):
    base = MetricsHandler.factory(registry)

    class TokenMetricsHandler(base):
        def do_GET(self):
            status = metrics_access(self.headers.get("Authorization", ""), token)
            if status == 200:
                return super().do_GET()
            body = (MSG_METRICS_DISABLED if status == 403 else MSG_METRICS_TOKEN).encode()
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", WWW_AUTHENTICATE)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None

    return TokenMetricsHandler


def start_multiprocess_exporter(*, port: int, token: str, address: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve the multiprocess registry at http://address:port/metrics in a daemon thread,
    to requests that carry ``Authorization: Bearer <token>``."""
    handler = _token_handler(multiprocess_registry(), token)
    server = ThreadingHTTPServer((address, port), handler)
    server.daemon_threads = True
    Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    return server


def wipe_multiprocess_dir(path: str) -> None:
    """Remove the samples of a previous run (prometheus_client requires an empty folder at
    start-up)."""
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
