"""``./dev drill`` prints only the scorecards its own pytest run listed (scripts/drill_results.sh), and the
plugin's ``--drill-scorecard-list`` starts each run empty."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.bundled import copy_bundled_plan

REPO = Path(__file__).resolve().parents[2]
NO_ENGINE = "unix:///nonexistent/drdrill-test-docker.sock"


def _results(listing: Path, scenarios: str) -> list[str]:
    script = f'source {REPO / "scripts" / "drill_results.sh"} && drdrill_drill_results "$1" "$2"'
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script, "bash", str(listing), scenarios],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("awk") is None, reason="needs bash and awk")
def test_only_the_listed_scorecards_are_printed(tmp_path: Path) -> None:
    # Another run's scorecards lie in reports/ too: the listing alone decides.
    (tmp_path / "reports" / "20260101T000000Z-zone-failure-other").mkdir(parents=True)
    listing = tmp_path / "listing"
    listing.write_text(
        "provider-outage\treports/a-provider-outage-r1/scorecard.json\n"
        "outage\treports/a-outage-r2/scorecard.json\n"
        "provider-outage\treports/b-provider-outage-r3/scorecard.json\n",
        encoding="utf-8",
    )
    assert _results(listing, "provider-outage, outage,zone-failure") == [
        "result: reports/b-provider-outage-r3/scorecard.json",
        "result: reports/a-outage-r2/scorecard.json",
        "result: no scorecard was written for zone-failure (see the errors above)",
    ]


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("awk") is None, reason="needs bash and awk")
def test_an_empty_or_missing_listing_names_every_scenario_as_unwritten(tmp_path: Path) -> None:
    (tmp_path / "listing").write_text("", encoding="utf-8")
    assert _results(tmp_path / "listing", "provider-outage") == [
        "result: no scorecard was written for provider-outage (see the errors above)"
    ]
    assert _results(tmp_path / "missing", "provider-outage") == [
        "result: no scorecard was written for provider-outage (see the errors above)"
    ]


def test_the_plugin_empties_the_listing_and_lists_nothing_for_a_drill_that_wrote_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_bundled_plan(pytester.path / "scenarios")
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)  # the preflight refuses: no scorecard is written
    listing = pytester.path / "listing"
    listing.write_text("provider-outage\treports/an-earlier-run/scorecard.json\n", encoding="utf-8")
    result = pytester.runpytest_subprocess("--drill=provider-outage", f"--drill-scorecard-list={listing}")
    result.assert_outcomes(errors=1)
    assert listing.read_text(encoding="utf-8") == ""


def test_a_listing_that_cannot_be_written_is_a_usage_error(pytester: pytest.Pytester) -> None:
    copy_bundled_plan(pytester.path / "scenarios")
    result = pytester.runpytest("--drill=provider-outage", "--drill-scorecard-list=no/such/dir/listing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: drdrill: --drill-scorecard-list no/such/dir/listing: cannot write it (No such file or "
            "directory); give a file in a writable folder"
        ]
    )
