"""Q&A API: accepts questions, answers 202 with a job id once the job is durably queued in Redis.

    POST /questions  {"request_id": "...", "question": "..."}  -> 202 {"job_id", "request_id", "status": "queued"}
    GET  /jobs/<job_id>                                       -> 200 {"job_id", "request_id", "status", ...}
    GET  /health                                              -> 200 when Redis answers, else 503

A job's status is ``queued`` (waiting or being answered), ``done`` (with the answer) or ``failed``. There is
no listing of answers over HTTP: they live in the Redis hash ``answers``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from typing import Any
from urllib.parse import unquote

import redis
import serving
import store

JOB_PATH = re.compile(r"^/jobs/(?P<id>[^/?#]+)$")


def validate(body: Any) -> tuple[str, str]:
    """Return (request_id, question) or raise ValueError naming the bad field."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    request_id, question = body.get("request_id"), body.get("question")
    if not isinstance(request_id, str) or not request_id or len(request_id) > 200:
        raise ValueError("request_id must be a non-empty string of at most 200 characters")
    if not isinstance(question, str) or not question.strip() or len(question) > 4000:
        raise ValueError("question must be a non-empty string of at most 4000 characters")
    return request_id, question


# REPLICATED=1: a job is acknowledged once every replica of the queue has it (else the primary's fsync is enough).
REPLICATED = os.environ.get("REPLICATED", "0") == "1"
REPLICA_TIMEOUT_MS = int(os.environ.get("REPLICA_TIMEOUT_MS", "1000"))


class Handler(serving.JsonHandler):
    server_version = "qa-api/1"
    client: redis.Redis  # set on the class by main()
    accept: Any  # the registered ACCEPT script

    def do_POST(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path != "/questions":
            self.send_json(404, {"error": f"unknown path {self.path}"})
            return
        try:
            request_id, question = validate(self.read_json())
        except ValueError as exc:
            self.send_json(400, {"error": str(exc)})
            return
        record = json.dumps({"request_id": request_id, "question": question, "accepted_at": time.time()})
        try:
            # Every replica the queue has now must hold the job before it is acknowledged: WAIT counts the
            # replicas that have this connection's writes, so the job and the WAIT go down one connection.
            replicas = self._replicas() if REPLICATED else 0
            with self.client.pipeline(transaction=False) as pipe:
                self.accept(
                    keys=[store.JOBS, store.JOB_OF, store.QUEUE],
                    args=[request_id, uuid.uuid4().hex, record],
                    client=pipe,
                )
                if replicas:
                    pipe.execute_command("WAIT", replicas, REPLICA_TIMEOUT_MS)
                answers = pipe.execute()
        except redis.RedisError as exc:
            # Not acknowledged: the client may retry with the same request_id and get one job.
            self.send_json(503, {"error": "queue unavailable", "detail": str(exc)[:300]})
            return
        job_id = answers[0]
        if replicas and int(answers[1]) < replicas:
            # Queued on the primary, not confirmed in the other zone: neither acknowledged nor refused (a retry
            # with the same request_id gets the same job).
            self.send_json(504, {"error": "not confirmed by the replicas", "job_id": job_id})
            return
        self.send_json(202, {"job_id": job_id, "request_id": request_id, "status": "queued"})

    def _replicas(self) -> int:
        """How many replicas the queue has now (none after a failover: then the primary's fsync is all)."""
        return int(self.client.info("replication").get("connected_slaves", 0))

    def do_GET(self) -> None:  # noqa: N802 - http.server dispatches on this name
        try:
            if self.path == "/health":
                self.client.ping()
                self.send_json(200, {"status": "ok"})
            elif match := JOB_PATH.match(self.path):
                self._job(unquote(match["id"]))
            else:
                self.send_json(404, {"error": f"unknown path {self.path}"})
        except redis.RedisError as exc:
            self.send_json(503, {"error": "queue unavailable", "detail": str(exc)[:300]})

    def _job(self, job_id: str) -> None:
        raw = self.client.hget(store.JOBS, job_id)
        if raw is None:
            self.send_json(404, {"error": f"no job {job_id}"})
            return
        request_id = json.loads(raw)["request_id"]
        answer, failure = self.client.hget(store.ANSWERS, request_id), self.client.hget(store.FAILED, job_id)
        body: dict[str, Any] = {"job_id": job_id, "request_id": request_id, "status": "queued"}
        if answer is not None:
            body.update(json.loads(answer), status="done")
        elif failure is not None:
            body.update(status="failed", reason=failure)
        self.send_json(200, body)


def main() -> None:
    client = store.connect()
    store.wait_until_up(client, lambda message: serving.log("waiting_for_redis", detail=message))
    Handler.client = client
    Handler.accept = client.register_script(store.ACCEPT)
    port = int(os.environ.get("PORT", "8000"))
    server = serving.Server(("0.0.0.0", port), Handler)
    serving.log("started", port=port)
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
