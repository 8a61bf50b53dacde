"""An AI provider to put in a staging replica in place of a real one: the OpenAI chat-completions and Responses
APIs and the Anthropic messages API, each answered whole or streamed (server-sent events), so that a system's
own official SDK is the client a drill measures (its retries, timeouts and backoff are part of the system).

Its answers are deterministic, so a drill can check them without a real model:

- with `SIM_RULES_FILE`, a JSON object ``{"<answer>": ["<keyword stem>", ...], ..., "_default": "<answer>"}``,
  the answer is the one whose stems the prompt hits most often (a word hits a stem when it starts with it:
  "collid" hits "collided"); ties go to the answer listed first. A prompt that hits nothing gets
  ``_default``, or when there is none the prompt's own answer below. This fits classification systems.
- without rules, the answer is ``sim answer <first 8 hex digits of sha256(prompt)>``: the same question always
  gets the same answer, different questions get different ones. This fits question-answering systems.

The prompt is the text of the last user message (chat and messages), or of the input (Responses).

    POST /v1/chat/completions   POST /v1/responses   POST /v1/messages      ("stream": true for SSE)
    GET  /v1/models   GET /health
    GET  /v1/chat/completions/<id>   GET /v1/chat/completions?limit=N   (completions asked with "store": true)

Faults are switched at run time through an admin API, at the HTTP level where Toxiproxy (TCP) cannot reach:

    POST   /_sim/fault  {"kind": "error", "status": 503, "error_rate": 1.0, "retry_after_ms": null,
                         "flap_period_ms": null, "flap_on_ms": null, "latency_ms": 0, "heal_after_ms": null}
                         kind: error (a status, with Retry-After on 429/503 when given; flapping when
                         flap_period_ms is set: in place for flap_on_ms of every period), hang (accept and
                         never answer, until the fault is cleared), slow (first token after first_token_ms),
                         cut (a stream stops after after_chunks chunks: the connection drops, no end marker),
                         malformed (a body cut mid-JSON; in a stream, the chunk after after_chunks is broken),
                         schema (the answer's text moves where the API's clients do not look for it)
    DELETE /_sim/fault
    POST   /_sim/model  {"wrong_rate": 0.3}   a model update: the model name now serves a new version that
                         answers wrong on that share of prompts; a request naming an older version (a pin)
                         is answered by it, unchanged.   DELETE /_sim/model: the provider rolls the name back
    POST   /_sim/keys   {"keys": ["..."]}      the API keys accepted from now on (rotation); [] or null: any
    GET    /_sim/stats  requests, completions, errors, by API, by answer, streams, Retry-After sent and calls
                         made before it allowed them, calls by key (sha256 fingerprints, never the key)
    GET    /_sim/outages/<i>?settle_ms=N   what outage i (the index POST /_sim/fault answered) counted: the
                         calls that arrived while it was set and what became of each, once they all ended
                         (waiting at most N ms; "running" says how many had not)
    GET    /_sim/truth  every outage, model update and key change, dated on this process's CLOCK_MONOTONIC
                         (ns), and the clock's reading now

Faults spoil the three APIs only; the stored completions stay readable, as OpenAI's stored completions do.
A fault with `heal_after_ms` ends by itself that long after it was set, while it stays set until DELETE: a
transient outage whose true end is known to the nanosecond. `/_sim/truth` is the ground truth a drill's
measured times are checked against: on Linux a container shares the host kernel's CLOCK_MONOTONIC (there are
no time namespaces in a compose service), so its instants compare with the runner's journal directly.

Retry-After binds the caller that received it (its API key, or its address when it sends none), as a
provider's rate limit binds an account: a later call of that caller before the delay ran out is counted as
early. Behind a proxy every caller has the proxy's address, so keyless callers count as one there.

Environment: PORT (8000), PROVIDER_NAME (primary), MODEL_NAME (sim-<name>; its first version is
<name>-v1), SIM_SEED (1, draws of a partial error rate), SIM_RULES_FILE (none), SIM_API_KEYS (comma-separated
keys accepted; none: any). Standard library only: it runs with the python3 of drdrill's base image (the
drdrill/provider-sim:local image), or anywhere with `python3 provider_sim.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import socket
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


def wrong_answer(rules: Rules, prompt: str, right: str) -> str:
    """What a worse model answers instead of ``right``: the next answer of the rules (a wrong label), or
    another prompt answer when there are no rules."""
    answers = rules.answers
    if right in answers and len(answers) > 1:
        return answers[(answers.index(right) + 1) % len(answers)]
    return prompt_answer(f"wrong: {prompt}")


def is_spoiled(version: str, prompt: str, wrong_rate: float) -> bool:
    """Whether the model ``version`` gets ``prompt`` wrong: a stable draw per version and prompt, so the same
    question gets the same wrong answer every time, as from a real model, and about ``wrong_rate`` of all
    questions are wrong."""
    digest = hashlib.sha256(f"{version}\n{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < wrong_rate


@dataclass
class ModelVersion:
    """One version the provider's model name has served; ``wrong_rate`` is the share of prompts it gets
    wrong (0 for the first). Dated on the simulator's clock: set, and replaced or rolled back."""

    name: str
    wrong_rate: float
    set_ns: int
    until_ns: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------- faults

