"""The claims system's own incident machinery: it watches the system, pages its on-call, tells the client, says
which mode the system runs in, and keeps the fleet's settings (its operations API).

Every TICK seconds it looks at:

- the claims endpoint (EDGE_URL) and the database behind it, with one request (/integrity: labels that no longer
  match their digest; an error while the endpoint answers: the database is unusable);
- every worker's /status (WORKERS: region=host:port, ...): up or not, which provider it labels on, whether its
  last calls to the primary failed;
- the primary model's quality (QUALITY_MONITOR=on): every CANARY_EVERY seconds its canary set (40 claims of known
  label) is asked of the primary with the model the workers use (pinned or not); below QUALITY_FLOOR, labelling
  is held off the primary (the workers move to the backup) until the canary set passes again;
- use of the system's own primary keys that it did not make (USAGE_URL: the provider's usage report by key, set
  against the calls each worker and the monitor say they made): a key in someone else's hands.

The mode (GET /status `mode`), the first that holds: manual-fallback (nothing takes claims and nothing labels, or
labels fail their integrity check: the client triages by hand), queue-and-hold (claims cannot be stored or
labelled now, or no worker labels), reduced-throughput (a worker of the serving region is gone), reduced-accuracy
(a worker labels on the backup, or the primary's quality is below the floor), else normal. A mode is reported
once it held for OPEN_AFTER seconds.

An incident opens when anything is wrong for OPEN_AFTER seconds: the on-call is paged (an Opsgenie alert at
ALERT_URL) and the client gets a first notice by e-mail (NOTICE_SMTP_HOST/PORT), an assessment ASSESS_AFTER
later, an update every UPDATE_EVERY and a notice of each degraded mode entered; it closes when nothing has been
wrong for CLEAR_AFTER (the alert closed, a resolution notice sent). Nothing is judged until the system was seen
whole once (the start of a stack is no incident).

Operations API (the runbook's automation):

    POST /admin/hold       {"hold": true, "reason": "..."} | {"hold": false}   labelling kept off the primary
    POST /admin/model-pin  {"pin": "previous" | "<version>" | null}            the primary's version pinned
    POST /admin/keys/issue  {"holder": "worker"}   a new primary key for a holder, accepted by the provider and
                                                   written where the holder reads it (its old key still works)
    POST /admin/keys/revoke {"holder": "worker"}   the holder's keys other than its newest refused by the provider
    GET  /status           mode, incident, problems, hold, pin, quality (and its alarm), the workers seen

QUALITY_MONITOR=off plays a team without a quality monitor (a broken twin).

The key vault (the fleet's primary keys: FLEET_KEYS holder=key, ...; KEY_FILES holder=file name, ... under
SECRETS_DIR) rotates a key in two steps, as a provider's console does: issue a new one (the provider's admin API,
PROVIDER_KEYS_URL, is told the whole set it accepts) and write it where the holder reads it, then revoke the old.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import smtplib
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import db
import openai
import serving

NORMAL = "normal"
MANUAL, QUEUE, THROUGHPUT, ACCURACY = (
    "manual-fallback",
    "queue-and-hold",
    "reduced-throughput",
    "reduced-accuracy",
)

# The canary set: claims whose label is known by construction, asked of the primary to watch its quality.
_CANARY_PARTS: dict[str, tuple[str, ...]] = {
    "auto": ("My car", "Our delivery truck", "The family truck", "A rental vehicle"),
    "property": ("Our house", "The apartment", "Our basement", "The kitchen at home"),
    "health": ("A hospital stay", "Surgery at the clinic", "An ambulance ride", "A dental emergency"),
    "liability": (
        "A customer who slipped",
        "A visitor bitten by our dog",
        "A negligence lawsuit",
        "A third-party claim",
    ),
    "other": ("Lost luggage", "A cancelled concert", "A missing passport", "A forgotten umbrella"),
}
CANARY: tuple[tuple[str, str], ...] = tuple(
    (f"{who} {what}.", label)
    for label, whos in _CANARY_PARTS.items()
    for who in whos
    for what in ("needs a claim filed today", "was reported this morning")
)
SYSTEM_PROMPT = (
    "Classify the insurance claim. Answer with one word: auto, property, health, liability or other."
)
MIN_ANSWERED = 20  # a canary round that got fewer answers says nothing about quality
USAGE_WINDOW = 4  # usage polls summed before unexplained calls count (calls in flight cross a poll)
USAGE_TOLERANCE = 2

# What the client reads of each condition and mode: plain words, no vendor, no internal names.
MODE_WORDS = {
    MANUAL: "claims need to be triaged by hand for now",
    QUEUE: "claims are kept and will be labelled once processing resumes",
    THROUGHPUT: "claims are processed more slowly than usual",
    ACCURACY: "labels come from our standby model, with more claims routed to human review",
    NORMAL: "none",
}
MODE_NOTICES = {
    MANUAL: "Please route incoming claims to your manual triage procedure. We will tell you when automated "
    "labelling is verified and can take over again.",
    QUEUE: "New claims are being received and stored safely, but labelling is paused. Labels will be added in "
    "arrival order once processing resumes; nothing you submit is lost.",
    THROUGHPUT: "Claims are being processed, more slowly than usual. We will tell you when normal speed returns.",
    ACCURACY: "Claims are being processed on our standby model. Expect a few more claims routed to human review "
    "until we switch back.",
}


def fingerprint(key: str) -> str:
    """A key as the provider's usage report names it: never the key itself."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def log(event: str, **fields: Any) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    print(json.dumps({"ts": stamp, "event": event, **fields}), flush=True)


