"""Classifier worker of the staging claims system, with provider failover.

It takes pending claims (`FOR UPDATE SKIP LOCKED`), asks an OpenAI-compatible provider for the label
and marks them processed. After FAILOVER_AFTER consecutive primary failures it switches to the backup;
while on the backup it retries the primary every FAILBACK_INTERVAL seconds and fails back when it
answers. A claim that no provider could classify stays pending and is retried: never dropped.

Each failover / failback is logged to stdout as one JSON line with a UTC timestamp.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import db
import serving

LABELS = frozenset({"auto", "property", "health", "liability", "other"})
PRIMARY, BACKUP, NONE = "primary", "backup", "none"
SYSTEM_PROMPT = (
    "Classify the insurance claim. Answer with one word: auto, property, health, liability or other."
)


def log(event: str, **fields: Any) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    print(json.dumps({"ts": stamp, "event": event, **fields}), flush=True)


class ProviderError(Exception):
    """The provider did not give a usable answer (network error, timeout, HTTP error, bad content)."""


@dataclass(frozen=True)
class Config:
    primary_url: str
    backup_url: str
    failover_after: int
    request_timeout: float
    failback_interval: float
    model: str
    batch_size: int
    idle_poll: float
    lease: str

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        return cls(
            primary_url=env.get("PRIMARY_URL", "http://toxiproxy:18001/v1").rstrip("/"),
            backup_url=env.get("BACKUP_URL", "http://toxiproxy:18002/v1").rstrip("/"),
            failover_after=int(env.get("FAILOVER_AFTER", "3")),
            request_timeout=float(env.get("REQUEST_TIMEOUT", "1.0")),
            failback_interval=float(env.get("FAILBACK_INTERVAL", "5")),
            model=env.get("MODEL_NAME", "claims-classifier"),
            batch_size=int(env.get("BATCH_SIZE", "10")),
            idle_poll=float(env.get("IDLE_POLL", "0.1")),
            lease=env.get("LEASE", "lock"),
        )


def call_provider(base_url: str, model: str, text: str, timeout: float) -> str:
    """Ask one provider for the label of a claim text; raise ProviderError on anything unusable."""
    body = json.dumps(
        {
            "model": model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": text},
            ],
        }
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:  # URLError, timeouts, resets and bad JSON
        raise ProviderError(f"{type(exc).__name__}: {exc}") from exc
    try:
        label = str(answer["choices"][0]["message"]["content"]).strip().lower()
    except (KeyError, IndexError, TypeError) as exc:
        raise ProviderError(f"malformed completion: {exc!r}") from exc
    if label not in LABELS:
        # A truncated or off-script answer is a failure, not a success with a wrong label.
        raise ProviderError(f"unexpected label {label[:40]!r}")
    return label


class Router:
    """Provider selection with failover and fail-back; thread-safe counters for /status."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.active = PRIMARY
        self.failovers = 0
        self.failbacks = 0
        self.processed = 0
        self.consecutive_failures = 0
        self._last_primary_try = 0.0
        self._lock = threading.Lock()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "active_provider": self.active,
                "failovers": self.failovers,
                "failbacks": self.failbacks,
                "processed": self.processed,
                "consecutive_failures": self.consecutive_failures,
            }

    def count_processed(self) -> None:
        with self._lock:
            self.processed += 1

    def _switch(self, to: str, reason: str) -> None:
        with self._lock:
            before = self.active
            if to == BACKUP and before == PRIMARY:
                self.failovers += 1
                event = "failover"
            elif to == PRIMARY and before != PRIMARY:
                self.failbacks += 1
                event = "failback"
            else:
                event = "provider_change"
            self.active = to
            self.consecutive_failures = 0
            counts = {"failovers": self.failovers, "failbacks": self.failbacks}
        log(event, from_provider=before, to_provider=to, reason=reason, **counts)

    def _fail(self) -> int:
        with self._lock:
            self.consecutive_failures += 1
            return self.consecutive_failures

    def _url(self, provider: str) -> str:
        return self.config.primary_url if provider == PRIMARY else self.config.backup_url

    def _try(self, provider: str, text: str) -> str:
        return call_provider(self._url(provider), self.config.model, text, self.config.request_timeout)

    def classify(self, text: str) -> tuple[str, str] | None:
        """Return (label, provider) or None when no provider answered (the claim stays pending)."""
        if self.active == PRIMARY:
            return self._on_primary(text)
        return self._on_fallback(text)

    def _on_primary(self, text: str) -> tuple[str, str] | None:
        try:
            label = self._try(PRIMARY, text)
        except ProviderError as exc:
            failures = self._fail()
            if failures >= self.config.failover_after:
                self._last_primary_try = time.monotonic()
                self._switch(BACKUP, f"{failures} consecutive primary failures, last: {exc}")
            return None
        with self._lock:
            self.consecutive_failures = 0
        return label, PRIMARY

    def _on_fallback(self, text: str) -> tuple[str, str] | None:
        now = time.monotonic()
        if now - self._last_primary_try >= self.config.failback_interval:
            self._last_primary_try = now
            try:
                label = self._try(PRIMARY, text)
            except ProviderError:
                pass
            else:
                self._switch(PRIMARY, "primary answered again")
                return label, PRIMARY
        try:
            label = self._try(BACKUP, text)
        except ProviderError as exc:
            failures = self._fail()
            if self.active == BACKUP and failures >= self.config.failover_after:
                self._switch(NONE, f"{failures} consecutive backup failures, last: {exc}")
            return None
        if self.active != BACKUP:
            self._switch(BACKUP, "backup answered again")
        with self._lock:
            self.consecutive_failures = 0
        return label, BACKUP


