"""Load generator and the claims it acknowledges."""

from drdrill.workload.generator import ClaimWorkload, classify_response

__all__ = ["ClaimWorkload", "classify_response"]
