"""Classifier worker of the staging claims system: each claim labelled by an AI provider through the vendor's
official SDK, with failover.

It takes pending claims (`FOR UPDATE SKIP LOCKED`) and asks the primary provider for the label through the openai
SDK (the Responses API, streamed), or the backup through the anthropic SDK (the messages API). The SDKs' own
timeouts, retries and backoff are part of the worker, as in production. An answer counts only when it is whole and
is one of the five labels: a stream that breaks off (no `response.completed`) or text that is not a label is a
failure, never a label.

After FAILOVER_AFTER consecutive primary failures it labels on the backup; from there a prober of its own asks the
primary a question every FAILBACK_INTERVAL seconds, and labelling fails back after FAILBACK_AFTER good answers in a
row (a primary that comes and goes does not get the traffic back). A claim no provider could label stays pending and is
retried: never dropped. A 429's (or 503's) Retry-After is honoured: no call to that provider before it allows one.

The fleet's shared settings (table `settings`, written by the monitor's operations API) are read every
SETTINGS_POLL seconds: `primary_hold` (labelling kept off the primary, e.g. while its key is rotated or its quality
is in doubt) and `primary_model_pin` (a model version to ask for instead of the model name). The primary's key is
PRIMARY_API_KEY, or the contents of PRIMARY_KEY_FILE once a rotation wrote it there (read again when it changes).

Each failover / failback is logged to stdout as one JSON line with a UTC timestamp.

Careless settings, for the broken twins of the drills: RETRY_AFTER=ignore (call again at once after a 429),
STREAM_CHECK=lenient (keep whatever text arrived before a stream broke off, and take any text as a label),
FAILBACK_AFTER=1 (fail back at the first good answer).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anthropic
import db
import openai
import serving

LABELS = frozenset({"auto", "property", "health", "liability", "other"})
PRIMARY, BACKUP, NONE = "primary", "backup", "none"
SYSTEM_PROMPT = (
    "Classify the insurance claim. Answer with one word: auto, property, health, liability or other."
)
PROBE_QUESTION = "Is the primary back? My car was rear-ended at a traffic light."


def log(event: str, **fields: Any) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    print(json.dumps({"ts": stamp, "event": event, **fields}), flush=True)


def fingerprint(key: str) -> str:
    """What the worker says of a key: enough to tell keys apart (as the provider's usage report does), never
    the key."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:12]


class ProviderError(Exception):
    """The provider did not give a usable answer (network error, timeout, HTTP error, cut stream, bad content).

    ``retry_after_s``: the provider said when to call again (429/503 with Retry-After)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


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
    failback_after: int = 3
    backup_model: str = "claims-classifier-backup"
    primary_key: str = "sk-claims-dev"
    primary_key_file: str = ""
    backup_key: str = "sk-ant-claims-dev"
    max_retries: int = 1
    retry_after: str = "honour"  # honour | ignore
    stream_check: str = "strict"  # strict | lenient
    settings_poll: float = 0.25

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        return cls(
            primary_url=env.get("PRIMARY_URL", "http://provider-primary:8000/v1").rstrip("/"),
            backup_url=env.get("BACKUP_URL", "http://provider-backup:8000").rstrip("/"),
            failover_after=int(env.get("FAILOVER_AFTER", "3")),
            request_timeout=float(env.get("REQUEST_TIMEOUT", "1.0")),
            failback_interval=float(env.get("FAILBACK_INTERVAL", "1")),
            failback_after=int(env.get("FAILBACK_AFTER", "3")),
            model=env.get("MODEL_NAME", "claims-classifier"),
            backup_model=env.get("BACKUP_MODEL_NAME", "claims-classifier-backup"),
            batch_size=int(env.get("BATCH_SIZE", "10")),
            idle_poll=float(env.get("IDLE_POLL", "0.1")),
            lease=env.get("LEASE", "lock"),
            primary_key=env.get("PRIMARY_API_KEY", "sk-claims-dev"),
            primary_key_file=env.get("PRIMARY_KEY_FILE", ""),
            backup_key=env.get("BACKUP_API_KEY", "sk-ant-claims-dev"),
            max_retries=int(env.get("MAX_RETRIES", "1")),
            retry_after=env.get("RETRY_AFTER", "honour"),
            stream_check=env.get("STREAM_CHECK", "strict"),
            settings_poll=float(env.get("SETTINGS_POLL", "0.25")),
        )

    def problems(self) -> list[str]:
        """Settings that cannot work, in words."""
        found = []
        if self.lease not in ("lock", "hostname"):
            found.append(f"LEASE must be lock or hostname, not {self.lease!r}")
        if self.retry_after not in ("honour", "ignore"):
            found.append(f"RETRY_AFTER must be honour or ignore, not {self.retry_after!r}")
        if self.stream_check not in ("strict", "lenient"):
            found.append(f"STREAM_CHECK must be strict or lenient, not {self.stream_check!r}")
        if self.failback_after < 1 or self.failover_after < 1:
            found.append("FAILOVER_AFTER and FAILBACK_AFTER must be at least 1")
        return found


class Key:
    """The primary's API key: PRIMARY_API_KEY, or PRIMARY_KEY_FILE once a rotation wrote it (read again when its
    modification time changes, so a rotated key is taken up without a restart)."""

    def __init__(self, value: str, path: str) -> None:
        self._value = value
        self._path = path
        self._seen: float | None = None
        self._from_file: str | None = None

    def current(self) -> str:
        if not self._path:
            return self._value
        try:
            changed = os.stat(self._path).st_mtime
        except OSError:
            return self._from_file or self._value
        if changed != self._seen:
            try:
                with open(self._path, encoding="utf-8") as handle:
                    text = handle.read().strip()
            except OSError:
                text = ""
            if text:
                self._from_file, self._seen = text, changed
        return self._from_file or self._value


def _retry_after(response: Any) -> float | None:
    """The wait a provider asked for: retry-after-ms (as the SDKs read it first), else Retry-After seconds."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                continue
    return None