@dataclass(frozen=True)
class WorkerRef:
    region: str
    address: str  # host:port

    @property
    def name(self) -> str:
        return self.address.split(":", 1)[0]


def parse_workers(text: str) -> tuple[WorkerRef, ...]:
    """``region=host:port, ...`` as worker references; ValueError naming a bad entry."""
    found = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        region, sep, address = entry.partition("=")
        if not sep or ":" not in address:
            raise ValueError(f"WORKERS entry {entry!r} is not region=host:port")
        found.append(WorkerRef(region.strip(), address.strip()))
    return tuple(found)


@dataclass(frozen=True)
class Config:
    edge_url: str = "http://edge:8080"
    workers: tuple[WorkerRef, ...] = ()
    primary_url: str = "http://provider-primary:8000/v1"
    primary_key: str = "sk-claims-monitor-dev"
    model: str = "sim-primary"
    usage_url: str = ""
    alert_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    quality_monitor: bool = True
    quality_floor: float = 0.85
    canary_every: float = 2.0
    tick: float = 0.25
    open_after: float = 0.3
    clear_after: float = 1.0
    assess_after: float = 1.0
    update_every: float = 2.0
    request_timeout: float = 1.0

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        return cls(
            edge_url=env.get("EDGE_URL", "http://edge:8080").rstrip("/"),
            workers=parse_workers(env.get("WORKERS", "")),
            primary_url=env.get("PRIMARY_URL", "http://provider-primary:8000/v1").rstrip("/"),
            primary_key=env.get("PRIMARY_API_KEY", "sk-claims-monitor-dev"),
            model=env.get("MODEL_NAME", "sim-primary"),
            usage_url=env.get("USAGE_URL", ""),
            alert_url=env.get("ALERT_URL", "").rstrip("/"),
            smtp_host=env.get("NOTICE_SMTP_HOST", ""),
            smtp_port=int(env.get("NOTICE_SMTP_PORT", "25")),
            quality_monitor=env.get("QUALITY_MONITOR", "on") == "on",
            quality_floor=float(env.get("QUALITY_FLOOR", "0.85")),
            canary_every=float(env.get("CANARY_EVERY", "2.0")),
            tick=float(env.get("TICK", "0.25")),
            open_after=float(env.get("OPEN_AFTER", "0.3")),
            clear_after=float(env.get("CLEAR_AFTER", "1.0")),
            assess_after=float(env.get("ASSESS_AFTER", "1.0")),
            update_every=float(env.get("UPDATE_EVERY", "2.0")),
        )


