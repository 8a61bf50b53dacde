"""`drdrill report` and `drdrill tabletop --scorecard`: views built from a scorecard file alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.cli import main
from drdrill.plan import load_plan
from drdrill.report.scorecard import write_scorecard
from drdrill.report.terminal import printable
from tests.unit.measure.drill_timeline import edited, standard_scorecard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scorecards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    plan = load_plan(ROOT / "scenarios")
    out = tmp_path_factory.mktemp("cards")
    return {
        status: write_scorecard(standard_scorecard(plan, status), out / status / "scorecard.json")
        for status in ("passed", "failed")
    }


def test_report_summarises_a_passed_drill_and_exits_0(
    scorecards: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(scorecards["passed"])]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "drill provider-outage (tier 1, software): PASSED"
    assert out[-2] == f"  scorecard: {scorecards['passed']}"


def test_report_exits_1_for_a_drill_that_did_not_pass(
    scorecards: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(scorecards["failed"])]) == 1
    assert capsys.readouterr().out.startswith("drill provider-outage (tier 1, software): FAILED\n")


def test_report_on_a_file_that_is_no_scorecard_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    assert main(["report", str(other)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"drdrill: error: {other}: not a drdrill scorecard this drdrill reads (it has no schema key; it reads "
        "'drdrill.scorecard/2' and 'drdrill.scorecard/1'); give the scorecard.json a drill wrote, or render it "
        "with the drdrill version that wrote it\n"
    )
    assert main(["report", str(tmp_path / "missing.json")]) == 2
    assert (
        capsys.readouterr().err
        == f"drdrill: error: {tmp_path / 'missing.json'}: cannot read the scorecard: no such file\n"
    )


def test_tabletop_after_action_report_is_filled_from_a_scorecard(
    scorecards: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "tabletop",
            "provider-outage",
            "--plan",
            str(ROOT / "scenarios"),
            "--format",
            "md",
            "--out",
            str(tmp_path),
            "--scorecard",
            str(scorecards["passed"]),
        ]
    )
    assert code == 0
    text = (tmp_path / "provider-outage.md").read_text()
    assert "| Verdict | every objective met | PASSED |" in text
    assert "| Drill run | the staging drill these figures come from | abc123 at " in text


def test_tabletop_refuses_a_scorecard_of_another_scenario(
    scorecards: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "tabletop",
            "zone-failure",
            "--plan",
            str(ROOT / "scenarios"),
            "--out",
            str(tmp_path),
            "--scorecard",
            str(scorecards["passed"]),
        ]
    )
    assert code == 2
    assert "is a scorecard of 'provider-outage', not of 'zone-failure'" in capsys.readouterr().err


def test_report_writes_the_client_html(
    scorecards: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "client.html"
    assert main(["report", str(scorecards["failed"]), "--html", str(out)]) == 1
    assert capsys.readouterr().out.endswith(f"wrote {out}\n")
    page = out.read_text()
    assert "Failed: the system missed at least one objective" in page
    assert "<svg" in page and "<h2>Ledger of claims</h2>" in page


def test_report_renders_a_schema_1_scorecard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = ROOT / "tests" / "unit" / "data" / "scorecard-v1.json"
    out = tmp_path / "old.html"

    assert main(["report", str(v1), "--html", str(out)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "drill provider-outage (tier 1, software): PASSED"
    assert "  claims: 3 acknowledged, 3 done, 0 lost, 0 never done, 2 unknown" in lines
    assert "<h2>Ledger of claims</h2>" in out.read_text()


CLEAR_SCREEN = "\x1b[2J\x1b[H"
SET_TITLE = "\x1b]0;pwned\x07"


def test_printable_shows_terminal_controls_instead_of_acting_on_them() -> None:
    assert printable(f"a{CLEAR_SCREEN}b{SET_TITLE}c\x9b2Jd\tt\nn") == (
        "a\\x1b[2J\\x1b[Hb\\x1b]0;pwned\\x07c\\x9b2Jd\tt\nn"
    )


def test_report_never_writes_a_control_sequence_from_a_scorecard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = load_plan(ROOT / "scenarios")

    def hostile(data: dict[str, object]) -> None:
        data["error"] = f"compose said{CLEAR_SCREEN}no"
        data["scenario"]["faults"] = [f"down x{SET_TITLE}"]  # type: ignore[index]
        data["unit"] = {"one": f"t{SET_TITLE}", "many": f"ts{CLEAR_SCREEN}"}

    path = write_scorecard(edited(standard_scorecard(plan, "failed"), hostile), tmp_path / "scorecard.json")

    assert main(["report", str(path)]) == 1

    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err and "\x07" not in captured.out
    assert "  faults: down x\\x1b]0;pwned\\x07" in captured.out.splitlines()
    assert "  error: compose said\\x1b[2J\\x1b[Hno" in captured.out.splitlines()


def test_a_plan_message_is_stripped_of_control_sequences_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / f"nope{CLEAR_SCREEN}")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "nope\\x1b[2J\\x1b[H" in err


@pytest.mark.parametrize(
    ("argv", "how"),
    [
        (["tabletop", "provider-outage"], "drdrill tabletop provider-outage --plan DIR"),
        (["history"], "drdrill history --plan DIR"),
        (["validate"], "drdrill validate DIR"),
        (["lint"], "drdrill lint DIR"),
    ],
)
def test_every_command_taking_a_plan_says_how_to_name_it_when_the_default_is_absent(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    how: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()

    assert main(argv) == 2

    assert capsys.readouterr().err == (
        f"drdrill: error: no plan directory 'scenarios' here (the default); name yours: {how}, or create one "
        "with drdrill init --compose <your compose file>\n"
    )
