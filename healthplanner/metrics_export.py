"""Exporting metrics from several processes (prometheus_client's multiprocess mode)."""
import os
from http.server import ThreadingHTTPServer
from threading import Thread

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


def start_multiprocess_exporter(*, port: int, address: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Serve the multiprocess registry at http://address:port/metrics in a daemon thread."""
    handler = MetricsHandler.factory(multiprocess_registry())
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