FAULT_KINDS = ("error", "hang", "slow", "cut", "malformed", "schema")


@dataclass
class Fault:
    """An HTTP-level fault, applied to a share (`error_rate`) of requests while it is in place.

    `kind`: ``error`` answers `status` (with Retry-After when `retry_after_ms` is given); ``hang`` never
    answers until cleared; ``slow`` holds the first token for `first_token_ms`; ``cut`` drops the connection
    after `after_chunks` chunks of a stream (half the body of a whole answer); ``malformed`` breaks the body
    (or the chunk after `after_chunks`); ``schema`` moves the answer's text out of the documented place.
    `latency_ms`: every request hit waits this long first. `flap_period_ms` / `flap_on_ms`: the fault is in
    place for the first `flap_on_ms` of every period only (flapping). `heal_after_ms`: it stops spoiling
    answers this long after it was set (it stays set until cleared).
    """

    status: int = 503
    error_rate: float = 1.0
    latency_ms: int = 0
    kind: str = "error"
    retry_after_ms: int | None = None
    heal_after_ms: int | None = None
    flap_period_ms: int | None = None
    flap_on_ms: int | None = None
    first_token_ms: int = 0
    after_chunks: int = 0

    @property
    def malformed(self) -> bool:
        return self.kind == "malformed"


def _int(body: dict[str, Any], name: str, default: int | None, minimum: int) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive" if minimum > 0 else "a non-negative"
        raise ValueError(f"{name} must be {what} integer, got {value!r}")
    return value


def parse_fault(body: dict[str, Any]) -> Fault:
    """Validate an admin fault body; raise ValueError with a message naming the bad field."""
    status = body.get("status", 503)
    error_rate = body.get("error_rate", 1.0)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code 100..599, got {status!r}")
    if not isinstance(error_rate, int | float) or not 0.0 <= float(error_rate) <= 1.0:
        raise ValueError(f"error_rate must be a number in 0..1, got {error_rate!r}")
    latency_ms = _int(body, "latency_ms", 0, 0)
    malformed = body.get("malformed", False)
    if not isinstance(malformed, bool):
        raise ValueError(f"malformed must be true or false, got {malformed!r}")
    kind = body.get("kind", "malformed" if malformed else "error")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}, got {kind!r}")
    retry_after_ms = _int(body, "retry_after_ms", None, 0)
    retry_after_s = _int(body, "retry_after_s", None, 0)
    if retry_after_ms is None and retry_after_s is not None:
        retry_after_ms = retry_after_s * 1000
    period = _int(body, "flap_period_ms", None, 1)
    on = _int(body, "flap_on_ms", None, 1)
    if (period is None) != (on is None):
        raise ValueError("flap_period_ms and flap_on_ms go together: give both, or neither")
    if period is not None and on is not None and on >= period:
        raise ValueError(f"flap_on_ms must be shorter than flap_period_ms ({on} >= {period})")
    return Fault(
        status=status,
        error_rate=float(error_rate),
        latency_ms=latency_ms or 0,
        kind=kind,
        retry_after_ms=retry_after_ms,
        heal_after_ms=_int(body, "heal_after_ms", None, 1),
        flap_period_ms=period,
        flap_on_ms=on,
        first_token_ms=_int(body, "first_token_ms", 0, 0) or 0,
        after_chunks=_int(body, "after_chunks", 0, 0) or 0,
    )


@dataclass
class Stats:
    requests: int = 0
    completions: int = 0
    errors: int = 0
    streams: int = 0  # answers streamed (whole or not)
    cut: int = 0  # streams or bodies cut off mid-answer
    refused_keys: int = 0  # requests refused for a key the provider does not accept
    retry_after_sent: int = 0  # answers that carried Retry-After
    early_calls: int = 0  # calls made before a Retry-After the caller received allowed them