# --------------------------------------------------------------------------------------- what one look sees


@dataclass(frozen=True)
class Look:
    """What one tick saw. ``corrupt`` is None when the integrity check got no answer."""

    edge_ok: bool
    corrupt: int | None
    workers: Mapping[str, Mapping[str, Any] | None]  # name -> its /status, None when it did not answer
    quality: float | None = None  # the last canary round's accuracy, None when not known
    key_misuse: tuple[str, ...] = ()  # fingerprints of our keys someone else used
    hold: str = ""


@dataclass
class Watch:
    """What the monitor remembers between looks: the workers it has seen up, and whether it is armed."""

    workers: tuple[WorkerRef, ...]
    seen_up: set[str] = field(default_factory=set)
    armed: bool = False

    def see(self, look: Look) -> None:
        self.seen_up |= {name for name, status in look.workers.items() if status is not None}
        if not self.armed and look.edge_ok and look.corrupt == 0 and self.seen_up:
            self.armed = True


def assess(look: Look, watch: Watch, floor: float) -> tuple[str, list[str]]:
    """The mode the system runs in, and what is wrong, in the client's words (empty: nothing)."""
    up = {name for name, status in look.workers.items() if status is not None}
    serving_regions = {w.region for w in watch.workers if w.name in up}
    expected = {w.name for w in watch.workers if w.region in serving_regions and w.name in watch.seen_up}
    missing = sorted(expected - up)
    statuses = [s for s in look.workers.values() if s is not None]
    on_backup = [s for s in statuses if s.get("active_provider") == "backup"]
    failing = [
        s
        for s in statuses
        if s.get("active_provider") == "primary" and int(s.get("consecutive_failures") or 0) > 0
    ]
    labelling = [s for s in statuses if s.get("active_provider") in ("primary", "backup")]
    problems: list[str] = []
    if not look.edge_ok:
        problems.append("new claims cannot be submitted")
    elif look.corrupt is None:
        problems.append("claims cannot be stored or read")
    if look.corrupt:
        problems.append(f"{look.corrupt} stored labels failed our integrity check")
    if not up:
        problems.append("no claim is being labelled")
    elif not labelling:
        problems.append("no model answers, so labelling waits")
    if missing:
        problems.append("part of our processing capacity is unavailable")
    if failing:
        problems.append("our main model is failing to answer")
    if on_backup:
        problems.append("labels come from our standby model")
    quality_low = look.quality is not None and look.quality < floor
    if quality_low:
        problems.append("the labels of our main model are less accurate than they must be")
    if look.key_misuse:
        problems.append("one of our access credentials is being used by someone else")
    if (not look.edge_ok and not up) or look.corrupt:
        mode = MANUAL
    elif not look.edge_ok or look.corrupt is None or not labelling:
        mode = QUEUE
    elif missing:
        mode = THROUGHPUT
    elif on_backup or quality_low:
        mode = ACCURACY
    else:
        mode = NORMAL
    return mode, problems


# ------------------------------------------------------------------------------------------ the messages


