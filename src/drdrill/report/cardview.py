"""One typed reader over scorecard JSON of every schema version, so views never index raw dicts.

Schema ``drdrill.scorecard/1`` and ``/2`` differ in a few places; the rules are :mod:`drdrill.report.words`,
which every view shares, and this module types them:

- ``/2`` names the unit of work (``"unit": {"one": "ticket", "many": "tickets"}``); ``/1`` has none, and
  came from the bundled system only, so it reads in that system's words (:func:`drdrill.report.words.unit`).
- ``/2`` verdicts carry ``outcome`` (pass, fail, unknown) besides ``passed``; for ``/1`` it follows ``passed``.
- ``/2`` leaves a figure null with the reason in ``measurements.not_measured``, keyed by the figure
  (``time_to_recover_s``) or by ``ledger.<count>`` (``ledger.lost``); a null figure is "not measured",
  never 0 and never a pass.
- ``/2`` ledgers count ``done`` / ``not_done`` where ``/1`` counted ``processed`` / ``unprocessed``, and
  leave every count that needs the final read null when there was none.
- ``/2`` cards since 0.1.0 give each time its sampling bound, ``time_to_detect_bound_s: [minus, plus]`` (the
  true time lies in [figure - minus, figure + plus]), and say ``interruption_seen: false`` when no probe or
  write during the fault was a symptom (``time_to_recover_s`` is then 0, within ``unseen_gap_s``); older cards
  have neither, and read as before (:func:`drdrill.report.words.timed`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from drdrill.report import words
from drdrill.report.schema import ScorecardError, check_scorecard
from drdrill.units import NS_PER_S, seconds

SCHEMAS = ("drdrill.scorecard/1", "drdrill.scorecard/2")
Outcome = Literal["pass", "fail", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "unknown")

# A drill that ran to its verdicts counts as a drill, whatever the verdicts; one that errored (the tool
# failed) or was aborted (interrupted) exercised nothing and says nothing about the system.
COUNTS_AS_DRILL = frozenset({"passed", "failed"})


def fmt_seconds(value: float | None, missing: str = "not observed") -> str:
    """Seconds from a scorecard, for people ('12.3 s', '45.0 min', '4.00 h')."""
    return missing if value is None else seconds(round(value * NS_PER_S))


@dataclass(frozen=True)
class Figure:
    """A measured figure, or the reason it was not measured (``value`` None)."""

    value: float | None
    reason: str | None = None

    @property
    def measured(self) -> bool:
        """True when there is a value."""
        return self.value is not None

    def missing_text(self) -> str:
        """What a view shows in place of a null figure: "not measured", with the reason when there is one.

        Some reasons already say so ("not measured, because no fault was applied"); they are not repeated.
        """
        if not self.reason:
            return "not measured"
        return self.reason if self.reason.startswith("not measured") else f"not measured ({self.reason})"


@dataclass(frozen=True)
class VerdictView:
    """One verdict as a view shows it."""

    name: str
    outcome: Outcome
    message: str
    measured: str
    objective: str


class CardError(ValueError):
    """The JSON is not a drdrill scorecard of a known schema, or lacks what every view needs."""


class CardView:
    """Read-only accessors over one scorecard's JSON (schema /1 or /2)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        schema = data.get("schema") if isinstance(data, Mapping) else None
        if schema not in SCHEMAS:
            raise CardError(f"not a drdrill scorecard (schema {schema!r}; known: {', '.join(SCHEMAS)})")
        try:
            self.scenario_name = str(data["scenario"]["name"])
            self.status = str(data["status"])
            self.run_id = str(data["run_id"])
        except (KeyError, TypeError) as exc:
            raise CardError(f"scorecard without {exc}") from None
        self.data: dict[str, Any] = dict(data)
        self.schema = str(schema)
        self.started = self._started()

    # --- who and when -------------------------------------------------------------------------------

    @property
    def scenario_title(self) -> str:
        return str(self.data["scenario"].get("title", self.scenario_name))

    @property
    def tier(self) -> int | None:
        tier = self.data["scenario"].get("tier")
        return tier if isinstance(tier, int) else None

    @property
    def disruption(self) -> str:
        return str(self.data["scenario"].get("disruption", ""))

    @property
    def faults(self) -> list[str]:
        return [str(f) for f in self.data["scenario"].get("faults", [])]

    @property
    def plan_name(self) -> str:
        return str(self.data.get("plan", {}).get("name", ""))

    @property
    def client(self) -> str:
        return str(self.data.get("plan", {}).get("client", ""))

    @property
    def error(self) -> str | None:
        error = self.data.get("error")
        return None if error is None else str(error)

    @property
    def started_utc(self) -> str | None:
        value = self.data.get("started_utc")
        return None if value is None else str(value)

    def _started(self) -> datetime | None:
        """Wall-clock start (UTC); None when the run recorded no event (it errored before starting)."""
        text = self.started_utc
        if text is None:
            return None
        try:
            started = datetime.fromisoformat(text)
        except ValueError as exc:
            raise CardError(f"started_utc {text!r} is no ISO time") from exc
        return started if started.tzinfo is not None else started.replace(tzinfo=UTC)

    @property
    def counts_as_drill(self) -> bool:
        """Passed or failed: the drill ran to its verdicts."""
        return self.status in COUNTS_AS_DRILL

    @property
    def unit(self) -> tuple[str, str]:
        """Words for one and many units of work (``ticket``/``tickets``), as every view says them."""
        return words.unit(self.data)

    def count(self, n: int) -> str:
        """``1 ticket``, ``3 tickets``."""
        one, many = self.unit
        return f"{n} {one if n == 1 else many}"

    # --- figures ------------------------------------------------------------------------------------

    @property
    def _measurements(self) -> Mapping[str, Any]:
        m = self.data.get("measurements")
        return m if isinstance(m, Mapping) else {}

    def _reason(self, key: str) -> str | None:
        """Why figure ``key`` (``time_to_detect_s``, ``ledger.lost``) is null, if the scorecard says."""
        reasons = self._measurements.get("not_measured")
        if not isinstance(reasons, Mapping) or not reasons.get(key):
            return None
        return str(reasons[key])

    def figure(self, key: str) -> Figure:
        """A measurement in seconds, e.g. ``time_to_detect_s``."""
        value = self._measurements.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Figure(float(value))
        return Figure(None, self._reason(key))

    @property
    def time_to_detect(self) -> Figure:
        return self.figure("time_to_detect_s")

    @property
    def time_to_recover(self) -> Figure:
        return self.figure("time_to_recover_s")

    @property
    def time_to_failover(self) -> Figure:
        return self.figure("time_to_failover_s")

    @property
    def lost(self) -> Figure:
        """Acknowledged units of work missing from the final read."""
        value = self.ledger_count("lost")
        if value is not None:
            return Figure(float(value))
        return Figure(None, self._reason("ledger.lost"))

    def ledger_count(self, name: str) -> int | None:
        """A ledger count by its /2 name (``done``, ``not_done``, ``lost``, ...); None when not measured."""
        ledger = self._measurements.get("ledger")
        if not isinstance(ledger, Mapping):
            return None
        value = {words.V1_LEDGER_NAMES.get(k, k): v for k, v in ledger.items()}.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def objective(self, key: str) -> float | None:
        """An objective in seconds, e.g. ``rto_s``, ``rpo_s``, ``staging_recovery_bound_s``."""
        value = self.data.get("objectives", {}).get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    # --- verdicts -----------------------------------------------------------------------------------

    @property
    def verdicts(self) -> list[VerdictView]:
        out = []
        for v in self.data.get("verdicts", []):
            out.append(
                VerdictView(
                    name=str(v.get("name", "")),
                    outcome=cast(Outcome, words.outcome(v)),  # always one of OUTCOMES
                    message=str(v.get("message", "")),
                    measured=str(v.get("measured", "")),
                    objective=str(v.get("objective", "")),
                )
            )
        return out

    @property
    def timeline(self) -> Sequence[Mapping[str, Any]]:
        timeline = self.data.get("timeline")
        return timeline if isinstance(timeline, list) else []


def load_card(path: Path) -> CardView:
    """Read a scorecard file of any known schema; :class:`CardError` (a ValueError) when it is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CardError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CardError("not a drdrill scorecard (not a JSON object)")
    try:
        check_scorecard(data, str(path))  # a card that does not match its schema is refused, never half-read
    except ScorecardError as exc:
        raise CardError(str(exc)) from None
    return CardView(data)