@dataclass
class Outage:
    """One fault set through the admin API, dated in nanoseconds of this process's monotonic clock.

    The outage is in place from ``set_ns`` until it heals (``heal_ns``) or is cleared (``cleared_ns``),
    whichever comes first: that span is the truth (a flapping fault is in place only in the "on" part of each
    period within it). ``first_faulty_ns`` and ``first_sound_ns`` are the first answer the fault decided and
    the first sound answer after the outage ended: the earliest instants any client could have seen either edge.

    ``counts`` are the calls that arrived while it was set (cleared or not, healed or not) and what became of
    them, to the end of each call, even one that ends after the clear; ``running`` is how many have not ended.
    """

    fault: Fault
    set_ns: int
    heal_ns: int | None = None
    cleared_ns: int | None = None
    first_faulty_ns: int | None = None
    first_sound_ns: int | None = None
    counts: Stats = field(default_factory=Stats)
    running: int = 0

    def in_place(self, now_ns: int) -> bool:
        """Whether the fault still spoils answers at ``now_ns``."""
        end = self.end_ns
        if end is not None and now_ns >= end:
            return False
        period, on = self.fault.flap_period_ms, self.fault.flap_on_ms
        if period is None or on is None:
            return True
        return (now_ns - self.set_ns) % (period * 1_000_000) < on * 1_000_000

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
            "counts": asdict(self.counts),
            "running": self.running,
        }


# ------------------------------------------------------------------------------------------- simulator


STORED_PREFIX = "/v1/chat/completions/"
STORED_LIMIT = 100_000  # stored completions kept; the oldest go first
OUTAGE_PREFIX = "/_sim/outages/"
SETTLE_LIMIT_MS = 60_000  # the longest an admin call waits for an outage's calls to end
HANG_LIMIT_S = 600.0  # a hung request is let go after this long even if nobody clears the fault


