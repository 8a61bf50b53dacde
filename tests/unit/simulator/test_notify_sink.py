"""The notification sink: the webhook shapes of the common alerting and chat tools, e-mail over SMTP, each
message kept with its arrival instant on the monotonic clock, and a wrong channel refused."""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from drdrill.simulator import notify_sink as ns
from drdrill.staging.stack import free_ports

CHANNELS = ("on-call", "client")


@pytest.fixture
def sink() -> Iterator[tuple[ns.Sink, str, list[int]]]:
    """A sink with two channels on loopback: (sink, HTTP base URL, the channels' SMTP ports)."""
    state = ns.Sink(CHANNELS)
    handler = type("BoundHandler", (ns.Handler,), {"sink": state})
    server = ns.Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    smtp_ports = free_ports(2)
    controllers = ns.start_smtp(state, "127.0.0.1", smtp_ports)
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}", smtp_ports
    finally:
        for controller in controllers:
            controller.stop()
        server.shutdown()
        server.server_close()
        thread.join()


def post(url: str, path: str, body: Any) -> httpx.Response:
    return httpx.post(f"{url}{path}", json=body, timeout=5)


def messages(url: str, since: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{url}/_sink/messages?since={since}", timeout=5).json()[
        "messages"
    ]
    return found


def test_each_tool_is_answered_as_it_answers_and_its_words_kept(sink: tuple[ns.Sink, str, list[int]]) -> None:
    _, url, _ = sink
    before = time.monotonic_ns()
    pd = post(
        url,
        "/on-call/v2/enqueue",
        {
            "routing_key": "r",
            "event_action": "trigger",
            "dedup_key": "provider-down",
            "payload": {
                "summary": "primary provider error rate 80%",
                "source": "worker",
                "severity": "critical",
            },
        },
    )
    assert (pd.status_code, pd.json()["status"], pd.json()["dedup_key"]) == (202, "success", "provider-down")
    og = post(url, "/on-call/v2/alerts", {"message": "Accuracy below floor", "description": "0.62 < 0.9"})
    assert (og.status_code, og.json()["result"]) == (202, "Request will be processed")
    closed = post(url, "/on-call/v2/alerts/abc/close", {"note": "Accuracy back"})
    assert closed.status_code == 202
    slack = post(
        url,
        "/client/services/T0/B0/X",
        {
            "text": "fallback",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "We are on it."}}],
        },
    )
    assert (slack.status_code, slack.text) == (200, "ok")
    card = {
        "@type": "MessageCard",
        "summary": "Incident",
        "title": "Service degraded",
        "sections": [{"text": "Claims are queued.", "facts": [{"name": "Status", "value": "investigating"}]}],
    }
    assert post(url, "/client/webhookb2/x", card).text == "1"
    adaptive = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard",
                    "body": [{"type": "TextBlock", "text": "All normal again."}],
                },
            }
        ],
    }
    assert post(url, "/client/workflows/y", adaptive).status_code == 200
    assert post(url, "/client/hook", {"title": "Update", "message": "Still working."}).json() == {"ok": True}
    got = messages(url)
    shapes = [(m["channel"], m["shape"], m["action"], m["text"]) for m in got]
    assert shapes == [
        ("on-call", "pagerduty", "trigger", "primary provider error rate 80%"),
        ("on-call", "opsgenie", "trigger", "Accuracy below floor\n0.62 < 0.9"),
        ("on-call", "opsgenie", "resolve", "Accuracy back"),
        ("client", "slack", None, "fallback\nWe are on it."),
        ("client", "teams", None, "Service degraded\nIncident\nClaims are queued.\nStatus: investigating"),
        ("client", "teams", None, "All normal again."),
        ("client", "generic", None, "Update\nStill working."),
    ]
    stamps = [m["received_ns"] for m in got]
    assert before <= stamps[0] and stamps == sorted(stamps) and stamps[-1] <= time.monotonic_ns()
    assert [m["subject"] for m in got][:2] == ["primary provider error rate 80%", "Accuracy below floor"]
    assert messages(url, since=5) == got[5:]


def test_email_is_kept_by_the_channel_of_its_port(sink: tuple[ns.Sink, str, list[int]]) -> None:
    _, url, smtp_ports = sink
    mail = EmailMessage()
    mail["From"] = "noreply@example.test"
    mail["To"] = "ops@client.example"
    mail["Subject"] = "Service notice"
    mail.set_content("We have detected a problem. Next update within the hour.")
    mail.add_alternative("<p>We have detected a problem.</p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_ports[1], timeout=5) as smtp:  # the second channel: client
        smtp.send_message(mail)
    [kept] = messages(url)
    assert (kept["channel"], kept["via"], kept["shape"], kept["subject"]) == (
        "client",
        "smtp",
        "email",
        "Service notice",
    )
    assert kept["text"] == "We have detected a problem. Next update within the hour."
    assert kept["recipients"] == ["ops@client.example"]


def test_a_wrong_channel_is_refused_and_counted(sink: tuple[ns.Sink, str, list[int]]) -> None:
    _, url, _ = sink
    refused = post(url, "/pager/v2/enqueue", {"event_action": "trigger"})
    assert (refused.status_code, refused.json()) == (
        404,
        {"error": "no channel 'pager' (channels: on-call, client)"},
    )
    answer = httpx.get(f"{url}/_sink/messages", timeout=5).json()
    assert (answer["messages"], answer["refused"]) == ([], {"http /pager": 1})


def test_channels_come_from_the_environment() -> None:
    assert ns.channels_from_env({"SINK_CHANNELS": "on-call, client"}) == ("on-call", "client")
    with pytest.raises(ValueError, match="SINK_CHANNELS must name at least one channel"):
        ns.channels_from_env({})
    with pytest.raises(ValueError, match="channel 'a/b' must be letters, digits, - and _"):
        ns.channels_from_env({"SINK_CHANNELS": "a/b"})
