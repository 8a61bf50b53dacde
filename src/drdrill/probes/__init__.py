"""Steady-state probes, link probes and system signals, each an :class:`Observer` of the system under drill."""

from drdrill.probes.canary import CanaryProbe, WarmupProbe, payloads_of
from drdrill.probes.link import LinkProbe
from drdrill.probes.notifications import NotificationReader
from drdrill.probes.observer import Observer
from drdrill.probes.signals import SystemSignals

__all__ = [
    "CanaryProbe",
    "LinkProbe",
    "NotificationReader",
    "Observer",
    "SystemSignals",
    "WarmupProbe",
    "payloads_of",
]
