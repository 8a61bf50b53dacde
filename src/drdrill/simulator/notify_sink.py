"""drdrill's notification sink: where a system under drill sends its alerts and its client notices.

A replica points its alerting and its client notices at the sink (plan: ``staging_topology.notifications``,
one channel per kind of message). Each message is kept with the instant it arrived, on this process's
CLOCK_MONOTONIC, which a container shares with the host running the drill (no compose service runs in a time
namespace): the drill's journal and the sink's instants compare directly.

    POST /<channel>/<any path>       an HTTP webhook: Slack incoming webhooks, Microsoft Teams (MessageCard, or
                                     an Adaptive Card through a workflow), PagerDuty Events v2 (/v2/enqueue),
                                     Opsgenie alerts (/v2/alerts, /v2/alerts/<id>/close), or any JSON; each is
                                     answered as the tool answers, so the sender's own client is satisfied
    SMTP on port 2525 + i            e-mail of the i-th channel (SINK_CHANNELS order), plain or MIME
    GET  /_sink/messages?since=N     the messages from the N-th on, and the clock's reading now
    GET  /health

Environment: SINK_CHANNELS (comma-separated channel names, required), PORT (8090), SMTP_BASE_PORT (2525).
A message to a channel that was not declared is refused (HTTP 404, SMTP 550) and counted, so a wrong URL in
the system shows up in the drill instead of passing silently. It runs with the python3 of drdrill's base
image and its python3-aiosmtpd (the drdrill/notify-sink:local image), or anywhere both are.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn

from aiosmtpd.controller import Controller  # the image's python3-aiosmtpd (drdrill's dev extra on a host)

BODY_LIMIT = 1024 * 1024
TEXT_LIMIT = 4000  # characters of a message's text kept: enough for any notice, bounded for the scorecard


@dataclass(frozen=True)
class Message:
    """One message the sink received: when (ns on CLOCK_MONOTONIC), on which channel, in which shape, and
    its words (``text``; ``subject`` for e-mail and the tools that have one). ``action`` is what an alerting
    tool's event does: ``trigger``, ``acknowledge`` or ``resolve`` (None for chat and e-mail)."""

    seq: int
    received_ns: int
    channel: str
    via: str  # http | smtp
    shape: str  # slack | teams | pagerduty | opsgenie | generic | email
    text: str
    subject: str | None = None
    action: str | None = None
    path: str | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- shapes


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, depth first (the text of a card whose layout the sink does not know)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _join(parts: Sequence[object]) -> str:
    return "\n".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


def _slack(body: dict[str, Any]) -> str:
    parts: list[object] = [body.get("text")]
    for block in body.get("blocks") or []:
        if isinstance(block, dict):
            text = block.get("text")
            parts.append(text.get("text") if isinstance(text, dict) else text)
            for element in block.get("elements") or block.get("fields") or []:
                if isinstance(element, dict):
                    parts.append(element.get("text"))
    for attachment in body.get("attachments") or []:
        if isinstance(attachment, dict):
            parts += [attachment.get(k) for k in ("pretext", "title", "text", "fallback")]
    return _join(parts)


def _adaptive(node: object) -> Iterator[str]:
    """The TextBlock texts and facts of an Adaptive Card, in reading order."""
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            yield node["text"]
        if node.get("type") == "FactSet":
            for fact in node.get("facts") or []:
                if isinstance(fact, dict):
                    yield f"{fact.get('title', '')}: {fact.get('value', '')}"
        for key in ("body", "items", "columns", "content"):
            yield from _adaptive(node.get(key))
    elif isinstance(node, list):
        for item in node:
            yield from _adaptive(item)


