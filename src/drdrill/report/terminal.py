"""A short plain-text summary of a scorecard, for the end of a pytest run or the CLI, and the one guard on
text bound for a terminal."""

from __future__ import annotations

import re

from drdrill.report import words
from drdrill.report.schema import Scorecard
from drdrill.units import duration_s

# C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F: 8-bit CSI and OSC on some terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character a terminal would act on shown as ``\\xNN`` instead.

    Text from a plan, a system or a scorecard goes through this before any terminal sees it: an ESC from a
    file must not clear the screen, set the window title or move the cursor. Tabs and newlines stay.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def summary_lines(card: Scorecard, path: str | None = None) -> list[str]:
    """A dozen lines: status, the measured figures, the ledger, the steps and each verdict, in the plan's words;
    every line safe for a terminal (:func:`printable`)."""
    return [printable(line) for line in _lines(card, path)]


def _lines(card: Scorecard, path: str | None) -> list[str]:
    sc, m, o = card.scenario, card.measurements, card.objectives
    ledger = m.ledger
    many = card.unit.many
    lines = [
        f"drill {sc.name} (tier {sc.tier}, {sc.disruption}): {card.status.upper()}",
        f"  faults: {', '.join(sc.faults) or 'none'}",
        f"  time to detect: {words.timed(card, 'time_to_detect_s')}",
        *(
            [f"  time to detect by the system's own alerting: {words.system_detection(card)}"]
            if words.routes_alerts(card)
            else []
        ),
        f"  time to fail over: {words.timed(card, 'time_to_failover_s')}",
        f"  time to recover: {words.timed(card, 'time_to_recover_s')}; "
        f"staging bound {duration_s(o.staging_recovery_bound_s)}",
        f"  {words.criteria_sentence(card)}",
        f"  fail back after the revert: {words.timed(card, 'time_to_failback_s')}; projected RTO "
        f"{duration_s(m.projected_rto_s, 'unknown')} against the tier RTO {duration_s(o.rto_s)}",
    ]
    if ledger.lost is None:
        why = m.reason("ledger.lost") or "the final read did not happen"
        lines.append(
            f"  {many}: {ledger.acknowledged} acknowledged, {ledger.indeterminate} unknown; lost and done {why}"
        )
    else:
        lines.append(
            f"  {many}: {ledger.acknowledged} acknowledged, {ledger.done} done, {ledger.lost} lost, "
            f"{ledger.not_done} never done, {ledger.indeterminate} unknown"
        )
    if m.workload is not None:
        lines.append(f"  {words.workload_sentence(card)}")
    for label, ids in (
        ("lost", m.lost_ids),
        ("never done", m.not_done_ids),
        ("never written", m.unexpected_ids),
    ):
        if ids:
            lines.append(f"  {many} {label}: {words.ids_text(ids, limit=10)}")
    lines += [f"  {line}" for line in words.provider_counts(card)]
    modes = words.mode_text(card)
    if modes is not None:
        lines.append(f"  degraded modes (from the fault): {modes}")
    lines += [f"  {line}" for line in words.message_lines(card)]
    for step in card.steps:
        if step.automated:
            took = (
                ""
                if step.duration_s is None
                else f" {'after' if step.outcome == 'failed' else 'in'} {duration_s(step.duration_s)}"
            )
            said = f": {step.detail}" if step.detail else ""
            lines.append(
                f"  step '{step.title}' ({step.hook}): {words.STEP_OUTCOMES[step.outcome]}{took}{said}"
            )
    for row in words.data_rows(card):
        lines.append(f"  {row.measure}: {row.result} (objective: {row.objective})")
    for verdict in card.verdicts:
        lines.append(f"  [{words.outcome_word(verdict.outcome)}] {verdict.name}: {verdict.message}")
    if card.error:
        lines.append(f"  error: {card.error}")
    if card.cleanup:
        lines.append(f"  cleanup: {'; '.join(card.cleanup)}")
    if path:
        lines.append(f"  scorecard: {path}")
        if path.endswith(".json"):
            lines.append(f"  for the client: {path[: -len('.json')]}.html")
    return lines
