"""Q&A worker: takes queued questions, retrieves context, asks an AI provider, stores the answer.

Reliable queue (QUEUE_POP=reliable, the default): a job is moved atomically from ``queue`` to ``processing``
(BLMOVE) and leaves ``processing`` only in the same transaction that stores its answer. A provider failure puts
the job back at the head of the queue; a crash leaves it in ``processing``, and the next start puts it back, as
does the worker once Redis answers again after it was lost (a promoted replica holds the job it had in hand).
So an acknowledged question is answered at least once, and answering is idempotent (one entry per request_id).

QUEUE_POP=simple is the classic bug, kept for the broken twin of the example: BRPOP removes the job from Redis
as it is taken, so a job whose provider call fails is gone (a crash in the middle loses it too).

Providers: OpenAI-compatible ``POST {url}/chat/completions``. After FAILOVER_AFTER consecutive failures of
LLM_URL the worker fails over to LLM_BACKUP_URL; while on the backup it tries the primary again with a real
question every FAILBACK_INTERVAL seconds, and fails back when it answers. ``GET /status`` says which is in use.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import retrieval
import serving
import store

PRIMARY, BACKUP, NONE = "primary", "backup", "none"
DOCS = Path(__file__).resolve().parent / "docs"
SYSTEM_PROMPT = (
    "You answer questions about the Harbour Street library using only the context given. "
    "Name the document you used. If the context does not answer the question, say that you do not know."
)


class ProviderError(Exception):
    """No usable answer: connection refused or reset, timeout, HTTP error, or a body that is no completion."""


@dataclass(frozen=True)
class Config:
    primary_url: str
    backup_url: str
    failover_after: int
    request_timeout: float
    failback_interval: float
    model: str
    reliable: bool

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        pop = env.get("QUEUE_POP", "reliable")
        if pop not in {"reliable", "simple"}:
            raise SystemExit(f"QUEUE_POP must be reliable or simple, not {pop!r}")
        return cls(
            primary_url=env.get("LLM_URL", "http://provider-primary:8000/v1").rstrip("/"),
            backup_url=env.get("LLM_BACKUP_URL", "http://provider-backup:8000/v1").rstrip("/"),
            failover_after=int(env.get("FAILOVER_AFTER", "3")),
            request_timeout=float(env.get("REQUEST_TIMEOUT", "1.0")),
            failback_interval=float(env.get("FAILBACK_INTERVAL", "3")),
            model=env.get("MODEL_NAME", "qa-answerer"),
            reliable=pop == "reliable",
        )


def call_provider(base_url: str, model: str, messages: list[dict[str, str]], timeout: float) -> str:
    """One chat completion; its text, or ProviderError for anything unusable."""
    body = json.dumps({"model": model, "temperature": 0, "messages": messages}).encode()
    request = urllib.request.Request(
        f"{base_url}/chat/completions", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            completion = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:  # refused, reset, timed out, not JSON
        raise ProviderError(f"{type(exc).__name__}: {exc}") from exc
    try:
        text = completion["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ProviderError(f"not a completion: {exc!r}") from exc
    if not isinstance(text, str) or not text.strip():
        raise ProviderError("empty completion")
    return text.strip()


class Router:
    """Which provider answers, with failover and fail-back; the counters behind ``GET /status``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.active = PRIMARY
        self.failovers = self.failbacks = self.answered = self.dropped = 0
        self._failures = 0
        self._last_primary_try = 0.0
        self._lock = threading.Lock()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "provider": self.active,
                "failovers": self.failovers,
                "failbacks": self.failbacks,
                "answered": self.answered,
                "dropped": self.dropped,
                "consecutive_failures": self._failures,
                "queue_pop": "reliable" if self.config.reliable else "simple",
            }

    def count(self, answered: int = 0, dropped: int = 0) -> None:
        with self._lock:
            self.answered += answered
            self.dropped += dropped

    def _switch(self, to: str, reason: str) -> None:
        with self._lock:
            before, self.active, self._failures = self.active, to, 0
            if to == BACKUP and before == PRIMARY:
                self.failovers += 1
                event = "failover"
            elif to == PRIMARY:
                self.failbacks += 1
                event = "failback"
            else:
                event = "provider_change"
        serving.log(event, from_provider=before, to_provider=to, reason=reason)

    def _failed(self) -> int:
        with self._lock:
            self._failures += 1
            return self._failures

    def _ok(self) -> None:
        with self._lock:
            self._failures = 0

    def _ask(self, provider: str, messages: list[dict[str, str]]) -> str:
        url = self.config.primary_url if provider == PRIMARY else self.config.backup_url
        return call_provider(url, self.config.model, messages, self.config.request_timeout)

    def answer(self, messages: list[dict[str, str]]) -> tuple[str, str]:
        """(answer, provider); ProviderError when the provider in use failed this time."""
        if self.active == PRIMARY:
            try:
                text = self._ask(PRIMARY, messages)
            except ProviderError as exc:
                failures = self._failed()
                if failures >= self.config.failover_after:
                    self._last_primary_try = time.monotonic()
                    self._switch(BACKUP, f"{failures} consecutive primary failures, last: {exc}")
                raise
            self._ok()
            return text, PRIMARY
        now = time.monotonic()
        if now - self._last_primary_try >= self.config.failback_interval:
            self._last_primary_try = now
            try:
                text = self._ask(PRIMARY, messages)
            except ProviderError:
                pass  # still down: the backup answers this one
            else:
                self._switch(PRIMARY, "primary answered again")
                return text, PRIMARY
        try:
            text = self._ask(BACKUP, messages)
        except ProviderError as exc:
            failures = self._failed()
            if self.active == BACKUP and failures >= self.config.failover_after:
                self._switch(NONE, f"{failures} consecutive backup failures, last: {exc}")
            raise
        if self.active != BACKUP:
            self._switch(BACKUP, "backup answered again")
        self._ok()
        return text, BACKUP


