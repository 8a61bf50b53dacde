"""The system under drill: the contract the runner speaks, and its declarative HTTP form."""

from drdrill.replica import Replica
from drdrill.system.contract import (
    MAX_WRITES_IN_FLIGHT,
    AsyncWrites,
    DrillSystem,
    FinalRead,
    NotDeclared,
    Outcome,
    ProbeResult,
    Searches,
    SignalMeaning,
    SystemContext,
    WriteResult,
)
from drdrill.system.http import HttpSystem

__all__ = [
    "MAX_WRITES_IN_FLIGHT",
    "AsyncWrites",
    "DrillSystem",
    "FinalRead",
    "HttpSystem",
    "NotDeclared",
    "Outcome",
    "ProbeResult",
    "Replica",
    "Searches",
    "SignalMeaning",
    "SystemContext",
    "WriteResult",
]
