"""Pure functions from a journal to time to detect, time to recover, data lost and verdicts."""

from drdrill.measure.ledger import Ledger, build_ledger
from drdrill.measure.verdicts import (
    Measurements,
    Objectives,
    Verdict,
    judge,
    measure,
    measure_and_judge,
)

__all__ = [
    "Ledger",
    "Measurements",
    "Objectives",
    "Verdict",
    "build_ledger",
    "judge",
    "measure",
    "measure_and_judge",
]
