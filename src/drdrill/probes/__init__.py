"""Steady-state probes and system signals."""

from drdrill.probes.canary import CanaryProbe
from drdrill.probes.claims import ClaimStore
from drdrill.probes.signals import WorkerSignals

__all__ = ["CanaryProbe", "ClaimStore", "WorkerSignals"]