class Messenger:
    """Pages the on-call (Opsgenie alerts API) and tells the client (e-mail)."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def page(self, alias: str, message: str, description: str) -> None:
        body = {"message": message, "alias": alias, "description": description, "priority": "P1"}
        self._post(f"{self._config.alert_url}/v2/alerts", body)

    def close(self, alias: str, note: str) -> None:
        self._post(f"{self._config.alert_url}/v2/alerts/{alias}/close?identifierType=alias", {"note": note})

    def _post(self, url: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": "GenieKey claims-monitor"},
        )
        try:
            urllib.request.urlopen(request, timeout=2).close()
        except (OSError, ValueError) as exc:
            log("alert_failed", error=str(exc)[:200])

    def notice(self, subject: str, text: str) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = (
            "status@claims.example",
            "claims-ops@client.example",
            subject,
        )
        mail.set_content(text)
        try:
            with smtplib.SMTP(self._config.smtp_host, self._config.smtp_port, timeout=2) as smtp:
                smtp.send_message(mail)
        except (OSError, ValueError) as exc:
            log("notice_failed", error=str(exc)[:200])
        log("notice", subject=subject)


class Incident:
    """One incident's messages, by the plan's communication protocol: page and first notice when it opens, an
    assessment, updates at a cadence and a notice per degraded mode while it lasts, a resolution when it
    closes."""

    def __init__(
        self,
        config: Config,
        messenger: Messenger,
        number: int,
        mode: str,
        problems: Sequence[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._messenger = messenger
        self._clock = clock
        self.alias = f"claims-incident-{number}"
        self.opened = clock()
        self.last_notice = self.opened
        self.assessed = False
        self.modes_told: set[str] = set()
        self.worst = list(problems)
        messenger.page(self.alias, "Claims processing incident: " + "; ".join(problems), "; ".join(problems))
        messenger.notice(
            "Service notice: claims processing",
            "We have detected a problem affecting claims processing. Our team is investigating now. "
            "Your next update will arrive within the hour.",
        )
        self.tell_mode(mode)

    def tell_mode(self, mode: str) -> None:
        if mode != NORMAL and mode not in self.modes_told:
            self.modes_told.add(mode)
            self._messenger.notice("Service notice: how claims are handled now", MODE_NOTICES[mode])
            self.last_notice = self._clock()

    def tick(self, mode: str, problems: Sequence[str]) -> None:
        now = self._clock()
        self.worst = list(dict.fromkeys([*self.worst, *problems]))
        self.tell_mode(mode)
        if not self.assessed and now - self.opened >= self._config.assess_after:
            self.assessed = True
            impact = "; ".join(problems) or "the disruption is easing"
            self._messenger.notice(
                "Assessment: claims processing",
                f"Current assessment of the problem affecting claims processing: {impact}. Degraded mode in "
                f"effect: {MODE_WORDS[mode]}. Our recovery objective for this kind of event is the one in our "
                "agreement; we will update you at least every hour until it is resolved.",
            )
            self.last_notice = now
        elif now - self.last_notice >= self._config.update_every:
            status = "; ".join(problems) or "the service is working again and being watched"
            self._messenger.notice(
                "Update: claims processing",
                f"Recovery of claims processing is in progress. Status: {status}. Next update within the hour.",
            )
            self.last_notice = now

    def close(self) -> None:
        what = "; ".join(self.worst) or "a disruption"
        self._messenger.close(self.alias, "Claims processing is back to normal operation")
        self._messenger.notice(
            "Resolved: claims processing",
            "Claims processing is back to normal operation. Summary of what happened and what we did: "
            f"{what}; we kept claims safe and restored normal processing. A written incident report will follow "
            "within 48 hours.",
        )


# ---------------------------------------------------------------------------------- quality and key use


class Canary:
    """The primary's quality on the canary set, asked as the workers ask (the model name, or the pin)."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self.calls = 0  # every HTTP request made with the monitor's key (the usage report is set against it)
        self._client = openai.OpenAI(
            base_url=config.primary_url,
            api_key=config.primary_key,
            timeout=config.request_timeout,
            max_retries=0,
            http_client=openai.DefaultHttpx2Client(event_hooks={"request": [self._counted]}),
        )
        self.blocked_until = 0.0  # the provider's Retry-After binds the monitor's key too

    def close(self) -> None:
        self._client.close()

    def _counted(self, request: Any) -> None:
        self.calls += 1

    def round(self, model: str) -> tuple[float | None, str]:
        """Accuracy on the canary set and the version that answered; None when too few answered (the primary is
        down, slow or asked us to wait: that is no quality figure)."""
        right = answered = 0
        version = ""
        for text, label in CANARY:
            if time.monotonic() < self.blocked_until:
                break
            try:
                answer = self._client.responses.create(model=model, instructions=SYSTEM_PROMPT, input=text)
            except openai.APIStatusError as exc:
                wait = exc.response.headers.get("retry-after-ms") if exc.response is not None else None
                if wait:
                    self.blocked_until = time.monotonic() + float(wait) / 1000
                break
            except (openai.APIError, OSError, ValueError):
                break
            answered += 1
            version = answer.model
            right += answer.output_text.strip().lower() == label
        if answered < MIN_ANSWERED:
            return None, version
        return right / answered, version


