"""gunicorn settings for the web app (gunicorn reads ./gunicorn.conf.py by default).

Values come from the environment so docker-compose and the tests share this file.
With several workers, set PROMETHEUS_MULTIPROC_DIR so /metrics adds up every worker's
samples (prometheus_client multiprocess mode, as django-prometheus documents).
"""
import os

# Loopback unless told otherwise: a reverse proxy (TLS) on the same host talks to gunicorn;
# docker-compose sets GUNICORN_BIND=0.0.0.0:8000 inside its network.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# X-Forwarded-Proto (and -For) are believed only from these addresses (the TLS proxy):
# gunicorn then sets the request's scheme, which is what Django's request.is_secure() reads.
# A client reaching gunicorn directly cannot claim https.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = "-"
wsgi_app = "healthplanner.wsgi:application"


def on_starting(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        from healthplanner.metrics_export import wipe_multiprocess_dir

        os.makedirs(path, exist_ok=True)
        wipe_multiprocess_dir(path)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
