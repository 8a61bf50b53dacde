"""The Python part of the Q&A service's system contract: a final read that goes straight to Redis.

The plan (plan/plan.yaml) declares the writes, the probe and the failover signal over HTTP; only the final read
has no HTTP form, because no endpoint lists the answers. pytest loads this file when ``--drill`` collects the
plan's scenario files (they are below this folder), and drdrill asks ``pytest_drdrill_system`` for the system
in the drill's setup, after collection.

Every conftest.py pytest loaded answers the hook, so this one answers only for its own plans and leaves every
other drill to its own plan.
"""

from __future__ import annotations

import json

import pytest
import redis

from drdrill.plan import Plan
from drdrill.system import DrillSystem, FinalRead, HttpSystem

# The example's plan and its broken twin (broken/plan/plan.yaml): the same system, so the same final read.
PLANS = frozenset({"qa-service", "qa-service-broken"})
# The key names of app/store.py.
JOBS, QUEUE, PROCESSING, ANSWERS = "jobs", "queue", "processing", "answers"


class QaSystem(HttpSystem):
    """The plan's HTTP contract, with a final read from the ``answers`` hash and the two job lists."""

    def final_read(self) -> FinalRead:
        """``held``: every question queued, in flight or answered; ``done``: the answered ones."""
        host, port = self.replica.address("redis", 6379)
        client = redis.Redis(
            host=host, port=port, socket_timeout=5.0, socket_connect_timeout=2.0, decode_responses=True
        )
        try:
            # One MULTI: the worker moves a job from `processing` to `answers` in a transaction of its own,
            # so a snapshot never sees it in neither (nor counts it twice).
            pipe = client.pipeline(transaction=True)
            pipe.lrange(QUEUE, 0, -1)
            pipe.lrange(PROCESSING, 0, -1)
            pipe.hgetall(JOBS)
            pipe.hkeys(ANSWERS)
            queued, in_flight, jobs, answered = pipe.execute()
        finally:
            client.close()
        waiting = {json.loads(jobs[job])["request_id"] for job in [*queued, *in_flight] if job in jobs}
        done = frozenset(answered)
        return FinalRead(
            held=frozenset(waiting) | done,
            done=done,
            detail=f"{len(done)} answered and {len(waiting)} waiting in Redis at {host}:{port}",
        )


def pytest_drdrill_system(config: pytest.Config, plan: Plan) -> DrillSystem | None:
    if plan.name not in PLANS:
        return None  # another plan's drill: its own contract (or conftest) answers
    return QaSystem.from_plan(plan)