@dataclass(frozen=True)
class Answer:
    label: str
    version: str  # the model version that answered, as the provider names it


class PrimaryProvider:
    """The primary, through the openai SDK: the Responses API, streamed. The key is read for every request (a
    rotated key is taken up at once), and every HTTP request the SDK makes, its own retries included, is counted
    by the key it carried (``on_request``): what the provider's usage report can be set against."""

    def __init__(
        self, config: Config, key: Key, on_request: Callable[[str], None] = lambda key: None
    ) -> None:
        self._config = config
        self._on_request = on_request
        self._client = openai.OpenAI(
            base_url=config.primary_url,
            api_key=key.current,
            timeout=config.request_timeout,
            max_retries=config.max_retries,
            http_client=openai.DefaultHttpx2Client(event_hooks={"request": [self._counted]}),
        )

    def close(self) -> None:
        self._client.close()

    def _counted(self, request: Any) -> None:
        auth = str(request.headers.get("authorization") or "")
        self._on_request(auth[7:] if auth.lower().startswith("bearer ") else auth)

    def ask(self, text: str, model: str) -> Answer:
        parts: list[str] = []
        completed: Any = None
        broke: Exception | None = None
        try:
            stream = self._client.responses.create(
                model=model, instructions=SYSTEM_PROMPT, input=text, stream=True
            )
            for event in stream:
                if event.type == "response.output_text.delta":
                    parts.append(event.delta)
                elif event.type == "response.completed":
                    completed = event.response
        except openai.APIStatusError as exc:
            raise ProviderError(f"HTTP {exc.status_code}", _retry_after(exc.response)) from exc
        except (openai.APIError, OSError, ValueError) as exc:  # cut streams, timeouts, broken chunks
            broke = exc
        lenient = self._config.stream_check == "lenient"
        if broke is not None and not (lenient and parts):
            raise ProviderError(f"{type(broke).__name__}: {broke}"[:300]) from broke
        if completed is None and not lenient:
            raise ProviderError("the answer's stream ended without response.completed: half an answer")
        label = "".join(parts).strip().lower()
        version = str(getattr(completed, "model", "") or model)
        return Answer(label, version)


