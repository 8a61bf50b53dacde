"""Fault families: each fault is an object with ``apply()`` and ``revert()`` that is safe to revert twice."""

from __future__ import annotations

from drdrill.faults.base import FaultFamily, FaultTargets, InjectedFault, Reports, StopsServices
from drdrill.faults.credentials import Traced
from drdrill.faults.injector import FAMILIES, FaultInjector, supported_kinds
from drdrill.faults.toxiproxy import ToxiproxyClient

__all__ = [
    "FAMILIES",
    "FaultFamily",
    "FaultInjector",
    "FaultTargets",
    "InjectedFault",
    "Reports",
    "StopsServices",
    "ToxiproxyClient",
    "Traced",
    "supported_kinds",
]
