"""django-q2 tasks of the domain app: thin wrappers over its services."""


def import_run(batch_id, token, keep_upload=False):
    from .services.imports import import_batch_run

    batch = import_batch_run(batch_id=batch_id, token=token, keep_upload=keep_upload)
    return None if batch is None else batch.status
