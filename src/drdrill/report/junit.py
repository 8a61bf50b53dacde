"""A drill's figures as JUnit XML properties (pytest's ``record_property``), so any CI system shows them.

Every value is a string; a figure that was not measured says so (with its reason), never 0.
"""

from __future__ import annotations

from drdrill.report import words
from drdrill.report.schema import Scorecard, TimeFigure
from drdrill.report.words import Figure

PREFIX = "drdrill_"
FIGURES: tuple[TimeFigure, ...] = (
    "time_to_detect_s",
    "time_to_failover_s",
    "time_to_recover_s",
    "projected_rto_s",
)


def _value(figure: Figure) -> str:
    # The scorecard's figure as it is: ":g" keeps six digits, so 1.351099 s became 1.3511 in the CI's view.
    return f"{figure.value:.15g}" if figure.value is not None else figure.missing_text()


def junit_properties(card: Scorecard) -> list[tuple[str, str]]:
    """``(name, value)`` pairs for the pytest item's ``user_properties``: status, figures, each verdict."""
    props = [
        (f"{PREFIX}status", card.status),
        (f"{PREFIX}scenario", card.scenario.name),
        (f"{PREFIX}tier", str(card.scenario.tier)),
    ]
    props += [(f"{PREFIX}{key}", _value(words.figure(card, key))) for key in FIGURES]
    props.append((f"{PREFIX}lost", _value(words.lost(card))))
    props.append((f"{PREFIX}unit", card.unit.many))
    props += [(f"{PREFIX}verdict_{v.name}", v.outcome) for v in card.verdicts]
    return props
