"""The recovery point as a count and a window: which acknowledged writes were lost, and when they had been
acknowledged, counted back from the failure. Pure: a ledger and the fault's start in, a window out.

A window says more than a count: a dozen writes lost from the last 0.8 s before a region went down is a log
archive that lagged by a second; a dozen from the 40 s before it is a restore that skipped the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from drdrill.measure.ledger import Ledger


@dataclass(frozen=True)
class LossWindow:
    """The lost writes, oldest acknowledgement first, and when they were acknowledged relative to the failure.

    ``oldest_before_ns`` / ``newest_before_ns``: how long before the failure the oldest and the newest of them
    was acknowledged (negative: after it). ``span_ns`` is the work lost in time, from the oldest to the later of
    the newest and the failure (a single write lost counts for as long ago as it was acknowledged).
    """

    ids: tuple[str, ...]
    oldest_before_ns: int
    newest_before_ns: int
    span_ns: int


def loss_window(ledger: Ledger, failure_ns: int | None) -> LossWindow | None:
    """The window of ``ledger``'s lost writes, or None when nothing acknowledged was lost (or it is unknown)."""
    lost = sorted((ledger.ack_ns[i], i) for i in ledger.lost if i in ledger.ack_ns)
    if not lost or failure_ns is None:
        return None
    oldest, newest = lost[0][0], lost[-1][0]
    return LossWindow(
        ids=tuple(i for _, i in lost),
        oldest_before_ns=failure_ns - oldest,
        newest_before_ns=failure_ns - newest,
        span_ns=max(newest, failure_ns) - oldest,
    )
