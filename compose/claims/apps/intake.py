"""Claims intake API of the staging claims system.

The RPO contract lives here: `POST /claims` answers 201 only after the row is committed, so an
acknowledged claim is durable. A repeated id answers 200 with the stored claim (idempotent retries).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote

import db
import serving

CLAIM_PATH = re.compile(r"^/claims/(?P<id>[^/?#]+)$")
COLUMNS = "id, status, label, provider, canary, done_count"
MAX_BODY = 64 * 1024


def claim_json(row: tuple[Any, ...]) -> dict[str, Any]:
    claim_id, status, label, provider, canary, done_count = row
    return {
        "id": claim_id,
        "status": status,
        "label": label,
        "provider": provider,
        "canary": canary,
        "done_count": done_count,
    }


def validate(body: Any) -> tuple[str, str, bool]:
    """Return (id, text, canary) or raise ValueError naming the bad field."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    claim_id, text, canary = body.get("id"), body.get("text"), body.get("canary", False)
    if not isinstance(claim_id, str) or not claim_id or len(claim_id) > 200 or "/" in claim_id:
        raise ValueError("id must be a non-empty string of at most 200 characters without '/'")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if not isinstance(canary, bool):
        raise ValueError("canary must be a boolean")
    return claim_id, text, canary


class Handler(serving.JsonHandler):
    server_version = "drdrill-intake/1"
    pool: db.Pool  # set on the class by main()

    def _db_error(self, exc: Exception) -> None:
        self.send_json(503, {"error": "database unavailable", "detail": str(exc).strip()[:500]})

    def do_GET(self) -> None:  # noqa: N802 - http.server dispatches on this name
        try:
            if self.path == "/health":
                self._health()
            elif self.path == "/integrity":
                self._integrity()
            elif self.path == "/claims":
                self._list()
            elif match := CLAIM_PATH.match(self.path):
                self._get(unquote(match["id"]))
            else:
                self.send_json(404, {"error": f"unknown path {self.path}"})
        except db.Error as exc:
            self._db_error(exc)

    def do_POST(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path == "/similar":
            self._similar()
            return
        if self.path != "/claims":
            self.send_json(404, {"error": f"unknown path {self.path}"})
            return
        try:
            claim_id, text, canary = validate(self.read_json(MAX_BODY))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            self.send_json(400, {"error": str(exc)})
            return
        try:
            self._create(claim_id, text, canary)
        except db.Error as exc:
            self._db_error(exc)

    def _similar(self) -> None:
        """Similar past claims, from the search service wherever SEARCH_ADDRESS leads (its vector index)."""
        try:
            body = json.dumps(self.read_json(MAX_BODY)).encode()
        except ValueError as exc:
            self.send_json(400, {"error": str(exc)})
            return
        address = os.environ.get("SEARCH_ADDRESS", "search:8090")
        request = urllib.request.Request(
            f"http://{address}/similar", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                self.send_raw(answer.status, answer.read())
        except urllib.error.HTTPError as exc:
            self.send_raw(exc.code, exc.read())
        except OSError as exc:
            self.send_json(503, {"error": "search unavailable", "detail": str(exc)[:300]})

    def _health(self) -> None:
        # A fresh connection with a short connect timeout: a paused or partitioned database turns
        # the health check into a 503 within about a second, where a pooled connection would hang.
        db.ping(timeout_s=1)
        self.send_json(200, {"status": "ok"})

    def _integrity(self) -> None:
        """How many processed claims carry a label their digest does not match (0: intact)."""
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM claims WHERE {db.CORRUPT}")
            (corrupt,) = cur.fetchone()
            conn.rollback()
        self.send_json(200, {"corrupt": corrupt})

    def _list(self) -> None:
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM claims ORDER BY created_at, id")
            rows = cur.fetchall()
            conn.rollback()
        self.send_json(200, {"claims": [claim_json(row) for row in rows]})

    def _get(self, claim_id: str) -> None:
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM claims WHERE id = %s", (claim_id,))
            row = cur.fetchone()
            conn.rollback()
        if row is None:
            self.send_json(404, {"error": f"no claim {claim_id}"})
        else:
            self.send_json(200, claim_json(row))

    def _create(self, claim_id: str, text: str, canary: bool) -> None:
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO claims (id, text, canary) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO NOTHING RETURNING id",
                (claim_id, text, canary),
            )
            inserted = cur.fetchone() is not None
            if inserted:
                # Acknowledge only once the commit has returned: this is what makes a 201 durable.
                conn.commit()
                self.send_json(201, {"id": claim_id, "status": "pending"})
                return
            cur.execute(f"SELECT {COLUMNS} FROM claims WHERE id = %s", (claim_id,))
            row = cur.fetchone()
            conn.rollback()
        self.send_json(200, claim_json(row))


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main() -> None:
    pool = db.Pool(db.dsn())
    db.with_retries(
        lambda: db.ensure_schema(pool),
        attempts=int(os.environ.get("DB_START_ATTEMPTS", "300")),
        delay=0.2,
        on_error=lambda message: log("waiting_for_database", detail=message),
    )
    Handler.pool = pool
    port = int(os.environ.get("PORT", "8080"))
    server = serving.Server(("0.0.0.0", port), Handler)
    log("listening", port=port)
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
