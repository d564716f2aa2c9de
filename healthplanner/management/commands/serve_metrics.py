"""Serve, on its own port, the Prometheus metrics of every process that shares
PROMETHEUS_MULTIPROC_DIR: run it beside ``manage.py qcluster`` so Prometheus can scrape
the django-q2 workers (which are forked and serve no HTTP themselves). Like the web app's
``/metrics``, it answers only requests with ``Authorization: Bearer <METRICS_TOKEN>``."""
import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from healthplanner.metrics_export import start_multiprocess_exporter


class Command(BaseCommand):
    help = (
        "Serve the metrics of all processes sharing PROMETHEUS_MULTIPROC_DIR (the django-q2 "
        "workers) on --port, for Prometheus."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("WORKER_METRICS_PORT", 9101)),
                            help="port to listen on (default $WORKER_METRICS_PORT or 9101)")
        parser.add_argument("--address", default=os.environ.get("WORKER_METRICS_ADDRESS", "127.0.0.1"),
                            help="address to listen on (default $WORKER_METRICS_ADDRESS or 127.0.0.1)")

    def handle(self, *args, port, address, **options):
        try:
            server = start_multiprocess_exporter(port=port, address=address, token=settings.METRICS_TOKEN)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Serving worker metrics on http://{address}:{port}/metrics")
        self.stdout.flush()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        server.shutdown()
