"""An OpenAI-compatible chat-completions provider to put in a staging replica in place of a real one.

Its answers are deterministic, so a drill can check them without a real model:

- with `SIM_RULES_FILE`, a JSON object ``{"<answer>": ["<keyword stem>", ...], ..., "_default": "<answer>"}``,
  the answer is the one whose stems the prompt hits most often (a word hits a stem when it starts with it:
  "collid" hits "collided"); ties go to the answer listed first. A prompt that hits nothing gets
  ``_default``, or when there is none the prompt's own answer below. This fits classification systems.
- without rules, the answer is ``sim answer <first 8 hex digits of sha256(prompt)>``: the same question always
  gets the same answer, different questions get different ones. This fits question-answering systems.

The prompt is the text of the last user message. An admin endpoint injects HTTP-level faults (status codes,
error rate, latency, a body cut off mid-JSON, Retry-After) that Toxiproxy cannot express because it works
at the TCP level:

    POST   /v1/chat/completions   GET /v1/models   GET /health
    GET    /v1/chat/completions/<id>   GET /v1/chat/completions?limit=N   (completions asked with "store": true)
    POST   /_sim/fault  {"status": 503, "error_rate": 1.0, "latency_ms": 0, "malformed": false, "retry_after_s": null,
                         "heal_after_ms": null}
    DELETE /_sim/fault
    GET    /_sim/stats  requests, completions, errors, by_answer, the current fault
    GET    /_sim/truth  every outage, dated on this process's CLOCK_MONOTONIC (ns), and the clock's reading now

Faults spoil chat completions only; the stored completions stay readable, as OpenAI's stored completions do.
A fault with `heal_after_ms` ends by itself that long after it was set, while it stays set until DELETE: a
transient outage whose true end is known to the nanosecond. `/_sim/truth` is the ground truth a drill's
measured times are checked against: on Linux a container shares the host kernel's CLOCK_MONOTONIC (there are
no time namespaces in a compose service), so its instants compare with the runner's journal directly.

Environment: PORT (8000), PROVIDER_NAME (primary), MODEL_NAME (sim-<name>), SIM_SEED (1, draws of a
partial error rate), SIM_RULES_FILE (none). Standard library only: it runs with the python3 of drdrill's
base image (the drdrill/provider-sim:local image), or anywhere with `python3 provider_sim.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn

DEFAULT_KEY = "_default"
# A word is a run of letters and hyphens, so "third-party" is one word and "car's" is "car" and "s".
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|-)*")
_BODY_LIMIT = 1024 * 1024

# --------------------------------------------------------------------------------------------- answers


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file and what is wrong in it."""


@dataclass(frozen=True)
class Rules:
    """Keyword stems per answer, in the file's order (the order breaks ties), and the no-hit answer."""

    stems: tuple[tuple[str, tuple[str, ...]], ...] = ()
    default: str | None = None

    @property
    def answers(self) -> tuple[str, ...]:
        """Every answer the rules can give (the prompt-derived one aside)."""
        named = tuple(answer for answer, _ in self.stems)
        return named if self.default is None or self.default in named else (*named, self.default)

    def match(self, prompt: str) -> str | None:
        """The answer with most stem hits in ``prompt`` (first listed on a tie), else ``default``."""
        words = _WORD.findall(prompt.casefold())
        best, best_hits = self.default, 0
        for answer, stems in self.stems:
            hits = sum(1 for word in words if word.startswith(stems))
            if hits > best_hits:
                best, best_hits = answer, hits
        return best


def prompt_answer(prompt: str) -> str:
    """The answer when no rule decides: stable for a prompt, different across prompts."""
    return f"sim answer {hashlib.sha256(prompt.encode()).hexdigest()[:8]}"


def answer(rules: Rules, prompt: str) -> str:
    """What the simulator answers to ``prompt``."""
    matched = rules.match(prompt)
    return prompt_answer(prompt) if matched is None else matched


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise RulesError(f"answer {key!r} is listed twice")
        seen[key] = value
    return seen


