"""The DR plan as data: typed models, a loader with file:line:col errors, lints. No Docker, no pytest."""

from drdrill.plan.durations import Duration, DurationError, format_duration, humanize_duration, parse_duration
from drdrill.plan.errors import PlanError, PlanIssue
from drdrill.plan.faults import Fault
from drdrill.plan.loader import load_plan
from drdrill.plan.models import (
    Backup,
    Communication,
    Component,
    DegradedMode,
    DetectionCriterion,
    Objective,
    Plan,
    RecoveryStep,
    Role,
    Scenario,
    StagingMapping,
    StagingValues,
    projected_rto,
)

__all__ = [
    "Backup",
    "Communication",
    "Component",
    "DegradedMode",
    "DetectionCriterion",
    "Duration",
    "DurationError",
    "Fault",
    "Objective",
    "Plan",
    "PlanError",
    "PlanIssue",
    "RecoveryStep",
    "Role",
    "Scenario",
    "StagingMapping",
    "StagingValues",
    "format_duration",
    "humanize_duration",
    "load_plan",
    "parse_duration",
    "projected_rto",
]
