"""The load generator: a steady, bounded stream of writes, each a Jepsen-style operation in the journal."""

from drdrill.workload.generator import Workload

__all__ = ["Workload"]
