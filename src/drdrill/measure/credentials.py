"""A leaked secret's uses, read from the journal: when every place that took it refused it for good.

A ``leak_secret`` fault's end event carries each place's calls with the leaked value (``[[made_ns, status],
...]``, status 0: no answer) and the statuses that place declared a refusal. A place refused the secret for good
from the first call of the last run of refusals, up to the revert; it still accepted it when its last call
answered 2xx. Calls that got no answer, or an error that is no refusal, say nothing either way (a place that is
down is not a place that refuses). Pure: journal events in, figures out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drdrill.journal import TRACE, Event, Kind, Type


@dataclass(frozen=True)
class SecretPlace:
    """One place that took the leaked secret, and what it answered to calls with it."""

    name: str
    calls: int
    accepted: int  # answered and not refused
    refused: int
    unanswered: int  # no answer, or an answer neither 2xx nor a refusal
    refused_since_ns: (
        int | None
    )  # from the leak: the first call of the last run of refusals (None: not refused)
    last_accepted_ns: int | None  # from the leak: the last call it accepted (None: it never did)

    @property
    def still_accepts(self) -> bool:
        """Its last answered call was accepted."""
        return self.refused_since_ns is None and self.accepted > 0


@dataclass(frozen=True)
class LeakResult:
    """A leaked secret and every place that took it."""

    secret: str
    places: tuple[SecretPlace, ...]

    @property
    def accepting(self) -> tuple[SecretPlace, ...]:
        """The places that still accepted it at the revert."""
        return tuple(p for p in self.places if p.still_accepts)

    @property
    def unknown(self) -> tuple[SecretPlace, ...]:
        """The places no answered call tells about."""
        return tuple(p for p in self.places if p.accepted + p.refused == 0)

    @property
    def refused_everywhere_ns(self) -> int | None:
        """From the leak until every place refused it for good; None while one did not (or said nothing)."""
        if not self.places or self.accepting or self.unknown:
            return None
        found = [p.refused_since_ns for p in self.places]
        return max(n for n in found if n is not None) if all(n is not None for n in found) else None


def _place(name: str, found: Mapping[str, object], start_ns: int) -> SecretPlace:
    refused_codes = {c for c in _list(found.get("refused")) if isinstance(c, int)}
    calls = [
        (c[0], c[1])
        for c in _list(found.get("calls"))
        if isinstance(c, list) and len(c) == 2 and isinstance(c[0], int) and isinstance(c[1], int)
    ]
    accepted = refused = unanswered = 0
    since: int | None = None
    last_accepted: int | None = None
    for made, status in sorted(calls):
        if status in refused_codes:
            refused += 1
            since = made if since is None else since
        elif 200 <= status < 300:
            accepted += 1
            since, last_accepted = None, made
        else:  # no answer, or an error that is no refusal (a place down or failing says nothing of the secret)
            unanswered += 1
    return SecretPlace(
        name=name,
        calls=len(calls),
        accepted=accepted,
        refused=refused,
        unanswered=unanswered,
        refused_since_ns=None if since is None else max(0, since - start_ns),
        last_accepted_ns=None if last_accepted is None else max(0, last_accepted - start_ns),
    )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def leak_results(events: Sequence[Event]) -> tuple[LeakResult, ...]:
    """Every leaked secret of the drill, each place's figures dated from that fault's start."""
    starts: dict[str, int] = {}
    found: list[LeakResult] = []
    for event in events:
        if event.kind is not Kind.FAULT:
            continue
        if event.type is Type.START:
            starts.setdefault(event.name, event.t_ns)
            continue
        trace = event.data.get(TRACE) if event.type is Type.END else None
        if not isinstance(trace, dict):
            continue
        start = starts.get(event.name, event.t_ns)
        uses = trace.get("uses")
        places = tuple(
            _place(str(name), use, start)
            for name, use in (uses.items() if isinstance(uses, dict) else ())
            if isinstance(use, dict)
        )
        found.append(LeakResult(str(trace.get("secret", event.name)), places))
    return tuple(found)
