"""A labelling service that drdrill drills: jobs in over HTTP, labelled by an AI provider through its official SDK.

The primary provider is called with the openai SDK (chat completions, streamed), the backup with the anthropic
SDK (messages, streamed). After FAILOVER_AFTER failed calls in a row the service labels on the backup (mode
`backup`), pages its on-call through PagerDuty Events v2 (ALERT_URL) and tells the client by e-mail
(NOTICE_SMTP_HOST/PORT): a first notice, an assessment, updates every UPDATE_EVERY seconds, and a resolution
once it is back on the primary. A 429's Retry-After is honoured: no call to the primary before it allows one.

CARELESS=1 plays a team that gets it wrong: it ignores Retry-After, and its first notice is late and names
the vendor.
"""

from __future__ import annotations

import json
import os
import smtplib
import threading
import time
import urllib.request
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anthropic
import openai

ENV = os.environ
CARELESS = ENV.get("CARELESS", "0") == "1"
FAILOVER_AFTER = int(ENV.get("FAILOVER_AFTER", "3"))
FAILBACK_EVERY = float(ENV.get("FAILBACK_EVERY", "1.0"))
UPDATE_EVERY = float(ENV.get("UPDATE_EVERY", "2.0"))
TIMEOUT = float(ENV.get("REQUEST_TIMEOUT", "1.0"))
LABELS = ("car", "home", "body", "other")
PROMPT = "Label this claim with one word: car, home, body or other."

primary = openai.OpenAI(base_url=ENV["PRIMARY_URL"], api_key="sk-primary", max_retries=1, timeout=TIMEOUT)
backup = anthropic.Anthropic(base_url=ENV["BACKUP_URL"], api_key="sk-backup", max_retries=1, timeout=TIMEOUT)

lock = threading.Lock()
jobs: dict[str, dict[str, str]] = {}
state = {"mode": "normal", "active_provider": "primary"}
blocked = {"primary_until": 0.0}  # no call to the primary before this (monotonic), as its Retry-After said