def fingerprint_counts(found: object) -> dict[str, int]:
    return {str(k): int(v) for k, v in found.items()} if isinstance(found, dict) else {}


class KeyUse:
    """Calls the provider accepted with each of our keys, set against the calls we say we made with it: more
    accepted than made, over a few polls, is our key in someone else's hands."""

    def __init__(self) -> None:
        self._provider: dict[str, int] = {}
        self._ours: dict[str, dict[str, int]] = {}  # source -> fingerprint -> calls
        self._window: dict[str, deque[int]] = {}

    def observe(self, provider: Mapping[str, int], ours: Mapping[str, Mapping[str, int]]) -> tuple[str, ...]:
        known = {fp for counts in ours.values() for fp in counts} | set(self._window)
        deltas: dict[str, int] = {}
        for fp in known:
            before = self._provider.get(fp, 0)
            now = provider.get(fp, before)
            deltas[fp] = now - before if now >= before else now
        for source, counts in ours.items():
            seen = self._ours.setdefault(source, {})
            for fp, now in counts.items():
                before = seen.get(fp, 0)
                deltas[fp] = deltas.get(fp, 0) - (now - before if now >= before else now)
                seen[fp] = now
        self._provider.update({fp: provider[fp] for fp in known if fp in provider})
        misused = []
        for fp, delta in deltas.items():
            window = self._window.setdefault(fp, deque(maxlen=USAGE_WINDOW))
            window.append(delta)
            if sum(window) > USAGE_TOLERANCE:
                misused.append(fp)
        return tuple(sorted(misused))


# ------------------------------------------------------------------------------------------- the key vault


def parse_pairs(text: str) -> dict[str, str]:
    """``name=value, ...`` as a mapping; ValueError naming a bad entry."""
    found = {}
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"entry {entry!r} is not name=value")
        found[name.strip()] = value.strip()
    return found


class KeyVault:
    """The fleet's primary keys: each holder's current key, and the old ones the provider still accepts until
    they are revoked. The provider's admin API takes the whole set it accepts, so the vault always sends it."""

    def __init__(self, keys: Mapping[str, str], files: Mapping[str, str], directory: str, admin_url: str) -> None:
        self._current = dict(keys)
        self._old: dict[str, list[str]] = {holder: [] for holder in keys}
        self._files = dict(files)
        self._directory = directory
        self._admin_url = admin_url
        self._lock = threading.Lock()

    @property
    def holders(self) -> list[str]:
        """The holders whose key the vault can rotate (it knows where each reads its key)."""
        return sorted(h for h in self._current if h in self._files)

    def _push(self, current: Mapping[str, str], old: Mapping[str, list[str]]) -> None:
        accepted = sorted({*current.values(), *(k for keys in old.values() for k in keys)})
        body = json.dumps({"keys": accepted}).encode()
        request = urllib.request.Request(
            self._admin_url, data=body, headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=5).close()

    def issue(self, holder: str) -> str:
        """A new key for ``holder``, accepted by the provider, then written to the holder's file; its
        fingerprint. KeyError: an unknown holder; OSError: the provider or the file could not be reached."""
        with self._lock:
            new = f"sk-claims-{holder}-{secrets.token_urlsafe(18)}"
            current = {**self._current, holder: new}
            old = {**self._old, holder: [*self._old[holder], self._current[holder]]}
            self._push(current, old)  # accepted by the provider before anyone uses it
            self._current, self._old = current, old
            path = os.path.join(self._directory, self._files[holder])
            with open(path + ".new", "w") as out:
                out.write(new)
            os.replace(path + ".new", path)
        log("key_issued", holder=holder, key=fingerprint(new))
        return fingerprint(new)

    def revoke(self, holder: str) -> list[str]:
        """The holder's old keys refused by the provider from now on; their fingerprints."""
        with self._lock:
            gone = self._old[holder]
            old = {**self._old, holder: []}
            self._push(self._current, old)
            self._old = old
        log("key_revoked", holder=holder, keys=[fingerprint(k) for k in gone])
        return [fingerprint(k) for k in gone]


