"""Reading the claims store back through the intake API: the final read and the drain check."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from drdrill.errors import StagingError


@dataclass(frozen=True)
class ClaimsSnapshot:
    """Workload claims by status; canary claims are left out."""

    processed: frozenset[str]
    pending: frozenset[str]


class ClaimStore:
    """The intake's ``GET /claims`` listing."""

    def __init__(self, intake_url: str, timeout_s: float = 10.0) -> None:
        self._url = intake_url
        self._timeout_s = timeout_s

    def snapshot(self) -> ClaimsSnapshot:
        try:
            response = httpx.get(f"{self._url}/claims", timeout=self._timeout_s)
            response.raise_for_status()
            rows = response.json()["claims"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise StagingError(f"could not read the claims back from {self._url}/claims: {exc}") from exc
        processed = {str(r["id"]) for r in rows if not r.get("canary") and r.get("status") == "processed"}
        pending = {str(r["id"]) for r in rows if not r.get("canary") and r.get("status") != "processed"}
        return ClaimsSnapshot(processed=frozenset(processed), pending=frozenset(pending))