def fingerprint(key: str) -> str:
    """What the stats and the truth say of a key: enough to tell keys apart, never the key."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass
class Simulator:
    """State shared by the request threads. ``clock`` is the monotonic clock the truth is dated on."""

    name: str
    model: str
    seed: int = 1
    rules: Rules = field(default_factory=Rules)
    clock: Callable[[], int] = field(default=time.monotonic_ns)
    keys: frozenset[str] | None = None  # the API keys accepted; None: any

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._cleared = threading.Condition(self._lock)
        self._settled = threading.Condition(self._lock)  # an outage's last running call ended
        self._here = threading.local()  # the outage the calling thread's current call arrived under
        self._random = random.Random(self.seed)
        self.fault: Fault | None = None
        self.outages: list[Outage] = []
        self.stats = Stats()
        # The rules' answers are listed from the start, so a drill sees a zero rather than a missing key.
        self.by_answer: dict[str, int] = dict.fromkeys(self.rules.answers, 0)
        self.by_api: dict[str, int] = {}
        self.by_version: dict[str, int] = {}
        self.by_key: dict[str, dict[str, int]] = {}
        self.early_by_caller: dict[str, int] = {}
        self._allowed_from: dict[str, int] = {}  # caller -> when its Retry-After runs out
        self.stored: dict[str, dict[str, Any]] = {}
        self.versions: list[ModelVersion] = [ModelVersion(f"{self.model}-v1", 0.0, self.clock())]
        self.key_changes: list[dict[str, Any]] = []

    # -- faults --------------------------------------------------------------------------------------

    def set_fault(self, fault: Fault | None) -> int | None:
        """Set a fault (a new outage), or clear the current one (None; clearing twice is harmless).

        Returns the new outage's index (see :meth:`settle`), None when clearing.
        """
        with self._lock:
            now = self.clock()
            current = self.outages[-1] if self.outages else None
            if current is not None and current.cleared_ns is None:
                current.cleared_ns = now
            self.fault = fault
            if fault is not None:
                heal = None if fault.heal_after_ms is None else now + fault.heal_after_ms * 1_000_000
                self.outages.append(Outage(fault=fault, set_ns=now, heal_ns=heal))
            self._cleared.notify_all()
            return len(self.outages) - 1 if fault is not None else None

    def enter(self, key: str | None, caller: str) -> tuple[bool, Fault | None]:
        """A call arrives: whether its key is accepted, and the fault that hits it (None: answer soundly).

        One step under the lock: the outage the call is counted under and the fault it draws are the same
        one, whatever an admin call changes meanwhile. Every call that enters must :meth:`leave`.
        """
        with self._lock:
            current = self.outages[-1] if self.outages else None
            outage = current if current is not None and current.cleared_ns is None else None
            self._here.outage = outage
            if outage is not None:
                outage.running += 1
            allowed = self._allowed_from.get(caller)
            if allowed is not None and self.clock() < allowed:
                self._bump("early_calls")
                self.early_by_caller[caller] = self.early_by_caller.get(caller, 0) + 1
            ok = self.keys is None or (key is not None and key in self.keys)
            counts = self.by_key.setdefault(
                fingerprint(key) if key else "none", {"accepted": 0, "refused": 0}
            )
            counts["accepted" if ok else "refused"] += 1
            if not ok:
                self._bump("refused_keys")
                return False, None
            return True, self._draw(current)

    def _draw(self, outage: Outage | None) -> Fault | None:
        """Count a request and decide whether ``outage`` hits it; date the outage's edges (lock held)."""
        self._bump("requests")
        now = self.clock()
        if outage is None:
            return None
        if not outage.in_place(now):
            if outage.end_ns is not None and outage.first_sound_ns is None:
                outage.first_sound_ns = now
            return None
        fault = outage.fault
        if fault.error_rate >= 1.0 or self._random.random() < fault.error_rate:
            if outage.first_faulty_ns is None:
                outage.first_faulty_ns = now
            return fault
        return Fault(status=200, error_rate=0.0, latency_ms=fault.latency_ms)  # spared: slow but sound

    def leave(self) -> None:
        """The calling thread's call ended (answered, refused or dropped)."""
        with self._lock:
            outage = getattr(self._here, "outage", None)
            self._here.outage = None
            if outage is not None:
                outage.running -= 1
                if outage.running == 0:
                    self._settled.notify_all()

    def settle(self, index: int, limit_s: float) -> dict[str, Any] | None:
        """What outage ``index`` counted, once the calls that arrived under it have ended (or ``limit_s``
        passed: ``running`` says how many had not); None for an outage that was never set."""
        deadline = time.monotonic() + limit_s
        with self._lock:
            if not 0 <= index < len(self.outages):
                return None
            outage = self.outages[index]
            while outage.running > 0 and (left := deadline - time.monotonic()) > 0:
                self._settled.wait(left)
            return {
                "outage": index,
                "cleared": outage.cleared_ns is not None,
                "counts": asdict(outage.counts),
                "running": outage.running,
            }

    def _bump(self, what: str) -> None:
        """Add one to a counter, and to the counter of the outage the current call arrived under (lock held)."""
        setattr(self.stats, what, getattr(self.stats, what) + 1)
        outage = getattr(self._here, "outage", None)
        if outage is not None:
            setattr(outage.counts, what, getattr(outage.counts, what) + 1)

    def wait_cleared(self, fault: Fault, limit_s: float = HANG_LIMIT_S) -> None:
        """Block until ``fault`` is no longer the one set (or healed), or ``limit_s`` passed: a hung request."""
        deadline = time.monotonic() + limit_s
        with self._lock:
            while self.fault is fault and (left := deadline - time.monotonic()) > 0:
                outage = self.outages[-1]
                if outage.heal_ns is not None:
                    left = min(left, max(0.0, (outage.heal_ns - self.clock()) / 1e9))
                    if left == 0.0:
                        return
                self._cleared.wait(left)

    # -- the model -----------------------------------------------------------------------------------

    def update_model(self, wrong_rate: float) -> ModelVersion:
        """The provider ships a new version under the model name: it gets ``wrong_rate`` of prompts wrong."""
        with self._lock:
            now = self.clock()
            self.versions[-1].until_ns = now
            version = ModelVersion(f"{self.model}-v{len(self.versions) + 1}", wrong_rate, now)
            self.versions.append(version)
            return version

    def roll_back_model(self) -> ModelVersion:
        """The provider serves the first version under the model name again (harmless when it does)."""
        with self._lock:
            first = self.versions[0]
            if self.versions[-1] is not first and self.versions[-1].until_ns is None:
                now = self.clock()
                self.versions[-1].until_ns = now
                self.versions.append(ModelVersion(first.name, first.wrong_rate, now))
            return self.versions[-1]

    def resolve(self, asked: str | None) -> ModelVersion:
        """The version that answers a request for ``asked``: a pinned version, else the name's current one."""
        with self._lock:
            pinned = next((v for v in self.versions if v.name == asked), None)
            return pinned if pinned is not None else self.versions[-1]

    def answer(self, prompt: str, version: ModelVersion) -> str:
        right = answer(self.rules, prompt)
        if version.wrong_rate and is_spoiled(version.name, prompt, version.wrong_rate):
            return wrong_answer(self.rules, prompt, right)
        return right

    # -- keys and callers ----------------------------------------------------------------------------

    def set_keys(self, keys: frozenset[str] | None) -> None:
        with self._lock:
            self.keys = keys
            shown = None if keys is None else sorted(fingerprint(k) for k in keys)
            self.key_changes.append({"at_ns": self.clock(), "accepted": shown})

    def told_to_wait(self, caller: str, delay_ms: int) -> None:
        """``caller`` is told, now, not to call again for ``delay_ms``."""
        with self._lock:
            self._bump("retry_after_sent")
            self._allowed_from[caller] = self.clock() + delay_ms * 1_000_000

    # -- stored completions --------------------------------------------------------------------------

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

    # -- what it tells -------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Every outage, model version and key change with its instants, and the clock's reading now."""
        with self._lock:
            now = self.clock()
            return {
                "clock": "CLOCK_MONOTONIC",
                "now_ns": now,
                "outages": [outage.to_json(now) for outage in self.outages],
                "model_versions": [v.to_json() for v in self.versions],
                "key_changes": list(self.key_changes),
            }

    def record(self, given: str | None, api: str = "", version: str | None = None) -> None:
        """Count an answer that gave ``given`` through ``api``, or an error when None."""
        with self._lock:
            if api:
                self.by_api[api] = self.by_api.get(api, 0) + 1
            if given is None:
                self._bump("errors")
            else:
                self._bump("completions")
                self.by_answer[given] = self.by_answer.get(given, 0) + 1
                if version is not None:
                    self.by_version[version] = self.by_version.get(version, 0) + 1

    def count(self, what: str) -> None:
        with self._lock:
            self._bump(what)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "provider": self.name,
                "model": self.model,
                "model_version": self.versions[-1].name,
                **asdict(self.stats),
                "by_answer": dict(self.by_answer),
                "by_api": dict(self.by_api),
                "by_version": dict(self.by_version),
                "by_key": {k: dict(v) for k, v in self.by_key.items()},
                "early_by_caller": dict(self.early_by_caller),
                "keys_checked": self.keys is not None,
                "fault": asdict(self.fault) if self.fault else None,
            }


