"""What a client notice must not say, as one set of rules for the plan's templates and the notices a system
actually sent in a drill: a cause asserted before it is confirmed, a vendor blamed by name, a fix promised in
less time than the recovery objective, and internal jargon the client cannot read.

Pure: text and the plan's words in, problems out. :mod:`drdrill.plan.lints` applies it to the templates,
measure/ to the words of each notice the notification sink received.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from drdrill.plan.durations import humanize_duration

# Names that, in a notice, read as blaming a vendor; the plan's own `vendor:` fields are added to these.
KNOWN_VENDORS = (
    "OpenAI",
    "ChatGPT",
    "Anthropic",
    "Claude",
    "Google",
    "Gemini",
    "Azure",
    "AWS",
    "Amazon",
    "Microsoft",
    "Cohere",
    "Mistral",
)
# Words of the people who run the system, not of the client who reads the notice. The plan's own component
# names (e.g. ranker-service) are added: they are the team's names for its parts. "Failover" is not here:
# the guidance itself tells the client "we have activated our failover procedures".
JARGON = (
    "5xx",
    "4xx",
    "HTTP 5\\d\\d",
    "HTTP 4\\d\\d",
    "p99",
    "p95",
    "OOM",
    "OOMKilled",
    "SIGKILL",
    "SIGTERM",
    "segfault",
    "stack trace",
    "traceback",
    "null pointer",
    "NullPointerException",
    "k8s",
    "Kubernetes",
    "Toxiproxy",
    "circuit breaker",
    "retry storm",
    "backoff",
    "rate limiter",
    "Retry-After",
    "dead letter",
)
ROOT_CAUSE = re.compile(
    r"\b(root cause (is|was)|the cause (is|was)|caused by|because of|due to|was triggered by)\b",
    re.IGNORECASE,
)
PROMISE = re.compile(
    r"\b(fix(?:ed)?|resolv(?:e|ed)|restor(?:e|ed)|back (?:up|online|to normal)|recover(?:ed)?|up and running)\b"
    r"[^.]{0,40}?\b(?:in|within)\s+(?:the next\s+)?(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|hrs?|h|m)\b",
    re.IGNORECASE,
)
_UNIT = {"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60}
STAGE_LABEL = {
    "first_notice": "first notice",
    "initial_assessment": "initial assessment",
    "updates": "status update",
    "resolution": "resolution notice",
    "post_incident_report": "post-incident report",
    "degraded": "degraded-mode notice",
}


@dataclass(frozen=True)
class WordingProblem:
    """One thing a notice said that it should not have: a lint code and a sentence naming the words."""

    code: str
    message: str


@dataclass(frozen=True)
class WordingRules:
    """The plan's words that decide what a notice must not say."""

    vendors: tuple[str, ...] = KNOWN_VENDORS
    jargon: tuple[str, ...] = JARGON  # regular expressions, matched as whole words, ignoring case
    internal_names: tuple[str, ...] = ()  # the plan's component names
    rto: timedelta | None = None  # a promise shorter than this cannot be kept

    def __post_init__(self) -> None:
        # Compiled once per set of rules; frozen, so set through object.__setattr__.
        vendor = r"\b(" + "|".join(re.escape(v) for v in sorted(self.vendors)) + r")\b"
        words = [*self.jargon, *(re.escape(n) for n in self.internal_names)]
        jargon = r"(?<![\w-])(" + "|".join(sorted(words, key=len, reverse=True)) + r")(?![\w-])"
        object.__setattr__(self, "_vendor", re.compile(vendor, re.IGNORECASE))
        object.__setattr__(self, "_jargon", re.compile(jargon, re.IGNORECASE))

    def vendor(self, text: str) -> str | None:
        found = self._vendor.search(text)  # type: ignore[attr-defined]
        return None if found is None else str(found.group(0))

    def jargon_in(self, text: str) -> list[str]:
        return list(dict.fromkeys(m.group(0) for m in self._jargon.finditer(text)))  # type: ignore[attr-defined]


def promised(text: str) -> list[timedelta]:
    """Every fix-by time a text promises ("restored within 30 minutes")."""
    out = []
    for match in PROMISE.finditer(text):
        number, unit = float(match.group(2)), match.group(3).lower()
        out.append(timedelta(seconds=number * _UNIT.get(unit, 3600)))
    return out


def wording_problems(text: str, stage: str, rules: WordingRules) -> list[WordingProblem]:
    """What ``text`` (a notice of ``stage``, e.g. ``first_notice``) says that the plan's protocol forbids."""
    label = STAGE_LABEL.get(stage, stage.replace("_", " "))
    found: list[WordingProblem] = []
    cause = ROOT_CAUSE.search(text)
    if cause and stage != "post_incident_report":
        found.append(
            WordingProblem(
                "notice-root-cause",
                f"{label} asserts a cause ({cause.group(0)!r}) before it can be confirmed; say it is being "
                "investigated",
            )
        )
    vendor = rules.vendor(text)
    if vendor:
        found.append(
            WordingProblem(
                "notice-blames-vendor",
                f"{label} names {vendor!r}; speak of a provider outage and the failover in place",
            )
        )
    if rules.rto is not None:
        for promise in promised(text):
            if promise < rules.rto:
                found.append(
                    WordingProblem(
                        "notice-promise",
                        f"{label} promises a fix within {humanize_duration(promise)}, shorter than the recovery "
                        f"objective (RTO {humanize_duration(rules.rto)})",
                    )
                )
    jargon = rules.jargon_in(text)
    if jargon:
        shown = ", ".join(repr(word) for word in jargon)
        found.append(
            WordingProblem(
                "notice-jargon", f"{label} uses internal jargon ({shown}); say what it means to the client"
            )
        )
    return found


def plan_rules(vendors: Iterable[str], component_names: Iterable[str], rto: timedelta | None) -> WordingRules:
    """The rules for one plan: the known vendors and the plan's own, its components' names, an RTO."""
    names = tuple(
        n for n in component_names if "-" in n or "_" in n
    )  # plain words ("api") are ordinary English
    return WordingRules(
        vendors=tuple(dict.fromkeys([*KNOWN_VENDORS, *vendors])), internal_names=names, rto=rto
    )
