"""The client's page tells a drill whole: what it missed first, in the plan's words; every recovery step; the
units of work that went wrong; how the drill ran, kept apart from what the client reads."""

from __future__ import annotations

from typing import Any

import pytest

from drdrill.plan import Plan
from drdrill.report.html import render_html
from drdrill.report.schema import Scorecard
from drdrill.report.terminal import summary_lines
from tests.unit.measure.drill_timeline import FAILBACK_STEP, FAILOVER_STEP, edited
from tests.unit.report.cards import ERRORED, STEP_ERROR, page_cards

MANUAL_ROWS = (
    "<tr><td>Send the first notice to the client</td><td>manual</td><td>client-liaison</td>"
    "<td>manual: not run by the drill</td><td class='num'>estimated 10.0 min</td><td>—</td></tr>"
)


@pytest.fixture(scope="module")
def cards(plan: Plan) -> dict[str, Scorecard]:
    return page_cards(plan)


def opening(page: str) -> str:
    """What the client reads first: everything between the status badge and the objectives table."""
    return page.split("</span></p>\n", 1)[1].split("<h2>Objectives", maxsplit=1)[0]


def client_part(page: str) -> str:
    return page.split("<h2>How the drill ran</h2>", maxsplit=1)[0]


def step_row(title: str, how: str, owner: str, outcome: str, duration: str, said: str) -> str:
    return (
        f"<tr><td>{title}</td><td>{how}</td><td>{owner}</td><td>{outcome}</td><td class='num'>{duration}</td>"
        f"<td>{said}</td></tr>"
    )


def test_a_passed_drill_opens_with_every_objective_met_and_shows_each_step(
    cards: dict[str, Scorecard],
) -> None:
    page = render_html(cards["passed"])

    assert opening(page) == (
        "<p>Every objective was met.</p><p>On a staging replica of the system, the drill cut primary-provider "
        "off the network. While claims kept arriving, the service was back after 3.75 s (+0/-1.25 s), and no "
        "acknowledged claim was missing from the final read (12 acknowledged during the drill).</p>\n"
    )
    assert (
        step_row(
            FAILOVER_STEP,
            "automated, during the fault",
            "platform-engineer",
            "<span class='pass'>completed</span>",
            "1.50 s",
            "the failover signal says &#x27;backup&#x27; (failed over)",
        )
        in page
    )
    assert MANUAL_ROWS in page
    assert (
        step_row(
            FAILBACK_STEP,
            "automated, after the fault is reverted",
            "no owner named",
            "<span class='pass'>completed</span>",
            "1.20 s",
            "the failover signal says &#x27;primary&#x27; (normal)",
        )
        in page
    )
    assert (
        "<tr><td>Automated fail-back</td><td>every fail-back step completes</td><td class='num'>1 of 1 completed"
        "</td><td><span class='pass'>met</span></td></tr>"
    ) in page
    assert page.count("<rect x=") - page.count("height='140'") == 2  # a bar per step the drill ran


def test_a_failed_automated_step_fails_the_drill_and_opens_the_page_in_its_own_words(
    cards: dict[str, Scorecard],
) -> None:
    card = cards["failed-step"]
    page = render_html(card)

    assert card.status == "failed"
    assert opening(page).startswith(
        "<p>1 objective(s) missed:</p><ul class='findings'><li>Missed: recovery on staging within the staging "
        "bound of 30.0 s: the automated step &#x27;Worker fails over to the backup provider after repeated "
        "primary failures&#x27; failed: the failover signal still says &#x27;primary&#x27;, not failed over, at "
        "the deadline (0.0 s left); the service: recovered in 3.75 s (+0/-1.25 s), within the staging bound of "
        "30.0 s.</li></ul><p>On a staging replica"
    )
    assert (
        step_row(
            FAILOVER_STEP,
            "automated, during the fault",
            "platform-engineer",
            "<span class='fail'>failed</span>",
            "1.50 s",
            STEP_ERROR.replace("'", "&#x27;"),
        )
        in page
    )
    lines = summary_lines(card)
    assert f"  step '{FAILOVER_STEP}' (provider-failover): failed after 1.50 s: {STEP_ERROR}" in lines
    assert lines[0] == "drill provider-outage (tier 1, software): FAILED"