# ------------------------------------------------------------------------------------------------ APIs


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An OpenAI error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def pieces(text: str, size: int = 4) -> list[str]:
    """The answer as a stream sends it: short pieces, as tokens (at least one, even for an empty answer)."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _text_of(content: object, part_types: tuple[str, ...]) -> str | None:
    """A message's text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, dict) and part.get("type") in part_types and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts) if texts else None
    return None


def last_user_text(body: dict[str, Any], part_types: tuple[str, ...] = ("text",)) -> str:
    """The text of the last user message of a chat or messages request."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list")
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = _text_of(message.get("content"), part_types)
            if text is not None:
                return text
    raise ValueError("no user message with text content")


def request_metadata(body: dict[str, Any]) -> dict[str, str]:
    """The request's ``metadata`` (string keys and values, as OpenAI takes them), kept with a stored answer."""
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ValueError("metadata must be an object of string values")
    return metadata


def completion(model: str, prompt: str, content: str) -> dict[str, Any]:
    """An OpenAI chat.completion object whose message content is ``content``."""
    prompt_tokens, completion_tokens = _tokens(prompt), _tokens(content)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
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


@dataclass(frozen=True)
class Event:
    """One server-sent event: its ``event:`` name (None: data only) and its data."""

    data: str
    name: str | None = None

    def encode(self) -> bytes:
        head = f"event: {self.name}\n" if self.name else ""
        return f"{head}data: {self.data}\n\n".encode()