def _teams(body: dict[str, Any]) -> str:
    if body.get("@type") == "MessageCard":
        parts: list[object] = [body.get("title"), body.get("summary"), body.get("text")]
        for section in body.get("sections") or []:
            if isinstance(section, dict):
                parts += [section.get(k) for k in ("activityTitle", "activitySubtitle", "title", "text")]
                for fact in section.get("facts") or []:
                    if isinstance(fact, dict):
                        parts.append(f"{fact.get('name', '')}: {fact.get('value', '')}")
        return _join(parts)
    return _join(
        list(_adaptive([a.get("content") for a in body.get("attachments") or [] if isinstance(a, dict)]))
    )


def classify(path: str, body: object) -> tuple[str, str, str | None, str | None]:
    """``(shape, text, subject, action)`` of a webhook's JSON body posted to ``path``."""
    if not isinstance(body, dict):
        return "generic", _join(list(_strings(body))), None, None
    if "event_action" in body and ("routing_key" in body or path.endswith("/v2/enqueue")):
        payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
        summary = payload.get("summary") if isinstance(payload, dict) else None
        details = payload.get("custom_details") if isinstance(payload, dict) else None
        text = _join([summary, *(_strings(details) if details is not None else [])])
        return "pagerduty", text, summary if isinstance(summary, str) else None, str(body.get("event_action"))
    if "/v2/alerts" in path:
        action = "resolve" if path.rstrip("/").endswith("/close") else "trigger"
        message = body.get("message")
        return "opsgenie", _join([message, body.get("description"), body.get("note")]), message, action
    if body.get("@type") == "MessageCard" or (
        body.get("type") == "message" and isinstance(body.get("attachments"), list)
    ):
        return "teams", _teams(body), body.get("title") if isinstance(body.get("title"), str) else None, None
    if "text" in body or "blocks" in body:
        return "slack", _slack(body), None, None
    fields = [body.get(k) for k in ("title", "subject", "summary", "message", "text", "body", "description")]
    text = _join(fields) or _join(list(_strings(body)))
    subject = next((f for f in fields[:2] if isinstance(f, str)), None)
    return "generic", text, subject, None


def answer_for(shape: str, body: object) -> tuple[int, bytes, str]:
    """What the tool itself answers a webhook with (status, body, content type), so the sender is satisfied."""
    if shape == "pagerduty":
        dedup = body.get("dedup_key") if isinstance(body, dict) else None
        reply = {"status": "success", "message": "Event processed", "dedup_key": dedup or uuid.uuid4().hex}
        return 202, json.dumps(reply).encode(), "application/json"
    if shape == "opsgenie":
        reply = {"result": "Request will be processed", "took": 0.01, "requestId": str(uuid.uuid4())}
        return 202, json.dumps(reply).encode(), "application/json"
    if shape == "slack":
        return 200, b"ok", "text/plain"
    if shape == "teams":
        return 200, b"1", "text/plain"
    return 200, json.dumps({"ok": True}).encode(), "application/json"


