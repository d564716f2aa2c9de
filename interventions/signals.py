"""Signals the domain sends to the apps above it (which it never imports)."""
from django.dispatch import Signal

__all__ = ["demo_data_removing"]

# Sent inside the transaction that removes the synthetic demo, before any of its rows go:
# the apps above remove what they computed from it (models, scores, plans).
demo_data_removing = Signal()
