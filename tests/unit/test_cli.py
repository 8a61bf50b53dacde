"""The drdrill command line: validate, lint and tabletop, driven through main() with captured output."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.cli import main
from tests.bundled import copy_bundled_plan

REPO = Path(__file__).resolve().parents[2]
MISTAKES = REPO / "tests" / "unit" / "plan" / "data" / "mistakes"


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.usefixtures("in_repo")
def test_validate_bundled_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert out == "scenarios: plan 'claims-intake' is valid: 14 scenarios, 15 components\n"
    assert err == ""


def test_validate_reports_every_problem_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_bundled_plan(tmp_path / "plan")
    monkeypatch.chdir(tmp_path)
    outage = tmp_path / "plan" / "provider-outage.yaml"
    outage.write_text(outage.read_text().replace("kind: down", "kind: toxic_down"), encoding="utf-8")
    zone = tmp_path / "plan" / "zone-failure.yaml"
    zone.write_text(zone.read_text().replace("tier: 1", "tier: one"), encoding="utf-8")
    assert main(["validate", "plan"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith(
        "plan/provider-outage.yaml:18:11: faults[0].kind: unknown fault kind 'toxic_down'; known: "
    )
    assert lines[1] == "plan/zone-failure.yaml:3:7: tier: bad value 'one'; expected 1, 2 or 3"
    assert lines[2] == "2 problem(s) in the plan"
    assert "Traceback" not in err


def test_lint_fails_on_errors_and_shows_maturity(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(MISTAKES.parent)
    assert main(["lint", "mistakes", "--today", "2026-11-22"]) == 1
    out = capsys.readouterr().out
    assert "error [backup-same-zone]" in out
    assert "maturity level 0 of 3\n" in out
    assert out.endswith("9 error(s), 8 warning(s)\n")


@pytest.mark.usefixtures("in_repo")
def test_lint_bundled_plan_passes_with_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--today", "2026-11-22"]) == 0
    out = capsys.readouterr().out
    assert "maturity level 3 of 3" in out
    assert out.endswith("0 error(s), 14 warning(s)\n")
    assert main(["lint", "--today", "2026-11-22", "--strict"]) == 1


@pytest.mark.usefixtures("in_repo")
def test_lint_rejects_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--today", "22/11/2026"]) == 2
    assert "invalid date '22/11/2026'; use YYYY-MM-DD" in capsys.readouterr().err


def test_tabletop_writes_both_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["tabletop", "provider-outage", "--plan", str(REPO / "scenarios")]) == 0
    assert capsys.readouterr().out == (
        "wrote reports/tabletop/provider-outage.md\nwrote reports/tabletop/provider-outage.html\n"
    )
    assert (tmp_path / "reports" / "tabletop" / "provider-outage.html").is_file()


def test_tabletop_one_format_to_a_chosen_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "tt"
    code = main(
        [
            "tabletop",
            "zone-failure",
            "--plan",
            str(REPO / "scenarios"),
            "--format",
            "md",
            "--out",
            str(out_dir),
        ]
    )
    assert code == 0
    assert [p.name for p in out_dir.iterdir()] == ["zone-failure.md"]


@pytest.mark.usefixtures("in_repo")
def test_tabletop_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tabletop", "meteor-strike"]) == 2
    assert capsys.readouterr().err == (
        "drdrill: error: unknown scenario 'meteor-strike' in scenarios; known: backup-restore, data-corruption, "
        "integration-failure, model-degradation, node-replaced, provider-flapping, provider-hang, provider-outage, "
        "provider-rate-limit, provider-stream-cut, regional-failure, security-breach, server-failure, zone-failure\n"
    )


def test_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "required: COMMAND" in capsys.readouterr().err


def test_validate_missing_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "nowhere"]) == 2
    assert (
        capsys.readouterr().err
        == "nowhere: no such plan directory; give the directory that holds plan.yaml\n1 problem(s) in the plan\n"
    )
