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
