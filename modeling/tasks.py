"""django-q2 tasks: thin wrappers over the services. Nothing heavy is imported here, so
the qcluster parent never touches TensorFlow; each worker loads it on first use."""


def execute_run(run_id):
    from .services.runs import run_execute

    return run_execute(run_id=run_id)


def weekly_train():
    from .services.runs import scheduled_train

    return scheduled_train()


def nightly_score():
    from .services.runs import scheduled_score

    return scheduled_score()


def reclaim_stale_runs():
    """Scheduled (every two minutes, migration 0011): fail the runs whose worker died."""
    from .services.runs import run_reclaim_stale

    return run_reclaim_stale()


def reclaim_at_worker_start(sender=None, proc_name=None, **kwargs):
    """django-q2's ``post_spawn`` signal, in every worker it starts (the cluster's start, and
    a worker replacing one that died or timed out): reclaim stale runs at once."""
    import logging

    try:
        reclaim_stale_runs()
    except Exception:  # noqa: BLE001 - a worker must start even if the database hiccups
        logging.getLogger(__name__).exception("reclaiming stale runs at worker start failed")
