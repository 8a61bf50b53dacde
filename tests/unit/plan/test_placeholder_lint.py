"""A scaffolded plan validates at once, but lint says which values are still placeholders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from drdrill.plan import load_plan
from drdrill.plan.lints import lint_plan
from tests.bundled import copy_bundled_plan


def test_a_todo_left_in_the_plan_is_a_lint_error_with_its_place(tmp_path: Path) -> None:
    plan_dir = copy_bundled_plan(tmp_path / "plan")
    text = (plan_dir / "plan.yaml").read_text()
    text = text.replace(
        "people: [Dana Whitfield, Ravi Menon]", "people: [TODO first person, TODO second person]", 1
    )
    (plan_dir / "plan.yaml").write_text(text)
    report = lint_plan(load_plan(plan_dir), date(2026, 12, 1))
    found = [f for f in report.findings if f.code == "todo-placeholder"]
    assert [(f.level, f.message) for f in found] == [
        ("error", "roles.incident-lead.people.0 is still a placeholder: 'TODO first person'"),
        ("error", "roles.incident-lead.people.1 is still a placeholder: 'TODO second person'"),
    ]
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "TODO first person" in row)
    assert {f.line for f in found} == {line}


def test_the_bundled_plan_has_no_placeholder() -> None:
    plan = load_plan(Path(__file__).resolve().parents[3] / "scenarios")
    report = lint_plan(plan, date(2026, 12, 1))
    assert [f for f in report.findings if f.code == "todo-placeholder"] == []
