"""Work done twice: units the system says it did more than once, from the final read. Pure.

Only a system that says how many times it did each unit (``final_read.times``) can be judged on it; for any
other, duplicates are not measured, never "0".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drdrill.journal import DONE_TWICE, FINAL_READ, Event, Kind, Type


def done_twice(events: Sequence[Event], probes: frozenset[str] = frozenset()) -> Mapping[str, int] | None:
    """Unit id -> times done, for units done more than once (the drill's probe units left out); None when the
    final read did not say how many times."""
    found: Mapping[str, int] | None = None
    for event in events:
        if event.kind is Kind.READ and event.name == FINAL_READ and event.type is Type.OK:
            raw = event.data.get(DONE_TWICE)
            found = None if not isinstance(raw, Mapping) else {str(k): int(v) for k, v in raw.items()}
    if found is None:
        return None
    return {unit: n for unit, n in found.items() if unit not in probes}