class BackupProvider:
    """The backup, through the anthropic SDK: the messages API."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._client = anthropic.Anthropic(
            base_url=config.backup_url,
            api_key=config.backup_key,
            timeout=config.request_timeout,
            max_retries=config.max_retries,
        )

    def close(self) -> None:
        self._client.close()

    def ask(self, text: str, model: str) -> Answer:
        try:
            message = self._client.messages.create(
                model=model, max_tokens=8, system=SYSTEM_PROMPT, messages=[{"role": "user", "content": text}]
            )
        except anthropic.APIStatusError as exc:
            raise ProviderError(f"HTTP {exc.status_code}", _retry_after(exc.response)) from exc
        except (anthropic.APIError, OSError, ValueError) as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        texts = [block.text for block in message.content if block.type == "text"]
        if not texts:
            raise ProviderError("the answer holds no text block")
        return Answer("".join(texts).strip().lower(), message.model)


@dataclass(frozen=True)
class Settings:
    """The fleet's shared settings (table `settings`)."""

    primary_hold: str = ""  # why labelling is kept off the primary ("" : it is not)
    primary_model_pin: str = ""  # the model version to ask the primary for ("" : the model name)


class Router:
    """Provider selection with failover and fail-back; thread-safe counters for /status."""

    def __init__(
        self,
        config: Config,
        primary: PrimaryProvider | None = None,
        backup: BackupProvider | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.clock = clock
        self.active = PRIMARY
        self.failovers = 0
        self.failbacks = 0
        self.processed = 0
        self.consecutive_failures = 0
        self.failback_streak = 0
        self.settings = Settings()
        self.calls_by_key: dict[str, int] = {}
        self.held_back = 0  # calls not made because a Retry-After had not run out
        self.last_version = ""
        self._blocked_until = {PRIMARY: 0.0, BACKUP: 0.0}
        self.holding = 0  # claims taken and not yet finished: lost with this worker if it goes now
        self._lock = threading.Lock()
        self.primary = primary or PrimaryProvider(
            config, Key(config.primary_key, config.primary_key_file), self._count_key
        )
        self.backup = backup or BackupProvider(config)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "active_provider": self.active,
                "failovers": self.failovers,
                "failbacks": self.failbacks,
                "processed": self.processed,
                "consecutive_failures": self.consecutive_failures,
                "primary_hold": self.settings.primary_hold,
                "model_pin": self.settings.primary_model_pin,
                "model_version": self.last_version,
                "calls_by_key": dict(self.calls_by_key),
                "held_back": self.held_back,
                "holding": self.holding,
                "holds_claims": self.holding > 0,
            }

    def hold(self, count: int) -> None:
        with self._lock:
            self.holding = count

    def close(self) -> None:
        """Release both SDK clients' connections."""
        self.primary.close()
        self.backup.close()

    def count_processed(self) -> None:
        with self._lock:
            self.processed += 1

    def apply(self, settings: Settings) -> None:
        """Take the fleet's settings: a hold moves labelling off the primary at once; lifting it lets the
        fail-back probing bring it back."""
        with self._lock:
            before, self.settings = self.settings, settings
        if settings.primary_hold and self.active == PRIMARY:
            self._switch(BACKUP, f"labelling held off the primary: {settings.primary_hold}")
        if before.primary_model_pin != settings.primary_model_pin:
            log("model_pin", pin=settings.primary_model_pin or None)

    def _count_key(self, key: str) -> None:
        with self._lock:
            name = fingerprint(key)
            self.calls_by_key[name] = self.calls_by_key.get(name, 0) + 1

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
            self.failback_streak = 0
            counts = {"failovers": self.failovers, "failbacks": self.failbacks}
        log(event, from_provider=before, to_provider=to, reason=reason, **counts)

    def _fail(self) -> int:
        with self._lock:
            self.consecutive_failures += 1
            return self.consecutive_failures

    def _try(self, provider: str, text: str) -> str:
        now = self.clock()
        if self.config.retry_after == "honour" and now < self._blocked_until[provider]:
            with self._lock:
                self.held_back += 1
            left = self._blocked_until[provider] - now
            raise ProviderError(f"{provider} asked us to wait {left:.2f} s more (Retry-After)")
        try:
            if provider == PRIMARY:
                model = self.settings.primary_model_pin or self.config.model
                answer = self.primary.ask(text, model)
            else:
                answer = self.backup.ask(text, self.config.backup_model)
        except ProviderError as exc:
            if exc.retry_after_s is not None:
                self._blocked_until[provider] = self.clock() + exc.retry_after_s
            raise
        if answer.label not in LABELS and self.config.stream_check == "strict":
            # A truncated or off-script answer is a failure, not a success with a wrong label.
            raise ProviderError(f"unexpected label {answer.label[:40]!r}")
        if not answer.label:
            raise ProviderError("empty answer")
        if provider == PRIMARY:
            self.last_version = answer.version
        return answer.label

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
                self._switch(BACKUP, f"{failures} consecutive primary failures, last: {exc}")
            return None
        with self._lock:
            self.consecutive_failures = 0
        return label, PRIMARY

    def probe(self) -> bool:
        """Ask the primary a question of our own while labelling is off it (the fail-back prober, in a thread of its
        own so that a primary that hangs never holds up the labelling); after FAILBACK_AFTER good answers in a row
        labelling goes back to it. True when it answered."""
        if self.active == PRIMARY or self.settings.primary_hold:
            return False
        try:
            self._try(PRIMARY, PROBE_QUESTION)
        except ProviderError:
            with self._lock:
                self.failback_streak = 0
            return False
        with self._lock:
            self.failback_streak += 1
            streak = self.failback_streak
        if streak >= self.config.failback_after and not self.settings.primary_hold:
            self._switch(PRIMARY, f"primary answered {streak} time(s) in a row")
        return True

    def _on_fallback(self, text: str) -> tuple[str, str] | None:
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