def log(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


# ----------------------------------------------------------------------------------- labelling


def ask_primary(text: str) -> str:
    wait = blocked["primary_until"] - time.monotonic()
    if wait > 0 and not CARELESS:
        time.sleep(wait)
    try:
        stream = primary.chat.completions.create(
            model="sim-primary",
            messages=[{"role": "system", "content": PROMPT}, {"role": "user", "content": text}],
            stream=True,
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices).strip()
    except openai.RateLimitError as exc:
        after = exc.response.headers.get("retry-after-ms")
        blocked["primary_until"] = time.monotonic() + (float(after) / 1000 if after else 1.0)
        raise


def ask_backup(text: str) -> str:
    with backup.messages.stream(
        model="sim-backup", max_tokens=8, system=PROMPT, messages=[{"role": "user", "content": text}]
    ) as stream:
        return "".join(stream.text_stream).strip()


def label(text: str) -> str:
    """A label from the active provider, switching providers as the failures say."""
    if state["active_provider"] == "backup":
        return checked(ask_backup(text))
    return checked(ask_primary(text))


def checked(answer: str) -> str:
    if answer not in LABELS:
        raise ValueError(f"not a label: {answer!r}")
    return answer


class Incident:
    """The service's own alerting and its client notices for one failover."""

    def __init__(self) -> None:
        self.started = 0.0
        self.last_notice = 0.0
        self.assessed = False

    def open(self) -> None:
        self.started = self.last_notice = time.monotonic()
        self.assessed = False
        page("trigger", "Labelling fell back to the backup provider after repeated primary failures")
        if CARELESS:
            threading.Timer(
                6.0,
                notice,
                [
                    "Service notice",
                    "We have detected a problem affecting claim labelling: OpenAI is down. Our team is "
                    "investigating now and will have it fixed in 10 minutes. Your next update will arrive soon.",
                ],
            ).start()
        else:
            notice(
                "Service notice",
                "We have detected a problem affecting claim labelling. Our team is investigating now. "
                "Your next update will arrive within the hour.",
            )

    def tick(self) -> None:
        now = time.monotonic()
        if not self.assessed and now - self.started >= 0.8:
            self.assessed = True
            notice(
                "Assessment",
                "Current assessment of the problem affecting claim labelling: labels come more slowly. "
                "Degraded mode in effect: reduced accuracy. Our recovery objective for this kind of event is "
                "4 hours; we will update you at least every hour until it is resolved.",
            )
            self.last_notice = now
        elif now - self.last_notice >= UPDATE_EVERY:
            notice(
                "Update",
                "Recovery of claim labelling is in progress. Status: running on the standby. Next update within the hour.",
            )
            self.last_notice = now

    def close(self) -> None:
        page("resolve", "Labelling is back on the primary provider")
        notice(
            "Resolved",
            "Claim labelling is back to normal operation. Summary of what happened and what we did: a provider "
            "outage; we switched to the standby and back. A written incident report will follow within 48 hours.",
        )


def page(action: str, summary: str) -> None:
    body = {
        "routing_key": "drill",
        "event_action": action,
        "dedup_key": "labelling-provider",
        "payload": {"summary": summary, "source": "labeller", "severity": "critical"},
    }
    request = urllib.request.Request(
        ENV["ALERT_URL"], data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        urllib.request.urlopen(request, timeout=2).close()
    except OSError as exc:
        log("alert_failed", error=str(exc))


def notice(subject: str, text: str) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "status@labeller.example", "ops@client.example", subject
    mail.set_content(text)
    try:
        with smtplib.SMTP(ENV["NOTICE_SMTP_HOST"], int(ENV["NOTICE_SMTP_PORT"]), timeout=2) as smtp:
            smtp.send_message(mail)
    except OSError as exc:
        log("notice_failed", error=str(exc))


def worker() -> None:
    failures = 0
    incident = Incident()
    next_failback = 0.0
    while True:
        if state["mode"] == "backup":
            incident.tick()
            if time.monotonic() >= next_failback:
                next_failback = time.monotonic() + FAILBACK_EVERY
                try:
                    checked(ask_primary("Is the primary back? A car crash."))
                except Exception:
                    pass
                else:
                    state.update(mode="normal", active_provider="primary")
                    failures = 0
                    log("failback")
                    incident.close()
        with lock:
            pending = [j for j in jobs.values() if j["status"] == "pending"][:1]
        if not pending:
            time.sleep(0.02)
            continue
        job = pending[0]
        try:
            answer = label(job["text"])
        except Exception as exc:
            failures += 1
            log("label_failed", provider=state["active_provider"], error=type(exc).__name__)
            if state["mode"] == "normal" and failures >= FAILOVER_AFTER:
                state.update(mode="backup", active_provider="backup")
                next_failback = time.monotonic() + FAILBACK_EVERY
                log("failover")
                incident.open()
            continue
        failures = 0 if state["mode"] == "normal" else failures
        with lock:
            job.update(status="labelled", label=answer)


# ----------------------------------------------------------------------------------------- HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            self.send(200, {"ok": True})
        elif self.path == "/status":
            self.send(200, dict(state))
        elif self.path == "/jobs":
            with lock:
                self.send(200, {"jobs": list(jobs.values())})
        elif self.path.startswith("/jobs/"):
            with lock:
                job = jobs.get(self.path[len("/jobs/") :])
            self.send(200, job) if job else self.send(404, {"error": "no such job"})
        else:
            self.send(404, {"error": "unknown path"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path != "/jobs" or not isinstance(body.get("id"), str):
            self.send(400, {"error": "POST /jobs {id, text}"})
            return
        with lock:
            jobs.setdefault(
                body["id"], {"id": body["id"], "text": str(body.get("text", "")), "status": "pending"}
            )
        self.send(201, {"id": body["id"]})


if __name__ == "__main__":
    threading.Thread(target=worker, daemon=True).start()
    server = ThreadingHTTPServer(("0.0.0.0", int(ENV.get("PORT", "8080"))), Handler)
    server.daemon_threads = True
    log("listening")
    server.serve_forever()