class Api:
    """One provider API: how it reads a prompt, answers whole or streamed, and says an error."""

    name = ""
    path = ""

    def prompt(self, body: dict[str, Any]) -> str:
        raise NotImplementedError

    def whole(self, model: str, prompt: str, text: str, schema_changed: bool) -> dict[str, Any]:
        raise NotImplementedError

    def events(self, model: str, prompt: str, text: str, schema_changed: bool) -> list[Event]:
        """Every event of a streamed answer; the content events are the ones ``content_events`` counts."""
        raise NotImplementedError

    def content_range(self, events: list[Event]) -> tuple[int, int]:
        """Where the content events lie in ``events`` (start, end): a cut counts chunks from ``start``."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = (
            "rate_limit_error"
            if status == 429
            else "server_error"
            if status >= 500
            else "invalid_request_error"
        )
        return error_body(message, kind, "simulated" if status >= 429 else None)

    def broken(self) -> bytes:
        """A body that breaks off mid-JSON."""
        return b'{"id": "sim", "object": "broken", "choices": [{"mess'


class ChatCompletions(Api):
    name = "chat.completions"
    path = "/v1/chat/completions"

    def prompt(self, body: dict[str, Any]) -> str:
        return last_user_text(body, ("text",))

    def whole(self, model: str, prompt: str, text: str, schema_changed: bool) -> dict[str, Any]:
        answered = completion(model, prompt, text)
        if schema_changed:  # content as a list of parts, where a client reading a string finds none
            answered["choices"][0]["message"]["content"] = [{"type": "output_text", "text": text}]
        return answered

    def events(self, model: str, prompt: str, text: str, schema_changed: bool) -> list[Event]:
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> Event:
            body = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            return Event(json.dumps(body))

        key = "text" if schema_changed else "content"
        usage = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": {
                "prompt_tokens": _tokens(prompt),
                "completion_tokens": _tokens(text),
                "total_tokens": _tokens(prompt) + _tokens(text),
            },
        }
        return [
            chunk({"role": "assistant", "content": ""}),
            *(chunk({key: piece}) for piece in pieces(text)),
            chunk({}, "stop"),
            Event(json.dumps(usage)),
            Event("[DONE]"),
        ]

    def content_range(self, events: list[Event]) -> tuple[int, int]:
        return 1, len(events) - 3


class Responses(Api):
    name = "responses"
    path = "/v1/responses"

    def prompt(self, body: dict[str, Any]) -> str:
        given = body.get("input")
        if isinstance(given, str):
            return given
        if isinstance(given, list):
            for item in reversed(given):
                if isinstance(item, dict) and item.get("role", "user") == "user":
                    text = _text_of(item.get("content"), ("input_text", "text"))
                    if text is not None:
                        return text
        raise ValueError("input must be a string or a list of messages with a user message")

    def _response(
        self, ident: str, model: str, status: str, output: list[dict[str, Any]], usage: Any
    ) -> dict[str, Any]:
        return {
            "id": ident,
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "max_output_tokens": None,
            "model": model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "none",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": {},
        }

    def _message(self, item_id: str, text: str, status: str, schema_changed: bool) -> dict[str, Any]:
        part: dict[str, Any] = {
            "type": "text" if schema_changed else "output_text",
            "text": text,
            "annotations": [],
        }
        return {
            "id": item_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": [part] if status == "completed" else [],
        }

    @staticmethod
    def _usage(prompt: str, text: str) -> dict[str, Any]:
        return {
            "input_tokens": _tokens(prompt),
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": _tokens(text),
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": _tokens(prompt) + _tokens(text),
        }

    def whole(self, model: str, prompt: str, text: str, schema_changed: bool) -> dict[str, Any]:
        item = self._message(f"msg_{uuid.uuid4().hex}", text, "completed", schema_changed)
        return self._response(
            f"resp_{uuid.uuid4().hex}", model, "completed", [item], self._usage(prompt, text)
        )

    def events(self, model: str, prompt: str, text: str, schema_changed: bool) -> list[Event]:
        ident, item_id = f"resp_{uuid.uuid4().hex}", f"msg_{uuid.uuid4().hex}"
        sequence = iter(range(1_000_000))
        delta_type = "response.text.delta" if schema_changed else "response.output_text.delta"

        def event(kind: str, **fields: Any) -> Event:
            return Event(json.dumps({"type": kind, "sequence_number": next(sequence), **fields}), kind)

        where = {"item_id": item_id, "output_index": 0, "content_index": 0}
        part = {"type": "output_text", "text": "", "annotations": []}
        done_item = self._message(item_id, text, "completed", schema_changed)
        return [
            event("response.created", response=self._response(ident, model, "in_progress", [], None)),
            event("response.in_progress", response=self._response(ident, model, "in_progress", [], None)),
            event(
                "response.output_item.added",
                output_index=0,
                item=self._message(item_id, "", "in_progress", False),
            ),
            event("response.content_part.added", part=part, **where),
            *(event(delta_type, delta=piece, logprobs=[], **where) for piece in pieces(text)),
            event("response.output_text.done", text=text, logprobs=[], **where),
            event("response.content_part.done", part={**part, "text": text}, **where),
            event("response.output_item.done", output_index=0, item=done_item),
            event(
                "response.completed",
                response=self._response(ident, model, "completed", [done_item], self._usage(prompt, text)),
            ),
        ]

    def content_range(self, events: list[Event]) -> tuple[int, int]:
        return 4, len(events) - 4


class Messages(Api):
    """The Anthropic messages API."""

    name = "messages"
    path = "/v1/messages"

    def prompt(self, body: dict[str, Any]) -> str:
        return last_user_text(body, ("text",))

    def whole(self, model: str, prompt: str, text: str, schema_changed: bool) -> dict[str, Any]:
        block = {"type": "output_text" if schema_changed else "text", "text": text}
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": _tokens(prompt), "output_tokens": _tokens(text)},
        }

    def events(self, model: str, prompt: str, text: str, schema_changed: bool) -> list[Event]:
        start = self.whole(model, prompt, "", False)
        start.update(
            content=[], stop_reason=None, usage={"input_tokens": _tokens(prompt), "output_tokens": 1}
        )
        delta = "output_text_delta" if schema_changed else "text_delta"

        def event(kind: str, **fields: Any) -> Event:
            return Event(json.dumps({"type": kind, **fields}), kind)

        return [
            event("message_start", message=start),
            event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
            event("ping"),
            *(event("content_block_delta", index=0, delta={"type": delta, "text": p}) for p in pieces(text)),
            event("content_block_stop", index=0),
            event(
                "message_delta",
                delta={"stop_reason": "end_turn", "stop_sequence": None},
                usage={"output_tokens": _tokens(text)},
            ),
            event("message_stop"),
        ]

    def content_range(self, events: list[Event]) -> tuple[int, int]:
        return 3, len(events) - 3

    def error(self, status: int, message: str) -> dict[str, Any]:
        kinds = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            429: "rate_limit_error",
            529: "overloaded_error",
        }
        kind = kinds.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": kind, "message": message}}

    def broken(self) -> bytes:
        return b'{"id": "msg_sim", "type": "message", "content": [{"type": "te'


APIS: dict[str, Api] = {api.path: api for api in (ChatCompletions(), Responses(), Messages())}


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


def api_key(headers: Any) -> str | None:
    """The key a request carries: ``Authorization: Bearer``, ``x-api-key`` (Anthropic) or ``api-key``."""
    auth = headers.get("Authorization") or ""
    if auth.lower().startswith("bearer "):
        return str(auth[7:].strip()) or None
    found = headers.get("x-api-key") or headers.get("api-key")
    return str(found) if found else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle's algorithm the body waits for the client's delayed
    # ACK of the headers, ~40 ms on Linux, which would be most of a drill's probe latency.
    disable_nagle_algorithm = True
    server_version = "drdrill-provider-sim/2"
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

    def drop(self) -> None:
        """Drop the connection now, mid-answer: the client sees it end without the rest."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

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
            names = [self.sim.model, *dict.fromkeys(v.name for v in self.sim.versions)]
            models = [{"id": n, "object": "model", "created": 0, "owned_by": "drdrill"} for n in names]
            self.send_json(200, {"object": "list", "data": models})
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
        elif path.startswith(OUTAGE_PREFIX):
            self._settled(path[len(OUTAGE_PREFIX) :], query)
        else:
            self.send_json(404, error_body(f"unknown path {self.path}", "invalid_request_error"))

    def _settled(self, index: str, query: str) -> None:
        settle = urllib.parse.parse_qs(query).get("settle_ms", ["0"])[-1]
        if not index.isdigit() or not settle.isdigit() or int(settle) > SETTLE_LIMIT_MS:
            message = f"GET {OUTAGE_PREFIX}<index>?settle_ms=<0..{SETTLE_LIMIT_MS}>, got {self.path}"
            self.send_json(400, {"error": message})
            return
        found = self.sim.settle(int(index), int(settle) / 1000)
        if found is None:
            self.send_json(404, {"error": f"no outage {index}: {len(self.sim.outages)} were set"})
        else:
            self.send_json(200, found)

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
        path = self.path.partition("?")[0]
        api = APIS.get(path)
        if api is not None:
            self._answer(api, body)
        elif path == "/_sim/fault":
            try:
                fault = parse_fault(body)
            except ValueError as exc:
                self.send_json(400, {"error": str(exc)})
                return
            self.send_json(200, {"fault": asdict(fault), "outage": self.sim.set_fault(fault)})
        elif path == "/_sim/model":
            rate = body.get("wrong_rate")
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 < float(rate) <= 1.0:
                self.send_json(400, {"error": f"wrong_rate must be a number in (0, 1], got {rate!r}"})
                return
            self.send_json(200, {"version": self.sim.update_model(float(rate)).to_json()})
        elif path == "/_sim/keys":
            keys = body.get("keys")
            if keys is not None and (
                not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys)
            ):
                self.send_json(
                    400, {"error": f"keys must be a list of non-empty strings, or null, got {keys!r}"}
                )
                return
            self.sim.set_keys(frozenset(keys) if keys else None)
            self.send_json(200, {"accepted": None if not keys else sorted(fingerprint(k) for k in keys)})
        else:
            self.send_json(404, error_body(f"unknown path {self.path}", "invalid_request_error"))

    def do_DELETE(self) -> None:
        if self.path == "/_sim/fault":
            self.sim.set_fault(None)
            self.send_json(200, {"fault": None})
        elif self.path == "/_sim/model":
            self.send_json(200, {"version": self.sim.roll_back_model().to_json()})
        else:
            self.send_json(404, error_body(f"unknown path {self.path}", "invalid_request_error"))

    # -- answering -----------------------------------------------------------------------------------

    def _answer(self, api: Api, body: dict[str, Any]) -> None:
        key = api_key(self.headers)
        caller = fingerprint(key) if key else f"address {self.client_address[0]}"
        admitted, fault = self.sim.enter(key, caller)
        try:
            self._answer_entered(api, body, caller, admitted, fault)
        finally:
            self.sim.leave()

    def _answer_entered(
        self, api: Api, body: dict[str, Any], caller: str, admitted: bool, fault: Fault | None
    ) -> None:
        if not admitted:
            self.sim.record(None, api.name)
            self.send_json(401, api.error(401, "invalid API key (the simulator does not accept this key)"))
            return
        if fault is not None and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault is not None and fault.kind == "hang":
            self.sim.record(None, api.name)
            self.sim.wait_cleared(fault)
            self.drop()
            return
        if fault is not None and fault.kind == "error" and fault.status != 200:
            self._error(api, fault, caller)
            return
        stream = body.get("stream") is True
        if fault is not None and fault.malformed and not stream:
            self.sim.record(None, api.name)
            self.send_raw(200, api.broken())
            return
        try:
            prompt = api.prompt(body)
            metadata = request_metadata(body)
        except ValueError as exc:
            self.sim.record(None, api.name)
            self.send_json(400, api.error(400, str(exc)))
            return
        asked = body.get("model")
        version = self.sim.resolve(asked if isinstance(asked, str) else None)
        given = self.sim.answer(prompt, version)
        schema = fault is not None and fault.kind == "schema"
        if stream:
            self._stream(api, fault, version.name, prompt, given, schema)
            return
        answered = api.whole(version.name, prompt, given, schema)
        if fault is not None and fault.kind == "slow" and fault.first_token_ms:
            time.sleep(fault.first_token_ms / 1000)
        if fault is not None and fault.kind == "cut":
            self.sim.record(None, api.name)
            self.sim.count("cut")
            data = json.dumps(answered).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.drop()
            return
        self.sim.record(None if schema else given, api.name, version.name)
        if api.name == "chat.completions" and body.get("store") is True:
            answered["metadata"] = metadata
            self.sim.store(answered)
        self.send_json(200, answered)

    def _error(self, api: Api, fault: Fault, caller: str) -> None:
        self.sim.record(None, api.name)
        headers: dict[str, str] = {}
        if fault.retry_after_ms is not None and fault.status in (429, 503, 529):
            # Both forms: the official SDKs read retry-after-ms first, and Retry-After is whole seconds.
            headers["retry-after-ms"] = str(fault.retry_after_ms)
            headers["Retry-After"] = str(-(-fault.retry_after_ms // 1000))
            self.sim.told_to_wait(caller, fault.retry_after_ms)
        self.send_json(fault.status, api.error(fault.status, f"simulated fault {fault.status}"), headers)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(
        self, api: Api, fault: Fault | None, model: str, prompt: str, given: str, schema: bool
    ) -> None:
        self.sim.count("streams")
        events = api.events(model, prompt, given, schema)
        first, _ = api.content_range(events)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        kind = fault.kind if fault is not None else None
        stop_at = first + (fault.after_chunks if fault is not None else 0)
        spoiled = kind in ("cut", "malformed", "schema")
        self.sim.record(None if spoiled else given, api.name, None if spoiled else model)
        for index, event in enumerate(events):
            if index == first and kind == "slow" and fault is not None:
                time.sleep(fault.first_token_ms / 1000)
            if index == stop_at and kind == "cut":
                self.sim.count("cut")
                self.drop()
                return
            if index == stop_at and kind == "malformed":
                self._chunk(Event(event.data[: len(event.data) // 2], event.name).encode())
                continue
            self._chunk(event.encode())
        self._chunk(b"")  # the last chunk: the stream ended as it should


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
    keys = frozenset(k.strip() for k in env.get("SIM_API_KEYS", "").split(",") if k.strip())
    return Simulator(
        name=name,
        model=env.get("MODEL_NAME", f"sim-{name}"),
        seed=int(seed),
        rules=load_rules(env.get("SIM_RULES_FILE")),
        keys=keys or None,
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
