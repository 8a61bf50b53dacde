"""The claims system's own incident machinery (compose/claims/apps/monitor.py): the mode it reports for what it
sees, the use of its keys by someone else, its quality watch on a real simulator through the openai SDK, and its
messages, which must read as the plan's communication stages and pass the plan's own "what not to say" rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from drdrill.measure.notices import StageRule, recognise, template_words
from drdrill.measure.objectives import notice_objectives
from drdrill.plan import load_plan
from drdrill.plan.wording import wording_problems
from drdrill.simulator import provider_sim as sim
from tests.unit.simulator.conftest import Serve, serve  # noqa: F401 - the fixture, shared
from tests.unit.staging.claims_apps import load_app

monitor: Any = load_app("monitor")  # a script of the replica, not a typed module
ROOT = Path(__file__).resolve().parents[3]
RULES = sim.load_rules(str(ROOT / "compose" / "claims" / "sim" / "labels.json"))
WORKERS = monitor.parse_workers("eu-west=worker:8081, eu-west=worker-b:8081, eu-north=worker-c:8081")
UP = {"active_provider": "primary", "calls_by_key": {}}


def look(edge: bool = True, corrupt: int | None = 0, **workers: Mapping[str, Any] | None) -> Any:
    found: dict[str, Mapping[str, Any] | None] = {"worker": UP, "worker_b": UP, "worker_c": None}
    found.update(workers)
    named = {name.replace("_", "-"): status for name, status in found.items()}
    return monitor.Look(edge, corrupt, named)


def watched(*seen: str) -> Any:
    watch = monitor.Watch(WORKERS)
    watch.seen_up = set(seen or ("worker", "worker-b"))
    watch.armed = True
    return watch


def mode_of(seen: Any, watch: Any | None = None) -> tuple[str, list[str]]:
    mode, problems = monitor.assess(seen, watch or watched(), 0.85)
    return str(mode), list(problems)


def test_the_mode_for_what_the_monitor_sees() -> None:
    assert mode_of(look()) == ("normal", [])
    assert mode_of(look(worker={"active_provider": "backup"})) == (
        "reduced-accuracy",
        ["labels come from our standby model"],
    )
    # zone A's worker is gone while zone B's labels: fewer hands
    assert mode_of(look(worker=None))[0] == "reduced-throughput"
    # claims cannot be submitted, a worker is up: claims wait
    assert mode_of(look(edge=False, corrupt=None))[0] == "queue-and-hold"
    # the endpoint answers, the database does not (a table gone): claims wait
    assert mode_of(look(corrupt=None)) == ("queue-and-hold", ["claims cannot be stored or read"])
    # nothing takes claims and nothing labels: the client triages by hand
    assert mode_of(look(edge=False, corrupt=None, worker=None, worker_b=None))[0] == "manual-fallback"
    # labels that fail their integrity check cannot be trusted
    assert mode_of(look(corrupt=3)) == ("manual-fallback", ["3 stored labels failed our integrity check"])
    # the primary fails a worker's last call: a problem before any failover
    assert mode_of(look(worker={"active_provider": "primary", "consecutive_failures": 1})) == (
        "normal",
        ["our main model is failing to answer"],
    )
    # no provider answers either worker
    assert mode_of(look(worker={"active_provider": "none"}, worker_b={"active_provider": "none"}))[0] == (
        "queue-and-hold"
    )


def test_a_region_that_took_over_is_the_whole_system() -> None:
    watch = watched("worker", "worker-b", "worker-c")
    # eu-west is gone, eu-north serves: its one worker is all that is expected now
    assert mode_of(look(worker=None, worker_b=None, worker_c=UP), watch) == ("normal", [])


def test_quality_below_the_floor_and_a_key_used_by_someone_else_are_problems() -> None:
    low = monitor.Look(True, 0, {"worker": UP, "worker-b": UP}, quality=0.7)
    assert mode_of(low) == (
        "reduced-accuracy",
        ["the labels of our main model are less accurate than they must be"],
    )
    misuse = monitor.Look(True, 0, {"worker": UP, "worker-b": UP}, key_misuse=("sha256:aa",))
    assert mode_of(misuse) == ("normal", ["one of our access credentials is being used by someone else"])


def test_key_use_flags_only_calls_we_did_not_make() -> None:
    use = monitor.KeyUse()
    ours = {"worker": {"sha256:a": 0}}
    assert use.observe({"sha256:a": 0}, ours) == ()
    # our own calls, the provider counting them one poll later: nothing to flag
    assert use.observe({"sha256:a": 4}, {"worker": {"sha256:a": 5}}) == ()
    assert use.observe({"sha256:a": 5}, {"worker": {"sha256:a": 5}}) == ()
    # a worker that restarted counts from zero again: still ours
    assert use.observe({"sha256:a": 7}, {"worker": {"sha256:a": 2}}) == ()
    # three calls nobody of ours made, then three more: someone else holds the key
    assert use.observe({"sha256:a": 10}, {"worker": {"sha256:a": 2}}) == ("sha256:a",)
    assert use.observe({"sha256:a": 13}, {"worker": {"sha256:a": 2}}) == ("sha256:a",)
    # they stop (the key was revoked: refused calls are not counted as accepted): the window empties
    for _ in range(monitor.USAGE_WINDOW - 1):
        use.observe({"sha256:a": 13}, {"worker": {"sha256:a": 2}})
    assert use.observe({"sha256:a": 13}, {"worker": {"sha256:a": 2}}) == ()


def test_the_canary_set_is_labelled_as_the_rules_label_it_and_a_worse_model_falls_below_the_floor() -> None:
    assert len(monitor.CANARY) == 40
    assert [sim.answer(RULES, text) for text, _ in monitor.CANARY] == [label for _, label in monitor.CANARY]
    wrong = sum(sim.is_spoiled("sim-primary-v2", text, 0.3) for text, _ in monitor.CANARY)
    assert 1 - wrong / len(monitor.CANARY) < 0.85  # the model-degradation scenario's update is seen


class Said(monitor.Messenger):  # type: ignore[misc]
    """The messages, kept instead of sent."""

    def __init__(self) -> None:
        super().__init__(monitor.Config())
        self.pages: list[str] = []
        self.notices: list[tuple[str, str]] = []

    def page(self, alias: str, message: str, description: str) -> None:
        self.pages.append(f"page {alias}: {message}")

    def close(self, alias: str, note: str) -> None:
        self.pages.append(f"close {alias}")

    def notice(self, subject: str, text: str) -> None:
        self.notices.append((subject, text))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Scripted(monitor.Monitor):  # type: ignore[misc]
    """The monitor with what it sees given by the test."""

    seen: Any = None

    def look(self) -> Any:
        return self.seen


def test_an_incident_pages_tells_the_client_each_stage_and_closes() -> None:
    said, clock = Said(), Clock()
    m = Scripted(monitor.Config(workers=WORKERS, quality_monitor=False), None, said, clock)
    m.seen = look()
    m.tick()
    assert m.watch.armed and said.pages == [] and said.notices == []
    m.seen = look(worker={"active_provider": "backup"})
    m.tick()  # seen once: not yet an incident, nor a mode
    assert (m.mode, said.pages) == ("normal", [])
    for _ in range(30):
        clock.now += 0.2
        m.tick()
    assert m.mode == "reduced-accuracy"
    m.seen = look()
    for _ in range(10):
        clock.now += 0.2
        m.tick()
    assert said.pages == [
        "page claims-incident-1: Claims processing incident: labels come from our standby model",
        "close claims-incident-1",
    ]
    assert [subject for subject, _ in said.notices] == [
        "Service notice: claims processing",
        "Service notice: how claims are handled now",
        "Assessment: claims processing",
        "Update: claims processing",
        "Update: claims processing",
        "Resolved: claims processing",
    ]
    assert m.status()["incident"] is None and m.mode == "normal"


class Hanging(Scripted):
    """A look that takes ``takes`` seconds on the clock (a request to a dead worker waiting out its timeout)."""

    takes = 0.0

    def look(self) -> Any:
        self.clock.now += self.takes
        return self.seen


def test_an_outage_shorter_than_a_hanging_look_plus_open_after_still_opens_an_incident() -> None:
    # A worker is down for 1.5 s; the monitor's first look at it hangs 1.0 s (its request timeout), the next is
    # refused at once. Dated at their starts, the two findings are 1.25 s apart and the incident opens; dated at
    # their answers they were 0.25 s apart (under OPEN_AFTER) and the worker was back before a third look.
    said, clock = Said(), Clock()
    m = Hanging(monitor.Config(workers=WORKERS, quality_monitor=False), None, said, clock)
    m.seen = look()
    m.tick()
    m.seen = look(worker=None)
    m.takes = 1.0
    m.tick()
    m.takes = 0.0
    clock.now += 0.25
    m.tick()
    assert said.pages == [
        "page claims-incident-1: Claims processing incident: part of our processing capacity is unavailable"
    ]


@pytest.fixture(scope="module")
def stages() -> Any:
    plan = load_plan(ROOT / "scenarios")
    found = notice_objectives(plan, plan.scenarios["provider-outage"])
    assert found is not None
    return found


def test_every_notice_reads_as_its_stage_of_the_plan_and_says_nothing_the_plan_forbids(stages: Any) -> None:
    said, clock = Said(), Clock()
    m = Scripted(monitor.Config(workers=WORKERS, quality_monitor=False), None, said, clock)
    m.seen = look()
    m.tick()
    for seen in (
        look(worker={"active_provider": "backup"}),
        look(worker=None),
        look(edge=False, corrupt=None),
        look(corrupt=4),
        look(edge=False, corrupt=None, worker=None, worker_b=None),
        look(),
    ):
        m.seen = seen
        for _ in range(15):
            clock.now += 0.2
            m.tick()
    expected = {
        "Service notice: claims processing": "first_notice",
        "Assessment: claims processing": "initial_assessment",
        "Update: claims processing": "updates",
        "Service notice: how claims are handled now": "degraded",
        "Resolved: claims processing": "resolution",
    }
    assert {subject for subject, _ in said.notices} == set(expected)
    # A notice of any of the plan's degraded modes counts as an update (each scenario names the modes it expects).
    plan = load_plan(ROOT / "scenarios")
    rules = (
        *stages.stages,
        *(
            StageRule("degraded", "notice", None, "", "", template_words(m.client_notice))
            for m in plan.degraded_modes.values()
        ),
    )
    for subject, text in said.notices:
        stage = recognise(f"{subject}\n{text}", rules)
        assert stage == expected[subject], (subject, text)
        assert wording_problems(text, stage, stages.wording) == [], text


@pytest.fixture
def provider(serve: Serve) -> Iterator[tuple[sim.Simulator, str]]:  # noqa: F811 - the shared fixture, used
    simulator = sim.Simulator(name="primary", model="sim-primary", rules=RULES)
    yield simulator, serve(simulator)


def test_the_quality_watch_holds_the_primary_off_and_a_pin_of_the_known_good_version_lifts_it(
    provider: tuple[sim.Simulator, str],
) -> None:
    _, url = provider
    config = monitor.Config(workers=WORKERS, primary_url=f"{url}/v1", primary_key="sk-monitor")
    m = monitor.Monitor(config, None, Said())
    m.watch.armed = True
    m.known_good = "sim-primary-v1"
    try:
        m.quality_round()
        assert (m.quality, m.hold) == (1.0, "")
        httpx.post(f"{url}/_sim/model", json={"wrong_rate": 0.3}, timeout=5).raise_for_status()
        m.quality_round()
        assert m.quality is not None and m.quality < 0.85
        assert (m.hold, m.quality_version) == ("quality below the floor", "sim-primary-v2")
        m.set_pin(m.known_good)
        m.quality_round()
        assert (m.quality, m.hold, m.quality_version) == (1.0, "", "sim-primary-v1")
        assert m.canary is not None and m.canary.calls == 3 * 40
    finally:
        if m.canary is not None:
            m.canary.close()


def test_a_rate_limited_canary_round_stops_and_waits_as_told(provider: tuple[sim.Simulator, str]) -> None:
    simulator, url = provider
    config = monitor.Config(workers=WORKERS, primary_url=f"{url}/v1", primary_key="sk-monitor")
    m = monitor.Monitor(config, None, Said())
    m.watch.armed = True
    try:
        httpx.post(f"{url}/_sim/fault", json={"status": 429, "retry_after_ms": 5000}, timeout=5)
        m.quality_round()
        m.quality_round()
        # one call, told to wait; the next round asks nothing before the wait ran out; no quality figure
        assert (simulator.stats.requests, simulator.stats.early_calls, m.quality) == (1, 0, None)
    finally:
        if m.canary is not None:
            m.canary.close()


# the key vault: a rotation in two steps against a real simulator's admin API


def test_the_key_vault_issues_a_new_key_then_revokes_the_old_one_keeping_every_other_key(
    serve: Serve,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    fleet = {"worker": "sk-a-old", "worker-b": "sk-b", "monitor": "sk-m"}
    simulator = sim.Simulator(name="p", model="sim-primary", rules=RULES, keys=frozenset(fleet.values()))
    url = serve(simulator)
    vault = monitor.KeyVault(fleet, {"worker": "primary-provider-key"}, str(tmp_path), f"{url}/_sim/keys")
    assert vault.holders == ["worker"]  # the vault knows where only the worker reads a rotated key

    issued = vault.issue("worker")
    new = (tmp_path / "primary-provider-key").read_text()
    assert new.startswith("sk-claims-worker-") and issued == monitor.fingerprint(new)
    # the new key works before the old one is gone: nothing the worker sends in between is refused
    assert simulator.keys == frozenset({new, "sk-a-old", "sk-b", "sk-m"})

    assert vault.revoke("worker") == [monitor.fingerprint("sk-a-old")]
    assert simulator.keys == frozenset({new, "sk-b", "sk-m"})
    assert vault.revoke("worker") == []  # nothing left to revoke; the others keep working
    assert simulator.keys == frozenset({new, "sk-b", "sk-m"})


def test_a_vault_that_cannot_reach_the_provider_changes_nothing(tmp_path: Path) -> None:
    vault = monitor.KeyVault(
        {"worker": "sk-a"}, {"worker": "key"}, str(tmp_path), "http://127.0.0.1:9/_sim/keys"
    )
    with pytest.raises(OSError):
        vault.issue("worker")
    assert not (tmp_path / "key").exists()
    assert monitor.parse_pairs(" worker=a, worker-b=b ,") == {"worker": "a", "worker-b": "b"}
    with pytest.raises(ValueError, match="entry 'worker' is not name=value"):
        monitor.parse_pairs("worker")
