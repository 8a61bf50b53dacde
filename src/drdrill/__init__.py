"""drdrill: turn a disaster-recovery plan for an AI system into drills that run and are measured."""

__version__ = "0.1.0"
