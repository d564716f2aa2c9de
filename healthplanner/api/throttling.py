"""Throttles whose rates are read at request time (settings may change in tests)."""
from rest_framework import throttling
from rest_framework.settings import api_settings

__all__ = ["AnonThrottle", "UserThrottle"]


class _LiveRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonThrottle(_LiveRate, throttling.AnonRateThrottle):
    pass


class UserThrottle(_LiveRate, throttling.UserRateThrottle):
    pass