def test_a_drained_failure_opens_with_it_and_names_the_stuck_unit(cards: dict[str, Scorecard]) -> None:
    page = render_html(cards["drained"])

    assert opening(page).startswith(
        "<p>1 objective(s) missed:</p><ul class='findings'><li>Missed: every acknowledged claim done after the "
        "fault: 1 claim acknowledged and held, but never done by the end of the drain (stuck: c7).</li></ul>"
    )
    assert (
        "<h2>Claims that went wrong</h2><ul><li>Stuck: acknowledged and held, but never done (1): "
        "<span class='ids'>c7</span></li></ul>"
    ) in page
    assert "  claims never done: c7" in summary_lines(cards["drained"])


def test_an_errored_drill_opens_with_its_error_and_every_objective_it_could_not_judge(
    cards: dict[str, Scorecard],
) -> None:
    page = render_html(cards["errored"])

    text = opening(page)
    assert text.startswith(
        f"<p>The drill could not run to its end: {ERRORED.replace(chr(39), '&#x27;')}. 7 objective"
    )
    assert text.count("<li>Not judged: ") == 7
    assert (
        "<li>Not judged: steady state before the fault: the drill errored while starting the staging replica.</li>"
        in text
    )
    assert text.endswith(
        "<p>The drill stopped before it disrupted the system, so nothing was measured of its recovery or of its "
        "claims.</p>\n"
    )
    assert (
        step_row(
            FAILOVER_STEP,
            "automated, during the fault",
            "platform-engineer",
            "<span class='unknown'>not run: the drill stopped first</span>",
            "not measured: the step never ran",
            "—",
        )
        in page
    )
    assert "probe passed" not in page and "<p class='legend'>" not in page  # nothing ran, nothing to explain


def test_no_yaml_path_or_tool_word_reaches_the_client_part(plan: Plan, cards: dict[str, Scorecard]) -> None:
    no_signal = edited(
        cards["failed-step"],
        lambda d: d["measurements"]["not_measured"].update(
            time_to_failover_s="not measured, because the plan declares no failover signal"
        ),
    )
    for card in [*cards.values(), no_signal]:
        page = render_html(card)
        client = client_part(page)
        for word in (
            "staging_topology",
            "drdrill",
            "recovery_bound",
            "_s'",
            "injected",
            "stack-start",
            "RTO missed",
        ):
            assert word not in client, (card.status, word)
    details = page.split("<h2>How the drill ran</h2>")[1]
    assert "staging_topology.system.signals.failover in plan.yaml; this plan declares none" in details
    assert (
        "The disruptions were injected by drdrill on the staging replica: down primary-provider." in details
    )


def test_the_legend_lists_only_what_the_run_has(cards: dict[str, Scorecard]) -> None:
    with_signal = render_html(cards["passed"]).split("<p class='legend'>")[1].split("</p>")[0]
    silent = edited(
        cards["failed-step"], lambda d: d.update(timeline=[e for e in d["timeline"] if e["kind"] != "signal"])
    )
    without = render_html(silent).split("<p class='legend'>")[1].split("</p>")[0]

    assert "failover or mode signal" in with_signal and "automated recovery step" in with_signal
    assert "mode signal" not in without  # the system never said a word: no mark, no legend entry
    assert "probe failed" in without


def test_more_than_fifty_units_are_listed_as_the_first_fifty_and_a_count(cards: dict[str, Scorecard]) -> None:
    stuck = [f"t{n:03}" for n in range(120)]
    card = edited(cards["drained"], lambda d: d["measurements"].update(not_done_ids=stuck))

    page = render_html(card)

    listed = page.split("Stuck: acknowledged and held, but never done (120): <span class='ids'>")[1].split(
        "<"
    )[0]
    assert listed == ", ".join(stuck[:50]) + " and 70 more (120 in all)"
    assert "(stuck: " + ", ".join(stuck[:10]) + " and 110 more (120 in all))." in opening(page)


