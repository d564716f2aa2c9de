"""The shared cache's Redis client (django-redis), with one change."""
from django_redis.client import DefaultClient

__all__ = ["PrefixClearClient"]


class PrefixClearClient(DefaultClient):
    """``cache.clear()`` deletes the keys under this site's ``KEY_PREFIX`` only.

    django-redis flushes the whole Redis database, which another site, the broker or a
    parallel test run (each with its own prefix) may share."""

    def clear(self, client=None) -> None:
        self.delete_pattern("*", client=client)
