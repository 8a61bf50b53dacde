"""drdrill's times against the ground truth: drills of the target in tests/truth, which dates its own outage.

The target is drdrill's provider simulator as the whole system, drilled through the declarative HTTP contract
with ``pytest --drill`` like any user's system. Its outage heals by itself 1.5 s after the fault is set, while
the fault is still applied, so the true recovery lies inside the fault window. Each drill's measured time to
detect and time to recover must be within the bound of the truth: the bound the scorecard states when it
states one, else what the probes could resolve around that edge (the probe interval as kept plus the probe's
own latency). Three drills, each checked on its own. benchmarks/truth_error.py gives the distribution over twenty.
"""

from __future__ import annotations

import docker
import pytest

from tests.integration.conftest import ROOT, run_drill
from tests.truth.target import TRUTH_NOTE, drill_truth, probe_spans, sampling_bound

pytestmark = pytest.mark.integration

PLAN = ROOT / "tests" / "truth" / "plan"
MS = 1_000_000
ROUNDING_NS = 1_000  # two figures, each rounded to the nearest microsecond


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_measured_times_are_within_their_bound_of_the_targets_truth(
    attempt: int, pytester: pytest.Pytester, no_leftovers: docker.DockerClient, drill_env: None
) -> None:
    run = run_drill(pytester, PLAN, "self-healing-outage")
    run.result.assert_outcomes(passed=1)
    card = run.card
    assert card["status"] == "passed", card["error"]
    (note,) = [e["data"] for e in card["timeline"] if e["kind"] == "note" and e["name"] == TRUTH_NOTE]
    # One clock: the target's reading lies between the runner's readings just before and after asking for it.
    assert note["before_ns"] <= note["truth"]["now_ns"] <= note["after_ns"]
    (outage,) = note["truth"]["outages"]
    assert outage["end_ns"] == outage["heal_ns"] == outage["set_ns"] + 1500 * MS
    assert outage["cleared_ns"] > outage["end_ns"]  # it healed while the fault was still applied
    truth = drill_truth(card)
    assert truth.detect_error_ns is not None and truth.recover_error_ns is not None
    spans = probe_spans(card)
    for figure, error, bound, edge in (
        ("time to detect", truth.detect_error_ns, truth.detect_bound, outage["set_ns"]),
        ("time to recover", truth.recover_error_ns, truth.recover_bound, outage["end_ns"]),
    ):
        # The bound the scorecard states is a claim too: never wider than the probes around the edge allow
        # (with writes as samples as well it is often narrower), so a drill cannot pass by widening it.
        assert bound.source == "scorecard"
        allowed = sampling_bound(spans, edge).early_ns
        # The card states each side in seconds to the microsecond: two roundings may add up to 1 us.
        assert bound.early_ns + bound.late_ns <= allowed + ROUNDING_NS, (
            f"{figure}: the scorecard states -{bound.early_ns / MS:.1f}/+{bound.late_ns / MS:.1f} ms, wider "
            f"than the {allowed / MS:.1f} ms between the probes around the edge"
        )
        assert bound.holds(error), (
            f"{figure}: measured - true = {error / MS:+.1f} ms, outside its {bound.source} bound of "
            f"-{bound.early_ns / MS:.1f}/+{bound.late_ns / MS:.1f} ms"
        )