def test_the_configuration_that_ran_is_shown_under_how_the_drill_ran(cards: dict[str, Scorecard]) -> None:
    configuration: dict[str, Any] = {
        "compose_file": "compose.yaml",
        "compose_digest": "sha256:abc",
        "environment": {"H1_FALLBACK_URL": "", "API_KEY": "***"},
        "images": {"worker": "sha256:123"},
        "plan_digest": "sha256:def",
    }
    page = render_html(edited(cards["passed"], lambda d: d.update(configuration=configuration)))

    details = page.split("<h2>How the drill ran</h2>")[1]
    for row in (
        "<tr><td>compose file digest</td><td class='ids'>sha256:abc</td></tr>",
        "<tr><td>plan digest</td><td class='ids'>sha256:def</td></tr>",
        "<tr><td>image of worker</td><td class='ids'>sha256:123</td></tr>",
        "<tr><td>$H1_FALLBACK_URL</td><td class='ids'></td></tr>",
        "<tr><td>$API_KEY</td><td class='ids'>***</td></tr>",
    ):
        assert row in details
    assert "sha256:abc" not in client_part(page)
    assert "was not recorded by the drdrill that wrote this scorecard" in render_html(cards["passed"])


def _with_data(card: Scorecard) -> Scorecard:
    """The passed drill's card with what a restore from backup measures: lost claims in a window, one done
    twice, two data checks, a golden set and an index's recall."""

    def change(out: dict[str, Any]) -> None:
        m = out["measurements"]
        m["rpo_window"] = {
            "ids": ["c-7", "c-8"],
            "oldest_before_failure_s": 1.4,
            "newest_before_failure_s": 0.2,
            "span_s": 1.4,
        }
        m["done_twice"] = {"c-3": 2}
        m["data_checks"] = [
            {"name": "no-stuck-claims", "outcome": "pass", "value": 0, "expect": 0},
            {"name": "<b>labels</b>", "outcome": "unknown", "why": "the query failed: no table claims"},
        ]
        m["golden_set"] = {
            "outcome": "fail",
            "minimum": 0.9,
            "score": 0.5,
            "right": 20,
            "total": 40,
            "answered": 30,
            "misses": [{"text": "Hail dented the car", "expected": "auto", "got": "(no answer)"}],
        }
        m["index_recall"] = {
            "outcome": "unknown",
            "minimum": 0.9,
            "why": "not measured, because the search failed: ConnectError",
        }
        out["objectives"]["staging_rpo_bound_s"] = 3.0

    return edited(card, change)


def test_the_data_after_recovery_is_one_table_on_the_page_and_lines_in_the_summary(
    cards: dict[str, Scorecard],
) -> None:
    card = _with_data(cards["passed"])
    page = render_html(card)
    section = page.split("<h2>Data after recovery</h2>", 1)[1].split("<h2>", 1)[0]
    cells = [row.split("</td><td>") for row in section.split("<tr><td>")[1:]]
    assert [c[0] for c in cells] == [
        "RPO window",
        "Work done twice",
        "Data check &#x27;no-stuck-claims&#x27;",
        "Data check &#x27;&lt;b&gt;labels&lt;/b&gt;&#x27;",  # escaped: a check's name is the plan's text
        "Golden-set accuracy",
        "Index recall",
    ]
    assert cells[0][1:3] == [
        "the staging RPO bound of 3.00 s (the tier&#x27;s 0.00 s)",
        "2 claims lost, acknowledged between 1.40 s and 0.20 s before the failure, spanning 1.40 s: c-7, c-8",
    ]
    assert cells[1][2] == "1 claim done more than once: c-3 (2 times)"
    assert cells[3][2] == "not run: the query failed: no table claims"
    assert cells[4][2] == (
        "0.50 (20 of 40 right, 30 answered); e.g. &#x27;Hail dented the car&#x27; gave &#x27;(no answer)&#x27;, "
        "expected &#x27;auto&#x27;"
    )
    assert cells[5][2] == "not measured: the search failed: ConnectError"
    lines = summary_lines(card)
    assert (
        "  Golden-set accuracy: 0.50 (20 of 40 right, 30 answered); e.g. 'Hail dented the car' gave "
        in "\n".join(lines)
    )
    assert (
        "  RPO window: 2 claims lost, acknowledged between 1.40 s and 0.20 s before the failure, spanning 1.40 s: "
        "c-7, c-8 (objective: the staging RPO bound of 3.00 s (the tier's 0.00 s))"
    ) in lines
    assert "  Data check 'no-stuck-claims': found 0 (objective: 0)" in lines
