"""The jobs in Redis: one place for the key names, so the API, the worker and a drill agree on them.

    jobs        hash  job_id -> {"request_id", "question", "accepted_at"}   every job ever accepted
    job_of      hash  request_id -> job_id                                  a repeated request_id is one job
    queue       list  job ids waiting (pushed on the left, taken from the right: oldest first)
    processing  list  job ids a worker has taken and not finished (the reliable-queue pattern)
    answers     hash  request_id -> {"job_id", "answer", "provider", "sources", "answered_at"}
    failed      hash  job_id -> reason, for a job that can never be answered (its record is unreadable)

Redis runs with `--appendonly yes --appendfsync always`: a command's reply means it is on disk, so a job the
API acknowledged survives a crash of Redis itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import redis

JOBS, JOB_OF, QUEUE, PROCESSING, ANSWERS, FAILED = (
    "jobs",
    "job_of",
    "queue",
    "processing",
    "answers",
    "failed",
)

# Accept a job atomically: a new request_id gets its record and its place in the queue in one step; a known one
# answers the job it already has, so a client that retries after a timeout does not queue the question twice.
ACCEPT = """
local known = redis.call('HGET', KEYS[2], ARGV[1])
if known then return known end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[3], ARGV[2])
return ARGV[2]
"""


def connect() -> redis.Redis:
    """A client for REDIS_URL; short timeouts, so an unreachable Redis is an error rather than a hang."""
    url = os.environ.get("REDIS_URL", "redis://redis:6379/0")
    return redis.Redis.from_url(url, socket_timeout=3.0, socket_connect_timeout=1.0, decode_responses=True)


def wait_until_up(client: redis.Redis, on_wait: Callable[[str], None], attempts: int = 600) -> None:
    """Ping until Redis answers (it may start after us), at most ``attempts`` times 0.2 s."""
    for attempt in range(attempts):
        try:
            client.ping()
            return
        except redis.RedisError as exc:
            if attempt % 25 == 0:
                on_wait(str(exc))
            time.sleep(0.2)
    client.ping()