# ----------------------------------------------------------------------------------------------- the monitor


def _get_json(url: str, timeout: float) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


class Monitor:
    """The loops and the state they share; the operations API reads and changes it."""

    def __init__(
        self,
        config: Config,
        pool: db.Pool | None,
        messenger: Messenger,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.clock = clock
        self.pool = pool
        self.messenger = messenger
        self.watch = Watch(config.workers)
        self.canary = Canary(config) if config.quality_monitor else None
        self.key_use = KeyUse()
        self.lock = threading.Lock()
        self.mode = NORMAL
        self.problems: list[str] = []
        self.incident: Incident | None = None
        self.incidents = 0
        self.hold = ""  # why labelling is held off the primary ("": it is not)
        self.pin = ""
        self.quality: float | None = None
        self.quality_version = ""
        self.known_good = ""  # the version in service when the system was first seen whole
        self.key_misuse: tuple[str, ...] = ()
        self._written: dict[str, str] | None = None  # the settings last written to the database
        self._candidate: tuple[str, float] | None = None  # a mode seen, and since when
        self._wrong_since: float | None = None
        self._right_since: float | None = None

    # -- settings --------------------------------------------------------------------------------

    def set_hold(self, reason: str) -> None:
        with self.lock:
            if self.hold != reason:
                log("hold", reason=reason or None)
            self.hold = reason

    def set_pin(self, pin: str) -> None:
        with self.lock:
            self.pin = pin
        log("model_pin", pin=pin or None)

    def write_settings(self) -> None:
        """Write the hold and the pin where the workers read them (again next tick if the database is away)."""
        with self.lock:
            wanted = {"primary_hold": self.hold, "primary_model_pin": self.pin}
        if wanted == self._written or self.pool is None:
            return
        try:
            with self.pool.connection() as conn, conn.cursor() as cur:
                for name, value in wanted.items():
                    cur.execute(
                        "INSERT INTO settings (name, value) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
                        "SET value = EXCLUDED.value, updated_at = now()",
                        (name, value),
                    )
                conn.commit()
        except db.Error as exc:
            log("settings_not_written", detail=str(exc).strip()[:200])
            return
        self._written = wanted

    # -- looking -----------------------------------------------------------------------------------

    def look(self) -> Look:
        timeout = self.config.request_timeout
        # One request through the endpoint tells both: it answers (the endpoint works), and with a count (the
        # database does). Few requests: the endpoint is the clients', not the monitor's.
        status, integrity = _get_json(f"{self.config.edge_url}/integrity", timeout)
        corrupt = int(integrity["corrupt"]) if status == 200 and isinstance(integrity, dict) else None
        workers: dict[str, Mapping[str, Any] | None] = {}
        for ref in self.config.workers:
            code, found = _get_json(f"http://{ref.address}/status", timeout)
            workers[ref.name] = found if code == 200 and isinstance(found, dict) else None
        with self.lock:
            quality, misuse, hold = self.quality, self.key_misuse, self.hold
        return Look(status != 0, corrupt, workers, quality, misuse, hold)

    def tick(self) -> None:
        # What a look finds held when it began: a request to a worker whose container just died can hang for the
        # whole request timeout, and dating its finding at the answer would let an outage shorter than a timeout
        # plus OPEN_AFTER pass unseen between two ticks.
        began = self.clock()
        look = self.look()
        self.watch.see(look)
        if not self.known_good:
            versions = [s.get("model_version") for s in look.workers.values() if s and s.get("model_version")]
            if self.watch.armed and versions:
                self.known_good = str(versions[0])
        self._usage(look)
        self.write_settings()
        if not self.watch.armed:
            return
        mode, problems = assess(look, self.watch, self.config.quality_floor)
        self._settle_mode(mode, began)
        with self.lock:
            self.problems = problems
        self._incident(problems, began)

    def _settle_mode(self, mode: str, now: float) -> None:
        if self._candidate is None or self._candidate[0] != mode:
            self._candidate = (mode, now)
        if mode != self.mode and now - self._candidate[1] >= self.config.open_after:
            log("mode", mode=mode, was=self.mode)
            with self.lock:
                self.mode = mode

    def _incident(self, problems: Sequence[str], now: float) -> None:
        if problems:
            self._right_since = None
            self._wrong_since = self._wrong_since if self._wrong_since is not None else now
            if self.incident is None and now - self._wrong_since >= self.config.open_after:
                self.incidents += 1
                log("incident_open", problems=list(problems))
                self.incident = Incident(
                    self.config, self.messenger, self.incidents, self.mode, problems, self.clock
                )
            elif self.incident is not None:
                self.incident.tick(self.mode, problems)
            return
        self._wrong_since = None
        if self.incident is None:
            return
        self._right_since = self._right_since if self._right_since is not None else now
        if now - self._right_since >= self.config.clear_after and self.mode == NORMAL:
            log("incident_closed", alias=self.incident.alias)
            self.incident.close()
            self.incident = None
        else:
            self.incident.tick(self.mode, problems)

    def _usage(self, look: Look) -> None:
        if not self.config.usage_url:
            return
        code, report = _get_json(self.config.usage_url, self.config.request_timeout)
        if code != 200 or not isinstance(report, dict):
            return
        accepted = {
            fp: int(counts.get("accepted", 0))
            for fp, counts in (report.get("by_key") or {}).items()
            if isinstance(counts, dict)
        }
        ours = {name: fingerprint_counts(s.get("calls_by_key")) for name, s in look.workers.items() if s}
        if self.canary is not None:
            ours["monitor"] = {fingerprint(self.config.primary_key): self.canary.calls}
        misuse = self.key_use.observe(accepted, ours)
        with self.lock:
            if misuse and misuse != self.key_misuse:
                log("key_misuse", keys=list(misuse))
            self.key_misuse = misuse

    def quality_round(self) -> None:
        """One canary round; a drop below the floor holds labelling off the primary, and passing again lifts a
        hold the quality put there."""
        if self.canary is None or not self.watch.armed:
            return
        with self.lock:
            model = self.pin or self.config.model
        accuracy, version = self.canary.round(model)
        with self.lock:
            self.quality, self.quality_version = accuracy, version
        if accuracy is None:
            return
        if accuracy < self.config.quality_floor:
            if not self.hold:
                log("quality_low", accuracy=round(accuracy, 3), version=version)
                self.set_hold("quality below the floor")
        elif self.hold == "quality below the floor":
            log("quality_back", accuracy=round(accuracy, 3), version=version)
            self.set_hold("")

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {
                "mode": self.mode,
                "incident": self.incident.alias if self.incident is not None else None,
                "incidents": self.incidents,
                "problems": list(self.problems),
                "armed": self.watch.armed,
                "hold": self.hold,
                "model_pin": self.pin,
                "known_good_version": self.known_good,
                "quality": self.quality,
                # The quality watch's alarm, on while the last canary round scored below the floor (off: it
                # scored above, or no round has scored yet, or there is no quality watch).
                "quality_alarm": "on"
                if self.quality is not None and self.quality < self.config.quality_floor
                else "off",
                "quality_version": self.quality_version,
                "quality_monitor": self.canary is not None,
                "key_misuse": list(self.key_misuse),
                # The key-use watch's alarm: on while one of our keys is used by someone else.
                "key_alarm": "on" if self.key_misuse else "off",
            }


def loop(every: float, step: Callable[[], None], name: str) -> None:
    while True:
        started = time.monotonic()
        try:
            step()
        except Exception as exc:  # a loop that dies would look like a quiet system
            log("monitor_error", loop=name, detail=f"{type(exc).__name__}: {exc}"[:300])
        time.sleep(max(0.0, every - (time.monotonic() - started)))


class Handler(serving.JsonHandler):
    server_version = "claims-monitor/1"
    monitor: Monitor  # set on the class by main()
    vault: KeyVault | None = None  # set by main() when the fleet's keys are given

    def do_GET(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path == "/status":
            self.send_json(200, self.monitor.status())
        elif self.path == "/health":
            self.send_json(200, {"status": "ok"})
        else:
            self.send_json(404, {"error": f"unknown path {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - http.server dispatches on this name
        try:
            body = self.read_json()
        except ValueError as exc:
            self.send_json(400, {"error": str(exc)})
            return
        if not isinstance(body, dict):
            self.send_json(400, {"error": "body must be a JSON object"})
        elif self.path == "/admin/hold":
            self._hold(body)
        elif self.path == "/admin/model-pin":
            self._pin(body)
        elif self.path in ("/admin/keys/issue", "/admin/keys/revoke"):
            self._keys(self.path.rsplit("/", 1)[1], body)
        else:
            self.send_json(404, {"error": f"unknown path {self.path}"})

    def _hold(self, body: dict[str, Any]) -> None:
        hold = body.get("hold")
        if not isinstance(hold, bool):
            self.send_json(400, {"error": "hold must be true or false"})
            return
        reason = str(body.get("reason") or "held by the operations team") if hold else ""
        self.monitor.set_hold(reason)
        self.monitor.write_settings()
        self.send_json(200, {"hold": reason})

    def _keys(self, action: str, body: dict[str, Any]) -> None:
        vault = self.vault
        holder = body.get("holder")
        if vault is None:
            self.send_json(409, {"error": "no key vault: set FLEET_KEYS, KEY_FILES and PROVIDER_KEYS_URL"})
        elif not isinstance(holder, str) or holder not in vault.holders:
            self.send_json(400, {"error": f"holder must be one of {vault.holders}, got {holder!r}"})
        else:
            try:
                done = vault.issue(holder) if action == "issue" else vault.revoke(holder)
            except OSError as exc:
                self.send_json(502, {"error": f"the key could not be {action}d: {exc}"[:300]})
                return
            self.send_json(200, {"holder": holder, action: done})

    def _pin(self, body: dict[str, Any]) -> None:
        pin = body.get("pin")
        if pin == "previous":
            pin = self.monitor.known_good
            if not pin:
                self.send_json(409, {"error": "no known-good version yet: the system was never seen whole"})
                return
        if pin is not None and (not isinstance(pin, str) or not pin):
            self.send_json(400, {"error": "pin must be 'previous', a version name, or null"})
            return
        self.monitor.set_pin(pin or "")
        self.monitor.write_settings()
        self.send_json(200, {"model_pin": pin})


def main() -> None:
    config = Config.from_env()
    pool = db.Pool(db.dsn(), size=2)
    monitor = Monitor(config, pool, Messenger(config))
    Handler.monitor = monitor
    if os.environ.get("FLEET_KEYS") and os.environ.get("PROVIDER_KEYS_URL"):
        Handler.vault = KeyVault(
            parse_pairs(os.environ["FLEET_KEYS"]),
            parse_pairs(os.environ.get("KEY_FILES", "")),
            os.environ.get("SECRETS_DIR", "/run/claims-secrets"),
            os.environ["PROVIDER_KEYS_URL"],
        )
    port = int(os.environ.get("PORT", "8095"))
    server = serving.Server(("0.0.0.0", port), Handler)
    threading.Thread(target=loop, args=(config.tick, monitor.tick, "watch"), daemon=True).start()
    if monitor.canary is not None:
        threading.Thread(
            target=loop, args=(config.canary_every, monitor.quality_round, "quality"), daemon=True
        ).start()
    log(
        "started",
        port=port,
        quality_monitor=config.quality_monitor,
        workers=[w.address for w in config.workers],
    )
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
