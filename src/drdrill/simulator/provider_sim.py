"""OpenAI-compatible chat-completions simulator for the staging claims system.

It classifies insurance claims deterministically from their text (auto, property, health, liability,
other), so a drill can check answers without a real model. An admin endpoint injects HTTP-level faults
(status codes, error rate, latency) that Toxiproxy cannot express because it works at the TCP level.

Standard library only: it runs inside the locally built base image.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import serving

LABELS = ("auto", "property", "health", "liability", "other")

# Keyword stems per label; a word matches a stem when it starts with it ("collid" matches "collided").
KEYWORDS: dict[str, tuple[str, ...]] = {
    "auto": (
        "car",
        "vehicle",
        "auto",
        "collision",
        "collid",
        "crash",
        "windshield",
        "truck",
        "motorcycle",
        "bumper",
        "traffic",
        "parking",
        "tyre",
        "tire",
    ),
    "property": (
        "house",
        "home",
        "roof",
        "fire",
        "flood",
        "burglar",
        "theft",
        "stolen",
        "storm",
        "basement",
        "apartment",
        "pipe",
        "leak",
        "kitchen",
    ),
    "health": (
        "hospital",
        "doctor",
        "surgery",
        "medical",
        "illness",
        "prescription",
        "ambulance",
        "dental",
        "clinic",
        "physiotherap",
        "diagnos",
    ),
    "liability": (
        "lawsuit",
        "sued",
        "sue",
        "liabilit",
        "negligen",
        "slipped",
        "tripped",
        "visitor",
        "customer",
        "bite",
        "bitten",
        "third-party",
    ),
}

_WORD = re.compile(r"[a-z][a-z\-]*")


def classify(text: str) -> str:
    """Return the label of a claim text: the label with most keyword hits, ties in LABELS order."""
    words = _WORD.findall(text.lower())
    best_label, best_hits = "other", 0
    for label in LABELS[:-1]:
        stems = KEYWORDS[label]
        hits = sum(1 for word in words if any(word.startswith(stem) for stem in stems))
        if hits > best_hits:
            best_label, best_hits = label, hits
    return best_label


@dataclass
class Fault:
    """An HTTP-level fault: answer `status` with probability `error_rate` after `latency_ms`.

    `malformed`: answer 200 with a body cut off mid-JSON instead (a provider that changed or broke its format).
    `retry_after_s`: sent as Retry-After with an error status.
    """

    status: int = 503
    error_rate: float = 1.0
    latency_ms: int = 0
    malformed: bool = False
    retry_after_s: int | None = None


@dataclass
class Stats:
    requests: int = 0
    completions: int = 0
    errors: int = 0


class Simulator:
    """State shared by the request threads."""

    def __init__(self, name: str, model: str, seed: int) -> None:
        self.name = name
        self.model = model
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.fault: Fault | None = None
        self.stats = Stats()
        self.by_label: dict[str, int] = dict.fromkeys(LABELS, 0)

    def set_fault(self, fault: Fault | None) -> None:
        with self._lock:
            self.fault = fault

    def draw_fault(self) -> Fault | None:
        """Count a request and decide whether the current fault hits it."""
        with self._lock:
            self.stats.requests += 1
            fault = self.fault
            if fault is None:
                return None
            if fault.error_rate >= 1.0 or self._random.random() < fault.error_rate:
                return fault
            return Fault(status=200, error_rate=0.0, latency_ms=fault.latency_ms)  # spared: slow but sound

    def record(self, label: str | None) -> None:
        with self._lock:
            if label is None:
                self.stats.errors += 1
            else:
                self.stats.completions += 1
                self.by_label[label] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "provider": self.name,
                "model": self.model,
                **asdict(self.stats),
                "by_label": dict(self.by_label),
                "fault": asdict(self.fault) if self.fault else None,
            }


def parse_fault(body: dict[str, Any]) -> Fault:
    """Validate an admin fault body; raise ValueError with a message naming the bad field."""
    status = body.get("status", 503)
    error_rate = body.get("error_rate", 1.0)
    latency_ms = body.get("latency_ms", 0)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code 100..599, got {status!r}")
    if not isinstance(error_rate, int | float) or not 0.0 <= float(error_rate) <= 1.0:
        raise ValueError(f"error_rate must be a number in 0..1, got {error_rate!r}")
    if not isinstance(latency_ms, int) or latency_ms < 0:
        raise ValueError(f"latency_ms must be a non-negative integer, got {latency_ms!r}")
    malformed = body.get("malformed", False)
    if not isinstance(malformed, bool):
        raise ValueError(f"malformed must be true or false, got {malformed!r}")
    retry_after_s = body.get("retry_after_s")
    if retry_after_s is not None and (not isinstance(retry_after_s, int) or retry_after_s < 0):
        raise ValueError(f"retry_after_s must be a non-negative integer, got {retry_after_s!r}")
    return Fault(
        status=status,
        error_rate=float(error_rate),
        latency_ms=latency_ms,
        malformed=malformed,
        retry_after_s=retry_after_s,
    )


def completion(model: str, prompt: str, label: str) -> dict[str, Any]:
    """An OpenAI chat.completion object whose message content is the label."""
    prompt_tokens = max(1, len(prompt.split()))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": label},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 1, "total_tokens": prompt_tokens + 1},
    }


def last_user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list")
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
    raise ValueError("no user message with string content")


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class Handler(serving.JsonHandler):
    server_version = "drdrill-provider-sim/1"
    sim: Simulator  # set on the class by main()

    def _read_json(self) -> dict[str, Any]:
        body = self.read_json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return body

    def do_GET(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path in ("/health", "/healthz"):
            self.send_json(200, {"status": "ok", "provider": self.sim.name})
        elif self.path == "/v1/models":
            model = {"id": self.sim.model, "object": "model", "created": 0, "owned_by": "drdrill"}
            self.send_json(200, {"object": "list", "data": [model]})
        elif self.path == "/_sim/stats":
            self.send_json(200, self.sim.snapshot())
        else:
            self.send_json(404, error_body(f"unknown path {self.path}", "invalid_request_error"))

    def do_POST(self) -> None:  # noqa: N802 - http.server dispatches on this name
        try:
            body = self._read_json()
        except ValueError as exc:
            self.send_json(400, error_body(f"invalid JSON body: {exc}", "invalid_request_error"))
            return
        if self.path == "/v1/chat/completions":
            self._chat(body)
        elif self.path == "/_sim/fault":
            try:
                fault = parse_fault(body)
            except ValueError as exc:
                self.send_json(400, {"error": str(exc)})
                return
            self.sim.set_fault(fault)
            self.send_json(200, {"fault": asdict(fault)})
        else:
            self.send_json(404, error_body(f"unknown path {self.path}", "invalid_request_error"))

    def do_DELETE(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path == "/_sim/fault":
            self.sim.set_fault(None)
            self.send_json(200, {"fault": None})
        else:
            self.send_json(404, error_body(f"unknown path {self.path}", "invalid_request_error"))

    def _chat(self, body: dict[str, Any]) -> None:
        fault = self.sim.draw_fault()
        if fault is not None and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault is not None and fault.malformed:
            self.sim.record(None)
            self.send_raw(200, b'{"id": "chatcmpl-sim", "object": "chat.completion", "choices": [{"mess')
            return
        if fault is not None and fault.status != 200:
            self.sim.record(None)
            kind = "rate_limit_error" if fault.status == 429 else "server_error"
            headers = {} if fault.retry_after_s is None else {"Retry-After": str(fault.retry_after_s)}
            body = error_body(f"simulated fault {fault.status}", kind, "simulated")
            self.send_json(fault.status, body, headers)
            return
        try:
            text = last_user_text(body)
        except ValueError as exc:
            self.sim.record(None)
            self.send_json(400, error_body(str(exc), "invalid_request_error"))
            return
        label = classify(text)
        self.sim.record(label)
        self.send_json(200, completion(str(body.get("model") or self.sim.model), text, label))


def main() -> None:
    name = os.environ.get("PROVIDER_NAME", "primary")
    Handler.sim = Simulator(
        name=name,
        model=os.environ.get("MODEL_NAME", f"sim-{name}"),
        seed=int(os.environ.get("SIM_SEED", "1")),
    )
    port = int(os.environ.get("PORT", "8000"))
    server = serving.Server(("0.0.0.0", port), Handler)
    print(json.dumps({"event": "listening", "provider": name, "port": port}), flush=True)
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