def probe_loop(router: Router, stop: threading.Event) -> None:
    """The fail-back prober: every FAILBACK_INTERVAL while labelling is off the primary."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            router.probe()
        except Exception as exc:  # the prober must outlive any bug, or the worker never fails back
            log("worker_error", detail=f"prober: {type(exc).__name__}: {exc}"[:300])
        stop.wait(max(0.05, router.config.failback_interval - (time.monotonic() - started)))


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
    try:
        with pool.connection() as conn:
            with conn.cursor() as cur:
                rows = _take(cur, batch_size, lease)
                done = 0
                for left, (claim_id, text) in enumerate(rows):
                    router.hold(len(rows) - left)
                    result = router.classify(text)
                    if result is None:
                        cur.execute("UPDATE claims SET attempts = attempts + 1 WHERE id = %s", (claim_id,))
                        continue
                    label, provider = result
                    cur.execute(
                        "UPDATE claims SET status = 'processed', label = %s, provider = %s, "
                        "label_digest = md5(id || ':' || %s), attempts = attempts + 1, "
                        "done_count = done_count + 1, processed_at = now() WHERE id = %s",
                        (label, provider, label, claim_id),
                    )
                    done += 1
            conn.commit()
    finally:
        router.hold(0)
    for _ in range(done):
        router.count_processed()
    return len(rows)


def read_settings(pool: db.Pool) -> Settings:
    """The fleet's shared settings, as the monitor's operations API last wrote them."""
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT name, value FROM settings")
        found = dict(cur.fetchall())
        conn.rollback()
    return Settings(
        primary_hold=str(found.get("primary_hold") or ""),
        primary_model_pin=str(found.get("primary_model_pin") or ""),
    )


def work_loop(pool: db.Pool, router: Router, stop: threading.Event) -> None:
    config = router.config
    db_down = False
    next_settings = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_settings:
                router.apply(read_settings(pool))
                next_settings = time.monotonic() + config.settings_poll
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
    server_version = "drdrill-worker/2"
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
    problems = config.problems()
    if problems:
        raise SystemExit("; ".join(problems))
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
    threading.Thread(target=probe_loop, args=(router, stop), daemon=True).start()
    log("started", port=port, primary_url=config.primary_url, backup_url=config.backup_url)
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