def _take(cur: Any, batch_size: int, lease: str) -> list[tuple[str, str]]:
    """Pending claims this worker may classify now.

    lease=lock (the default): the row locks of this transaction are the lease (`FOR UPDATE SKIP LOCKED`). A
    worker that dies mid-task loses its connection, its transaction rolls back and the locks go: another worker
    takes the claims, and none is labelled twice. lease=hostname keeps the classic bug for a broken twin: claims
    are marked with the worker's hostname in a transaction of their own and only ever taken again by that
    hostname, so the claims of a worker whose container was replaced (a new hostname) wait forever.
    """
    if lease == "hostname":
        me = socket.gethostname()
        cur.execute(
            "UPDATE claims SET owner = %s WHERE id IN (SELECT id FROM claims WHERE status = 'pending' "
            "AND owner IS NULL ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED)",
            (me, batch_size),
        )
        cur.connection.commit()
        cur.execute(
            "SELECT id, text FROM claims WHERE status = 'pending' AND owner = %s "
            "ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED",
            (me, batch_size),
        )
        return list(cur.fetchall())
    cur.execute(
        "SELECT id, text FROM claims WHERE status = 'pending' "
        "ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (batch_size,),
    )
    return list(cur.fetchall())


def process_batch(pool: db.Pool, router: Router, batch_size: int, lease: str = "lock") -> int:
    """Classify up to batch_size pending claims in one transaction; return how many were taken."""
    with pool.connection() as conn:
        with conn.cursor() as cur:
            rows = _take(cur, batch_size, lease)
            done = 0
            for claim_id, text in rows:
                result = router.classify(text)
                if result is None:
                    cur.execute("UPDATE claims SET attempts = attempts + 1 WHERE id = %s", (claim_id,))
                    continue
                label, provider = result
                cur.execute(
                    "UPDATE claims SET status = 'processed', label = %s, provider = %s, "
                    "label_digest = md5(id || ':' || %s), attempts = attempts + 1, done_count = done_count + 1, "
                    "processed_at = now() WHERE id = %s",
                    (label, provider, label, claim_id),
                )
                done += 1
        conn.commit()
    for _ in range(done):
        router.count_processed()
    return len(rows)


def work_loop(pool: db.Pool, router: Router, stop: threading.Event) -> None:
    config = router.config
    db_down = False
    while not stop.is_set():
        try:
            taken = process_batch(pool, router, config.batch_size, config.lease)
        except db.Error as exc:
            if not db_down:
                log("database_error", detail=str(exc).strip()[:300])
            db_down = True
            stop.wait(0.5)
            continue
        except Exception as exc:  # the loop must outlive any bug: a dead thread would look healthy
            log("worker_error", detail=f"{type(exc).__name__}: {exc}"[:300])
            stop.wait(0.5)
            continue
        if db_down:
            log("database_back")
            db_down = False
        if taken == 0:
            stop.wait(config.idle_poll)
        elif router.active == NONE:
            stop.wait(0.2)  # both providers down: do not spin on the same pending claims


class StatusHandler(serving.JsonHandler):
    server_version = "drdrill-worker/1"
    router: Router  # set on the class by main()

    def do_GET(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path == "/status":
            self.send_json(200, self.router.status())
        elif self.path == "/health":
            self.send_json(200, {"status": "ok"})
        else:
            self.send_json(404, {"error": f"unknown path {self.path}"})


def main() -> None:
    config = Config.from_env()
    if config.lease not in ("lock", "hostname"):
        raise SystemExit(f"LEASE must be lock or hostname, not {config.lease!r}")
    pool = db.Pool(db.dsn(), size=2)
    db.with_retries(
        lambda: db.ensure_schema(pool),
        attempts=int(os.environ.get("DB_START_ATTEMPTS", "300")),
        delay=0.2,
        on_error=lambda message: log("waiting_for_database", detail=message),
    )
    router = Router(config)
    StatusHandler.router = router
    port = int(os.environ.get("PORT", "8081"))
    server = serving.Server(("0.0.0.0", port), StatusHandler)
    stop = threading.Event()  # never set: the process exits from serve_until_signalled
    threading.Thread(target=work_loop, args=(pool, router, stop), daemon=True).start()
    log("started", port=port, primary_url=config.primary_url, backup_url=config.backup_url)
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
