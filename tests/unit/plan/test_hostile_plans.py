"""A plan from a pull request cannot hang, exhaust or crash the loader, nor make it print another file.

Each case was found by hand or by a fuzzer (issue 7); each gets the one error it should, with its place.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import date
from pathlib import Path

import pytest

from drdrill.cli import main
from drdrill.plan import PlanError, load_plan
from drdrill.plan.errors import MAX_MESSAGE_CHARS
from drdrill.plan.files import MAX_FILE_BYTES
from drdrill.plan.lints import lint_plan
from tests.unit.plan.conftest import WritePlan
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO
from tests.unit.plan.test_loader_errors import edit, errors_for

SECRET = "root:$6$NOT-TO-BE-PRINTED:19000:0:99999:7:::"
LAUGHS = "\n".join(
    [
        'x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 10)),
    ]
)
NOT_REGULAR = (
    "not a regular file: drdrill reads only regular files "
    "(move it out of the plan directory, or put the YAML file itself in its place)"
)
OUTSIDE = "is a symbolic link to a file outside plan; drdrill reads plan files only inside it: copy the file in instead"


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_billion_laughs_is_refused_fast_and_small(write_plan: WritePlan) -> None:
    scenario = MINIMAL_SCENARIO + LAUGHS + "\n"
    assert len(scenario) < 4096
    rss_before, started = _rss_kib(), time.monotonic()
    assert errors_for(write_plan, scenario) == [
        "plan/s.yaml:21:15: alias *x3 takes the file past 20,000 values (an alias counts as every value it "
        "stands for); a plan file may hold no more: write fewer aliases or split the file"
    ]
    assert time.monotonic() - started < 2.0
    assert _rss_kib() - rss_before < 50_000  # KiB; unbounded, it reached 1.3 GB


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        pytest.param(
            MINIMAL_SCENARIO + "deep: " + "[" * 60 + "]" * 60 + "\n",
            "plan/s.yaml:17:56: this value nests mappings and lists more than 50 levels deep; a plan file may "
            "nest no deeper: flatten the structure",
            id="deep-nesting",
        ),
        pytest.param(
            MINIMAL_SCENARIO + "a: &a " + "[" * 30 + "]" * 30 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n",
            "plan/s.yaml:18:34: alias *a nests mappings and lists more than 50 levels deep; a plan file may "
            "nest no deeper: flatten the structure",
            id="deep-through-an-alias",
        ),
        pytest.param(
            MINIMAL_SCENARIO + "a: &loop [1, *loop]\n",
            "plan/s.yaml:17:14: alias *loop is inside the node it stands for: a value may not contain itself",
            id="recursive-alias",
        ),
        pytest.param(
            MINIMAL_SCENARIO + "a: &x 1\nb: &x 2\n",
            "plan/s.yaml:18:4: anchor &x is defined again (first at line 17): give each anchor its own name",
            id="reused-anchor",
        ),
        pytest.param(
            edit("title: Model down", "title: Model\x00down"),
            "plan/s.yaml:1:13: invalid YAML: the character U+0000 is not allowed: remove it",
            id="raw-nul",
        ),
        pytest.param(
            edit("title: Model down", 'title: "Model\\0down"'),
            "plan/s.yaml:1:8: this value holds the character U+0000, which a plan file may not hold: remove it "
            "(or its escape)",
            id="escaped-nul",
        ),
        pytest.param(
            edit("title: Model down", 'title: "Model\\ud800"'),
            "plan/s.yaml:1:8: this value holds the character U+D800, which a plan file may not hold: remove it "
            "(or its escape)",
            id="unpaired-surrogate",
        ),
        pytest.param(
            edit("title: Model down", "title: !!python/object/apply:os.system [id]"),
            "plan/s.yaml:1:8: tag '!!python/object/apply:os.system' is not allowed here (a plan file may tag "
            "only text, and only as '!!str'): write the value without it, quoted to keep it text",
            id="python-tag",
        ),
        pytest.param(
            edit("tier: 1", "tier: !!int one"),
            "plan/s.yaml:2:7: tag '!!int' is not allowed here (a plan file may tag only text, and only as "
            "'!!str'): write the value without it, quoted to keep it text",
            id="bad-int-tag",
        ),
        pytest.param(
            MINIMAL_SCENARIO + "drills: {history: [{date: 2024-02-30, kind: staging, result: pass}]}\n",
            "plan/s.yaml:17:27: cannot read this value: day is out of range for month",
            id="impossible-date",
        ),
        pytest.param(
            edit("recovery_bound: 30s", "recovery_bound: 99999999999d"),
            "plan/s.yaml:16:27: staging.recovery_bound: duration '99999999999d' is longer than a plan may give "
            "(at most 3650d, about ten years): check the number and its unit",
            id="duration-overflow",
        ),
        pytest.param(
            edit("recovery_bound: 30s", "recovery_bound: " + "9" * 400 + "d"),
            "plan/s.yaml:16:27: staging.recovery_bound: duration '"
            + "9" * 78
            + "… is longer than a plan may "
            "give (at most 3650d, about ten years): check the number and its unit",
            id="duration-beyond-float",
        ),
        pytest.param(
            edit("tier: 1", "tier: " + "x" * 200_000),
            "plan/s.yaml:2:7: tier: bad value '" + "x" * 78 + "…; expected 1, 2 or 3",
            id="huge-value-cut",
        ),
    ],
)
def test_hostile_scenario(write_plan: WritePlan, scenario: str, expected: str) -> None:
    assert errors_for(write_plan, scenario) == [expected]


def test_reused_anchor_is_an_error_not_a_warning(write_plan: WritePlan) -> None:
    # filterwarnings = error: a ReusedAnchorWarning from ruamel would fail this test as an exception.
    lines = errors_for(write_plan, MINIMAL_SCENARIO + "a: &x 1\nb: &x 2\nc: *x\n")
    assert lines == [
        "plan/s.yaml:18:4: anchor &x is defined again (first at line 17): give each anchor its own name"
    ]


def test_no_message_grows_with_the_value(write_plan: WritePlan) -> None:
    lines = errors_for(write_plan, edit("target: model", "target: " + "m " * 100_000))
    assert len(lines) == 1
    assert lines[0].startswith("plan/s.yaml:11:13: faults[0].target: unknown component 'm m m")
    assert len(lines[0]) <= len("plan/s.yaml:11:13: ") + MAX_MESSAGE_CHARS


def test_an_oversized_file_is_not_parsed(write_plan: WritePlan) -> None:
    scenario = MINIMAL_SCENARIO + "# " + "x" * MAX_FILE_BYTES + "\n"
    assert errors_for(write_plan, scenario) == [
        f"plan/s.yaml: is {len(scenario):,} bytes; a plan file may hold at most 262,144 bytes: split it into "
        "more files or remove what the plan does not need"
    ]


def _link_plan(write_plan: WritePlan, name: str, target: str | Path) -> Path:
    directory = write_plan(s=MINIMAL_SCENARIO)
    os.symlink(target, directory / name)
    return directory


def test_a_link_to_a_secret_is_refused_unread(write_plan: WritePlan, tmp_path: Path) -> None:
    (tmp_path / "shadow").write_text(SECRET + "\n", encoding="utf-8")
    directory = _link_plan(write_plan, "leak.yaml", tmp_path / "shadow")
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert str(info.value) == f"plan/leak.yaml: {OUTSIDE}"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("/dev/zero", OUTSIDE, id="dev-zero"),
        pytest.param(
            "loop.yaml",
            "is a symbolic link that loops back on itself: remove it or point it at a file",
            id="loop",
        ),
        pytest.param(
            "nothing.yaml",
            "is a symbolic link to a file that does not exist: remove it or fix its target",
            id="dangling",
        ),
    ],
)
def test_links_that_cannot_be_read(write_plan: WritePlan, target: str, expected: str) -> None:
    directory = _link_plan(write_plan, "loop.yaml", target)
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert str(info.value) == f"plan/loop.yaml: {expected}"


def test_a_link_inside_the_plan_directory_is_read(write_plan: WritePlan) -> None:
    directory = write_plan()
    (directory / "sources").mkdir()
    (directory / "sources" / "s.txt").write_text(MINIMAL_SCENARIO, encoding="utf-8")
    os.symlink("sources/s.txt", directory / "s.yaml")
    assert list(load_plan(directory).scenarios) == ["s"]


def test_a_fifo_does_not_hang_the_loader(write_plan: WritePlan) -> None:
    directory = write_plan(s=MINIMAL_SCENARIO)
    os.mkfifo(directory / "pipe.yaml")
    started = time.monotonic()
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert time.monotonic() - started < 2.0
    assert str(info.value) == f"plan/pipe.yaml: is a named pipe (FIFO), {NOT_REGULAR}"


def test_plan_yaml_itself_is_read_the_same_way(write_plan: WritePlan, tmp_path: Path) -> None:
    directory = write_plan(s=MINIMAL_SCENARIO)
    (tmp_path / "shadow").write_text(SECRET, encoding="utf-8")
    (directory / "plan.yaml").unlink()
    os.symlink(tmp_path / "shadow", directory / "plan.yaml")
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert str(info.value) == f"plan/plan.yaml: {OUTSIDE}"


def test_the_cli_never_prints_another_files_content(
    write_plan: WritePlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "shadow").write_text(SECRET + "\n", encoding="utf-8")
    _link_plan(write_plan, "leak.yaml", tmp_path / "shadow")
    for command in (["validate", "plan"], ["lint", "plan"], ["tabletop", "s", "--plan", "plan"]):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert err == f"plan/leak.yaml: {OUTSIDE}\n1 problem(s) in the plan\n"
        assert "NOT-TO-BE-PRINTED" not in out + err


# --- lints: dates far in the future and the compose file ---------------------------------------------


def _planted(write_plan: WritePlan, plan: str = MINIMAL_PLAN, scenario: str = MINIMAL_SCENARIO) -> list[str]:
    report = lint_plan(load_plan(write_plan(plan, s=scenario)), today=date(2026, 11, 22))
    return [str(f) for f in report.findings]


def test_a_drill_dated_in_year_9999_is_a_finding(write_plan: WritePlan) -> None:
    history = "drills: {cadence: 3650d, history: [{date: 9999-12-31, kind: staging, result: pass}]}\n"
    findings = _planted(write_plan, scenario=MINIMAL_SCENARIO + history)
    assert (
        "plan/s.yaml:17:43: warning [future-date] a drill of scenario 's' is dated 9999-12-31, after today "
        "(2026-11-22): correct the date (only what has happened counts)"
    ) in findings
    assert not any("drill-overdue" in f or "never-drilled" in f for f in findings)


def test_a_restore_test_dated_in_year_9999_is_a_finding(write_plan: WritePlan) -> None:
    backups = (
        "backups:\n  nightly:\n    category: data_store\n    frequency: 1d\n"
        "    stored_in: {location: offsite, zone: zone-b}\n"
        "    last_restore_verified: 9999-12-31\n    verify_every: 3650d\n"
    )
    findings = _planted(write_plan, plan=MINIMAL_PLAN + backups)
    assert (
        "plan/plan.yaml:29:28: warning [future-date] the last restore test of backup 'nightly' is dated "
        "9999-12-31, after today (2026-11-22): correct the date (only what has happened counts)"
    ) in findings
    assert not any("restore-unverified" in f for f in findings)


@pytest.mark.parametrize(
    ("compose_file", "error"),
    [
        pytest.param(
            "/dev/zero",
            "plan/plan.yaml:24:34: staging_topology.compose_file: /dev/zero: is a character device, not a regular "
            "file: drdrill reads only regular files (name the compose file itself)",
            id="dev-zero",
        ),
        pytest.param(
            "staging/pipe.yaml",
            "plan/plan.yaml:24:34: staging_topology.compose_file: plan/staging/pipe.yaml: is a named pipe (FIFO), "
            "not a regular file: drdrill reads only regular files (name the compose file itself)",
            id="fifo",
        ),
        pytest.param(
            "staging/empty.yaml",
            "plan/staging/empty.yaml:1:1: file is empty; expected a mapping of keys to values",
            id="empty",
        ),
        pytest.param(
            "staging/list.yaml",
            "plan/staging/list.yaml:1:1: top level should be a mapping with `services:`, got a list",
            id="no-services",
        ),
    ],
)
def test_an_unreadable_compose_file_refuses_the_plan_fast_and_quotes_nothing(
    write_plan: WritePlan, tmp_path: Path, compose_file: str, error: str
) -> None:
    # The compose file is the replica: a plan whose compose file cannot be read cannot be drilled, so loading
    # refuses it (a FIFO never blocks, /dev/zero is never read).
    staging = tmp_path / "plan" / "staging"
    staging.mkdir(parents=True)
    os.mkfifo(staging / "pipe.yaml")
    (staging / "empty.yaml").write_text("", encoding="utf-8")
    (staging / "list.yaml").write_text("- a\n", encoding="utf-8")
    with pytest.raises(PlanError) as info:
        _planted(write_plan, plan=MINIMAL_PLAN + f"staging_topology: {{compose_file: {compose_file}}}\n")
    assert str(info.value).splitlines() == [error]


# --- names no file can have, links that loop: one line naming the file, never a traceback --------------

LOOP = "is a symbolic link that loops back on itself: remove it or point it at a file"


def test_a_plan_directory_that_is_a_link_loop_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.symlink("plan", tmp_path / "plan")
    with pytest.raises(PlanError) as info:
        load_plan(Path("plan"))
    assert str(info.value) == f"plan: {LOOP}"


def test_a_compose_file_that_is_a_link_loop_is_one_line_at_the_plans_value(write_plan: WritePlan) -> None:
    directory = write_plan(
        MINIMAL_PLAN + "staging_topology: {compose_file: compose.yaml}\n", s=MINIMAL_SCENARIO
    )
    os.symlink("compose.yaml", directory / "compose.yaml")
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    assert (
        str(info.value) == f"plan/plan.yaml:24:34: staging_topology.compose_file: plan/compose.yaml: {LOOP}"
    )


def test_a_compose_file_name_too_long_for_the_system_is_one_line(write_plan: WritePlan) -> None:
    name = "c" * 5000 + ".yaml"
    directory = write_plan(MINIMAL_PLAN + f"staging_topology: {{compose_file: {name}}}\n", s=MINIMAL_SCENARIO)
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    (line,) = str(info.value).splitlines()
    assert line.startswith("plan/plan.yaml:24:34: staging_topology.compose_file: plan/cccc")
    assert line.endswith(
        f"the file name is too long for this system ({len(str(directory / name)):,} characters, its longest "
        "part 5,005 bytes; a name may have at most 255 bytes): give a shorter name"
    )
    assert "File name too long" not in line


@pytest.mark.parametrize("broken", ["plan-dir", "compose-file"])
def test_pytest_drill_with_a_link_loop_is_a_usage_error(pytester: pytest.Pytester, broken: str) -> None:
    plan_dir = pytester.path / "scenarios"
    if broken == "plan-dir":
        os.symlink("scenarios", plan_dir)
        expected = [f"ERROR: drdrill: the plan in {plan_dir} is not valid:", f"scenarios: {LOOP}"]
    else:
        plan_dir.mkdir()
        (plan_dir / "plan.yaml").write_text(
            MINIMAL_PLAN + "staging_topology: {compose_file: compose.yaml}\n", encoding="utf-8"
        )
        (plan_dir / "s.yaml").write_text(MINIMAL_SCENARIO, encoding="utf-8")
        os.symlink("compose.yaml", plan_dir / "compose.yaml")
        expected = [
            f"ERROR: drdrill: the plan in {plan_dir} is not valid:",
            f"scenarios/plan.yaml:24:34: staging_topology.compose_file: scenarios/compose.yaml: {LOOP}",
        ]
    result = pytester.runpytest("--drill=s", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(expected)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