def parse_rules(text: str, source: str) -> Rules:
    """Parse and validate a rules document; raise RulesError naming ``source`` and the bad entry."""
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RulesError as exc:
        raise RulesError(f"{source}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise RulesError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(document, dict):
        raise RulesError(
            f"{source}: the rules must be a JSON object of answer -> list of keyword stems, "
            f"got {type(document).__name__}"
        )
    default = document.pop(DEFAULT_KEY, None)
    if default is not None and (not isinstance(default, str) or not default.strip()):
        raise RulesError(f"{source}: {DEFAULT_KEY} must be a non-empty answer string, got {default!r}")
    stems: list[tuple[str, tuple[str, ...]]] = []
    for key, value in document.items():
        if key.startswith("_"):
            raise RulesError(f"{source}: unknown option {key!r}; the only option is {DEFAULT_KEY!r}")
        if not key.strip():
            raise RulesError(f"{source}: an answer must be a non-empty string, got {key!r}")
        if not isinstance(value, list) or not value or not all(isinstance(stem, str) for stem in value):
            raise RulesError(
                f"{source}: answer {key!r} must map to a non-empty list of keyword stems, got {value!r}"
            )
        for stem in value:
            if _WORD.fullmatch(stem.casefold()) is None:
                raise RulesError(
                    f"{source}: answer {key!r}: keyword stem {stem!r} can never match "
                    "(a stem is letters and hyphens, starting with a letter)"
                )
        stems.append((key, tuple(stem.casefold() for stem in value)))
    return Rules(stems=tuple(stems), default=default)


def load_rules(path: str | None) -> Rules:
    """The rules of ``SIM_RULES_FILE`` (no path: no rules, every answer comes from its prompt)."""
    if not path:
        return Rules()
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file (SIM_RULES_FILE): {exc.strerror}") from None
    return parse_rules(text, path)


# ---------------------------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """An HTTP-level fault: answer `status` with probability `error_rate` after `latency_ms`.

    `malformed`: answer 200 with a body cut off mid-JSON instead (a provider that changed or broke its format).
    `retry_after_s`: sent as Retry-After with an error status.
    `heal_after_ms`: the fault stops spoiling answers this long after it was set (it stays set until cleared).
    """

    status: int = 503
    error_rate: float = 1.0
    latency_ms: int = 0
    malformed: bool = False
    retry_after_s: int | None = None
    heal_after_ms: int | None = None


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
    heal_after_ms = body.get("heal_after_ms")
    if heal_after_ms is not None and (
        isinstance(heal_after_ms, bool) or not isinstance(heal_after_ms, int) or heal_after_ms <= 0
    ):
        raise ValueError(f"heal_after_ms must be a positive integer, got {heal_after_ms!r}")
    return Fault(
        status=status,
        error_rate=float(error_rate),
        latency_ms=latency_ms,
        malformed=malformed,
        retry_after_s=retry_after_s,
        heal_after_ms=heal_after_ms,
    )


@dataclass
class Outage:
    """One fault set through the admin API, dated in nanoseconds of this process's monotonic clock.

    The outage is in place from ``set_ns`` until it heals (``heal_ns``) or is cleared (``cleared_ns``),
    whichever comes first: that span is the truth. ``first_faulty_ns`` and ``first_sound_ns`` are the first
    answer the fault decided and the first sound answer after the outage ended: the earliest instants any
    client of the simulator could have seen either edge.
    """

    fault: Fault
    set_ns: int
    heal_ns: int | None = None
    cleared_ns: int | None = None
    first_faulty_ns: int | None = None
    first_sound_ns: int | None = None

    def in_place(self, now_ns: int) -> bool:
        """Whether the fault still spoils answers at ``now_ns``."""
        end = self.end_ns
        return end is None or now_ns < end

    @property
    def end_ns(self) -> int | None:
        """When the outage ended (healed or cleared), None while it lasts."""
        ends = [t for t in (self.heal_ns, self.cleared_ns) if t is not None]
        return min(ends) if ends else None

    def to_json(self, now_ns: int) -> dict[str, Any]:
        end = self.end_ns
        return {
            "fault": asdict(self.fault),
            "set_ns": self.set_ns,
            # A heal still to come is no end yet: the truth only states what has happened.
            "end_ns": end if end is not None and end <= now_ns else None,
            "heal_ns": self.heal_ns,
            "cleared_ns": self.cleared_ns,
            "first_faulty_ns": self.first_faulty_ns,
            "first_sound_ns": self.first_sound_ns,
        }


# ------------------------------------------------------------------------------------------- simulator


@dataclass
class Stats:
    requests: int = 0
    completions: int = 0
    errors: int = 0


STORED_PREFIX = "/v1/chat/completions/"
STORED_LIMIT = 100_000  # stored completions kept; the oldest go first


@dataclass
class Simulator:
    """State shared by the request threads. ``clock`` is the monotonic clock the truth is dated on."""

    name: str
    model: str
    seed: int = 1
    rules: Rules = field(default_factory=Rules)
    clock: Callable[[], int] = field(default=time.monotonic_ns)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)
        self.fault: Fault | None = None
        self.outages: list[Outage] = []
        self.stats = Stats()
        # The rules' answers are listed from the start, so a drill sees a zero rather than a missing key.
        self.by_answer: dict[str, int] = dict.fromkeys(self.rules.answers, 0)
        self.stored: dict[str, dict[str, Any]] = {}

    def set_fault(self, fault: Fault | None) -> None:
        """Set a fault (a new outage), or clear the current one (None; clearing twice is harmless)."""
        with self._lock:
            now = self.clock()
            current = self.outages[-1] if self.outages else None
            if current is not None and current.cleared_ns is None:
                current.cleared_ns = now
            self.fault = fault
            if fault is not None:
                heal = None if fault.heal_after_ms is None else now + fault.heal_after_ms * 1_000_000
                self.outages.append(Outage(fault=fault, set_ns=now, heal_ns=heal))

    def draw_fault(self) -> Fault | None:
        """Count a request and decide whether the current fault hits it; date the outage's edges."""
        with self._lock:
            self.stats.requests += 1
            now = self.clock()
            outage = self.outages[-1] if self.outages else None
            if outage is None:
                return None
            if not outage.in_place(now):
                if outage.first_sound_ns is None:
                    outage.first_sound_ns = now
                return None
            fault = outage.fault
            if fault.error_rate >= 1.0 or self._random.random() < fault.error_rate:
                if outage.first_faulty_ns is None:
                    outage.first_faulty_ns = now
                return fault
            return Fault(status=200, error_rate=0.0, latency_ms=fault.latency_ms)  # spared: slow but sound

    def store(self, completion: dict[str, Any]) -> None:
        """Keep a completion asked with ``"store": true``, for reading it back."""
        with self._lock:
            self.stored[completion["id"]] = completion
            while len(self.stored) > STORED_LIMIT:
                del self.stored[next(iter(self.stored))]

    def stored_completion(self, completion_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.stored.get(completion_id)

    def stored_list(self, limit: int) -> dict[str, Any]:
        """The first ``limit`` stored completions, oldest first, as OpenAI lists them."""
        with self._lock:
            items = list(self.stored.values())
        page = items[:limit]
        return {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }

    def truth(self) -> dict[str, Any]:
        """Every outage with its instants, and the clock's reading now (to check it against a client's)."""
        with self._lock:
            now = self.clock()
            return {
                "clock": "CLOCK_MONOTONIC",
                "now_ns": now,
                "outages": [outage.to_json(now) for outage in self.outages],
            }

    def record(self, given: str | None) -> None:
        """Count a completion that answered ``given``, or an error when None."""
        with self._lock:
            if given is None:
                self.stats.errors += 1
            else:
                self.stats.completions += 1
                self.by_answer[given] = self.by_answer.get(given, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "provider": self.name,
                "model": self.model,
                **asdict(self.stats),
                "by_answer": dict(self.by_answer),
                "fault": asdict(self.fault) if self.fault else None,
            }


def completion(model: str, prompt: str, content: str) -> dict[str, Any]:
    """An OpenAI chat.completion object whose message content is ``content``."""
    prompt_tokens = max(1, len(prompt.split()))
    completion_tokens = max(1, len(content.split()))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
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


def request_metadata(body: dict[str, Any]) -> dict[str, str]:
    """The request's ``metadata`` (string keys and values, as OpenAI takes them), kept with a stored answer."""
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ValueError("metadata must be an object of string values")
    return metadata


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# ------------------------------------------------------------------------------------------------ HTTP


class Server(ThreadingHTTPServer):
    """A threading HTTP server whose request threads never keep the process alive."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a healthcheck, a drill's timed-out request) is routine, not a
        # traceback in the logs a drill reads.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle's algorithm the body waits for the client's delayed
    # ACK of the headers, ~40 ms on Linux, which would be most of a drill's probe latency.
    disable_nagle_algorithm = True
    server_version = "drdrill-provider-sim/1"
    sim: Simulator  # set on the class by main()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logs: drills send thousands of requests."""

    def send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.send_raw(status, json.dumps(body).encode(), headers)

    def send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        """Send ``data`` as given, labelled JSON (a faulty provider sends broken JSON on purpose)."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _BODY_LIMIT:
            raise ValueError(f"body larger than {_BODY_LIMIT} bytes")
        body = json.loads(self.rfile.read(length) or b"null")
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return body

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path in ("/health", "/healthz"):
            self.send_json(200, {"status": "ok", "provider": self.sim.name})
        elif path == "/v1/models":
            model = {"id": self.sim.model, "object": "model", "created": 0, "owned_by": "drdrill"}
            self.send_json(200, {"object": "list", "data": [model]})
        elif path == "/v1/chat/completions":
            self._list_stored(query)
        elif path.startswith(STORED_PREFIX) and "/" not in path[len(STORED_PREFIX) :]:
            found = self.sim.stored_completion(path[len(STORED_PREFIX) :])
            if found is None:
                self.send_json(404, error_body("no stored completion with that id", "invalid_request_error"))
            else:
                self.send_json(200, found)
        elif path == "/_sim/stats":
            self.send_json(200, self.sim.snapshot())
        elif path == "/_sim/truth":
            self.send_json(200, self.sim.truth())
        else:
            self.send_json(404, error_body(f"unknown path {self.path}", "invalid_request_error"))

    def _list_stored(self, query: str) -> None:
        limits = urllib.parse.parse_qs(query).get("limit", ["20"])
        if not limits[-1].isdigit() or int(limits[-1]) < 1:
            message = f"limit must be a positive integer, got {limits[-1]!r}"
            self.send_json(400, error_body(message, "invalid_request_error"))
            return
        self.send_json(200, self.sim.stored_list(int(limits[-1])))

    def do_POST(self) -> None:
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

    def do_DELETE(self) -> None:
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
            self.send_json(
                fault.status, error_body(f"simulated fault {fault.status}", kind, "simulated"), headers
            )
            return
        try:
            prompt = last_user_text(body)
            metadata = request_metadata(body)
        except ValueError as exc:
            self.sim.record(None)
            self.send_json(400, error_body(str(exc), "invalid_request_error"))
            return
        given = answer(self.sim.rules, prompt)
        self.sim.record(given)
        answered = completion(str(body.get("model") or self.sim.model), prompt, given)
        if body.get("store") is True:
            answered["metadata"] = metadata
            self.sim.store(answered)
        self.send_json(200, answered)


def serve_until_signalled(server: Server) -> NoReturn:
    """Serve in a thread until SIGTERM or SIGINT, then exit at once.

    Not waiting for serve_forever's 0.5 s poll keeps `docker stop` well under a second; in-flight
    requests are cut, and the client sees a reset.
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    sys.stdout.flush()
    os._exit(0)


def simulator_from_env(env: dict[str, str]) -> Simulator:
    """The simulator the environment describes; RulesError or ValueError on a bad setting."""
    name = env.get("PROVIDER_NAME", "primary")
    seed = env.get("SIM_SEED", "1")
    if not seed.lstrip("-").isdigit():
        raise ValueError(f"SIM_SEED must be an integer, got {seed!r}")
    return Simulator(
        name=name,
        model=env.get("MODEL_NAME", f"sim-{name}"),
        seed=int(seed),
        rules=load_rules(env.get("SIM_RULES_FILE")),
    )


def main() -> None:
    env = dict(os.environ)
    port = env.get("PORT", "8000")
    try:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"PORT must be a TCP port 1..65535, got {port!r}")
        Handler.sim = simulator_from_env(env)
    except ValueError as exc:  # RulesError is one
        print(f"provider-sim: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    server = Server(("0.0.0.0", int(port)), Handler)
    rules = env.get("SIM_RULES_FILE") or None
    listening = {"event": "listening", "provider": Handler.sim.name, "port": int(port), "rules": rules}
    print(json.dumps(listening), flush=True)
    serve_until_signalled(server)


if __name__ == "__main__":
    main()
