"""The notification sink, read while a drill runs: every alert and client notice the system sent, journalled.

The sink (drdrill/notify-sink, added to the replica when the plan declares notification channels) stamps each
message as it arrives, on the CLOCK_MONOTONIC the drill's journal uses too. This observer reads the messages it
has not read yet every poll and journals each as a ``message`` event whose ``received_ns`` is the sink's own
stamp: measure/ dates alerts and notices by it, never by when the poll happened to see them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from drdrill import tls
from drdrill.clock import Clock
from drdrill.journal import RECEIVED, Journal, Kind, Type
from drdrill.probes.observer import Observer
from drdrill.system import DrillSystem

TEXT_KEPT = 2000  # characters of a message kept in the journal (the sink keeps up to 4000)


class NotificationReader(Observer):
    """Poll the sink's ``/_sink/messages?since=N`` and journal each new message under its channel's role."""

    thread_name = "drdrill-notifications"

    def __init__(
        self,
        system: DrillSystem,
        journal: Journal,
        clock: Clock,
        base_url: Callable[[], str],
        roles: Mapping[str, str],
        interval_s: float,
        max_seconds: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(system, journal, clock, interval_s, max_seconds)
        self._base_url = base_url
        self._roles = dict(roles)
        self._next = 0
        self._refused: dict[str, int] = {}
        self._http = httpx.Client(timeout=2.0, transport=transport, verify=tls.context())

    def stop(self) -> None:
        """Stop polling after one last read: a notice sent just before the end is not lost to the interval."""
        super().stop()
        self.tick(0)
        self._http.close()

    def tick(self, n: int) -> None:
        try:
            answer = self._http.get(f"{self._base_url()}/_sink/messages", params={"since": self._next}).json()
        except (httpx.HTTPError, ValueError, LookupError, RuntimeError):
            return  # the next poll reads from the same place: nothing is lost while the sink is unreachable
        for message in answer.get("messages", []):
            channel = str(message.get("channel"))
            data = {
                RECEIVED: int(message["received_ns"]),
                "via": message.get("via"),
                "shape": message.get("shape"),
                "action": message.get("action"),
                "subject": message.get("subject"),
                "text": str(message.get("text", ""))[:TEXT_KEPT],
            }
            role = self._roles.get(channel, "unknown")
            self.journal.record(Kind.MESSAGE, Type.INFO, channel, value=role, data=data)
            self._next = max(self._next, int(message.get("seq", self._next)) + 1)
        refused = answer.get("refused") or {}
        for where, count in refused.items():
            if self._refused.get(where) != count:
                self._refused[where] = count
                self.journal.record(
                    Kind.NOTE, Type.FAIL, "notification-refused", data={"where": where, "count": count}
                )
