"""A drill's figures as JUnit XML properties (pytest's ``record_property``), so any CI system shows them.

Every value is a string; a figure that was not measured says so (with its reason), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drdrill.report.cardview import CardView, Figure

PREFIX = "drdrill_"
FIGURES = ("time_to_detect_s", "time_to_failover_s", "time_to_recover_s", "projected_rto_s")


def _value(figure: Figure) -> str:
    return f"{figure.value:g}" if figure.value is not None else figure.missing_text()


def junit_properties(scorecard: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(name, value)`` pairs for the pytest item's ``user_properties``: status, figures, each verdict."""
    card = CardView(scorecard)
    props = [
        (f"{PREFIX}status", card.status),
        (f"{PREFIX}scenario", card.scenario_name),
        (f"{PREFIX}tier", "" if card.tier is None else str(card.tier)),
    ]
    props += [(f"{PREFIX}{key}", _value(card.figure(key))) for key in FIGURES]
    props.append((f"{PREFIX}lost", _value(card.lost)))
    props.append((f"{PREFIX}unit", card.unit[1]))
    props += [(f"{PREFIX}verdict_{v.name}", v.outcome) for v in card.verdicts]
    return props
