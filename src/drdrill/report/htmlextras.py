"""What a drill adds to its row in pytest-html's report: a link to its scorecard and the verdict table.

Pure functions over the typed scorecard; the plugin hands their output to pytest-html's ``extras``. pytest-html
puts link targets into ``href`` as they are, so the link is escaped here.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from drdrill.report.schema import Scorecard

_OUTCOME_STYLE = {"pass": "color:#1a7f37", "fail": "color:#cf222e", "unknown": "color:#9a6700"}


def scorecard_href(scorecard_json: Path, html_report: Path | None) -> str:
    """The client scorecard page (``scorecard.html`` beside the JSON, else the JSON itself), relative to the
    pytest-html report when its path is known, else as a file URI; escaped for an attribute."""
    page = scorecard_json.with_suffix(".html")
    target = (page if page.exists() else scorecard_json).resolve()
    if html_report is None:
        return escape(target.as_uri(), quote=True)
    return escape(os.path.relpath(target, html_report.resolve().parent), quote=True)


def verdict_table(card: Scorecard) -> str:
    """The drill's verdicts as an HTML table, every value escaped."""
    rows = "".join(
        f"<tr><td>{escape(v.name)}</td><td style='{_OUTCOME_STYLE[v.outcome]};font-weight:600'>"
        f"{escape(v.outcome.upper())}</td><td>{escape(v.measured)}</td><td>{escape(v.objective)}</td>"
        f"<td>{escape(v.message)}</td></tr>"
        for v in card.verdicts
    )
    head = "<tr><th>verdict</th><th>outcome</th><th>measured</th><th>objective</th><th>why</th></tr>"
    caption = f"drill {escape(card.scenario.name)}: {escape(card.status.upper())}"
    return (
        "<table class='drdrill-verdicts' style='border-collapse:collapse;margin:.4rem 0' border='1' "
        f"cellpadding='4'><caption style='text-align:left;font-weight:600'>{caption}</caption>{head}{rows}"
        "</table>"
    )