def prompt(documents: list[retrieval.Document], question: str) -> tuple[list[dict[str, str]], list[str]]:
    """The chat messages for one question, and the names of the documents put in its context."""
    found = retrieval.retrieve(documents, question)
    context = "\n\n".join(f"[{d.name}]\n{d.text.strip()}" for d in found)
    user = f"Context:\n\n{context}\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}], [
        d.name for d in found
    ]


class Worker:
    def __init__(self, client: redis.Redis, router: Router, documents: list[retrieval.Document]) -> None:
        self.client, self.router, self.documents = client, router, documents
        self.reliable = router.config.reliable

    def recover(self) -> int:
        """Put back every job a previous run of this worker had taken and not finished (one worker per queue)."""
        moved = 0
        while self.client.lmove(store.PROCESSING, store.QUEUE, "LEFT", "RIGHT") is not None:
            moved += 1
        return moved

    def take(self) -> str | None:
        if self.reliable:
            moved = self.client.blmove(store.QUEUE, store.PROCESSING, 1, "RIGHT", "LEFT")
            return None if moved is None else str(moved)
        # The bug of the broken twin: from here on the job exists only in this process's memory.
        popped = self.client.brpop([store.QUEUE], 1)
        return None if popped is None else str(popped[1])

    def _finish(self, pipe: Any, job_id: str) -> None:
        if self.reliable:
            pipe.lrem(store.PROCESSING, 1, job_id)
        pipe.execute()

    def handle(self, job_id: str) -> None:
        raw = self.client.hget(store.JOBS, job_id)
        try:
            record = json.loads(raw or "")
            request_id, question = str(record["request_id"]), str(record["question"])
        except (ValueError, KeyError, TypeError):
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(store.FAILED, job_id, "the job's record is missing or unreadable")
            self._finish(pipe, job_id)
            return
        if self.client.hexists(
            store.ANSWERS, request_id
        ):  # answered before a crash: at least once, stored once
            self._finish(self.client.pipeline(transaction=True), job_id)
            return
        messages, sources = prompt(self.documents, question)
        try:
            text, provider = self.router.answer(messages)
        except ProviderError as exc:
            self._not_answered(job_id, request_id, exc)
            return
        answer = {
            "job_id": job_id,
            "answer": text,
            "provider": provider,
            "sources": sources,
            "answered_at": time.time(),
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(store.ANSWERS, request_id, json.dumps(answer))
        self._finish(pipe, job_id)
        self.router.count(answered=1)

    def _not_answered(self, job_id: str, request_id: str, exc: ProviderError) -> None:
        if not self.reliable:
            self.router.count(dropped=1)
            serving.log("job_dropped", job_id=job_id, request_id=request_id, reason=str(exc)[:200])
            return
        # Back to the head of the queue (the end it is taken from), so it is the next one tried.
        pipe = self.client.pipeline(transaction=True)
        pipe.lrem(store.PROCESSING, 1, job_id)
        pipe.rpush(store.QUEUE, job_id)
        pipe.execute()
        if self.router.active == NONE:
            time.sleep(0.2)  # no provider answers: do not spin on the same question

    def loop(self) -> None:
        redis_down = False
        while True:
            try:
                if redis_down:
                    # The job in hand when Redis went away stays in ``processing`` (on a promoted replica too,
                    # which had the move replicated): nobody would take it again. This worker takes one job at a
                    # time and holds none now, so every job there is put back before the next is taken.
                    serving.log("redis_back", put_back=self.recover() if self.reliable else 0)
                    redis_down = False
                job_id = self.take()
                if job_id is not None:
                    self.handle(job_id)
            except redis.RedisError as exc:
                if not redis_down:
                    serving.log("redis_error", detail=str(exc)[:300])
                redis_down = True
                time.sleep(0.5)
            except Exception as exc:  # the loop must outlive any bug: a dead thread would look healthy
                serving.log("worker_error", detail=f"{type(exc).__name__}: {exc}"[:300])
                time.sleep(0.5)


class StatusHandler(serving.JsonHandler):
    server_version = "qa-worker/1"
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
    client = store.connect()
    store.wait_until_up(client, lambda message: serving.log("waiting_for_redis", detail=message))
    router = Router(config)
    worker = Worker(client, router, retrieval.load(DOCS))
    recovered = worker.recover() if config.reliable else 0
    StatusHandler.router = router
    port = int(os.environ.get("PORT", "8081"))
    server = serving.Server(("0.0.0.0", port), StatusHandler)
    threading.Thread(target=worker.loop, daemon=True).start()
    serving.log(
        "started",
        port=port,
        primary_url=config.primary_url,
        backup_url=config.backup_url,
        queue_pop="reliable" if config.reliable else "simple",
        recovered=recovered,
    )
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
