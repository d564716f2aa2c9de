"""The project's django-q2 tasks (scheduled by migrations): thin callers of services."""


def purge_expired_api_tokens():
    """Daily (migration healthplanner/0003): delete the tokens expired past the grace period."""
    from .tokens import api_tokens_purge_expired

    return api_tokens_purge_expired()