def from_email(raw: bytes) -> tuple[str, str | None]:
    """``(text, subject)`` of an e-mail: its first text/plain part (or its only body)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = message.get("Subject")
    part = message.get_body(preferencelist=("plain", "html"))
    text = part.get_content() if part is not None else ""
    return str(text).strip(), None if subject is None else str(subject)


# ------------------------------------------------------------------------------------------------ sink


@dataclass
class Sink:
    """The messages received, shared by the HTTP threads and the SMTP loops."""

    channels: tuple[str, ...]
    clock: Callable[[], int] = field(default=time.monotonic_ns)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[Message] = []
        self.refused: dict[str, int] = {}

    def keep(self, **fields: Any) -> Message:
        with self._lock:
            text = str(fields.pop("text", ""))[:TEXT_LIMIT]
            message = Message(seq=len(self.messages), received_ns=self.clock(), text=text, **fields)
            self.messages.append(message)
            return message

    def refuse(self, where: str) -> None:
        with self._lock:
            self.refused[where] = self.refused.get(where, 0) + 1

    def since(self, seq: int) -> dict[str, Any]:
        with self._lock:
            return {
                "clock": "CLOCK_MONOTONIC",
                "now_ns": self.clock(),
                "messages": [asdict(m) for m in self.messages[seq:]],
                "refused": dict(self.refused),
            }


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "drdrill-notify-sink/1"
    sink: Sink  # set on the class by main()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the messages themselves are the record."""

    def _send(self, status: int, data: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/health":
            self._send(200, json.dumps({"status": "ok", "channels": list(self.sink.channels)}).encode())
        elif path == "/_sink/messages":
            since = urllib.parse.parse_qs(query).get("since", ["0"])[-1]
            if not since.isdigit():
                self._send(
                    400,
                    json.dumps({"error": f"since must be a non-negative integer, got {since!r}"}).encode(),
                )
                return
            self._send(200, json.dumps(self.sink.since(int(since))).encode())
        else:
            self._send(404, json.dumps({"error": f"unknown path {path}"}).encode())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, BODY_LIMIT))
        path = self.path.partition("?")[0]
        channel, _, rest = path.lstrip("/").partition("/")
        if channel not in self.sink.channels:
            self.sink.refuse(f"http /{channel}")
            known = ", ".join(self.sink.channels)
            self._send(404, json.dumps({"error": f"no channel {channel!r} (channels: {known})"}).encode())
            return
        try:
            body: object = json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = raw.decode("utf-8", errors="replace")
        shape, text, subject, action = classify(f"/{rest}", body)
        self.sink.keep(
            channel=channel,
            via="http",
            shape=shape,
            text=text,
            subject=subject,
            action=action,
            path=f"/{rest}",
        )
        self._send(*answer_for(shape, body))


class MailHandler:
    """aiosmtpd's handler for one channel: keep each message as it is received."""

    def __init__(self, sink: Sink, channel: str) -> None:
        self.sink = sink
        self.channel = channel

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content
        text, subject = from_email(raw if isinstance(raw, bytes) else str(raw).encode())
        self.sink.keep(
            channel=self.channel,
            via="smtp",
            shape="email",
            text=text,
            subject=subject,
            sender=str(envelope.mail_from),
            recipients=tuple(str(r) for r in envelope.rcpt_tos),
        )
        return "250 Message accepted for delivery"


def start_smtp(sink: Sink, host: str, ports: Sequence[int]) -> list[Any]:
    """One SMTP server per channel, the i-th on ``ports[i]``; returns their controllers (to stop them)."""
    controllers = []
    for channel, port in zip(sink.channels, ports, strict=True):
        controller = Controller(MailHandler(sink, channel), hostname=host, port=port)
        controller.start()
        controllers.append(controller)
    return controllers


def channels_from_env(env: dict[str, str]) -> tuple[str, ...]:
    found = tuple(c.strip() for c in env.get("SINK_CHANNELS", "").split(",") if c.strip())
    if not found:
        raise ValueError("SINK_CHANNELS must name at least one channel, e.g. SINK_CHANNELS=on-call,client")
    for channel in found:
        if not channel.replace("-", "").replace("_", "").isalnum():
            raise ValueError(
                f"channel {channel!r} must be letters, digits, - and _ (it is a URL path segment)"
            )
    return found


def serve_until_signalled(server: Server) -> NoReturn:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    env = dict(os.environ)
    try:
        Handler.sink = Sink(channels_from_env(env))
        port, smtp = int(env.get("PORT", "8090")), int(env.get("SMTP_BASE_PORT", "2525"))
    except ValueError as exc:
        print(f"notify-sink: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    server = Server(("0.0.0.0", port), Handler)
    start_smtp(Handler.sink, "0.0.0.0", [smtp + i for i in range(len(Handler.sink.channels))])
    print(
        json.dumps({"event": "listening", "http": port, "smtp": smtp, "channels": Handler.sink.channels}),
        flush=True,
    )
    serve_until_signalled(server)


if __name__ == "__main__":
    main()
