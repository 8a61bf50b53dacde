"""The plugin through pytester: options, collection, usage errors, the report header, skip/fail rules.

None of these start a container: the ones that reach the runner point DOCKER_HOST at a socket that does not
exist, which is exactly what a machine without a Docker engine looks like.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bundled import copy_bundled_plan

ROOT = Path(__file__).resolve().parents[2]
NO_ENGINE = "unix:///nonexistent/drdrill-test-docker.sock"


@pytest.fixture
def plan_dir(pytester: pytest.Pytester) -> Path:
    return copy_bundled_plan(pytester.path / "scenarios")


def test_without_drill_nothing_is_collected_from_the_plan(pytester: pytest.Pytester, plan_dir: Path) -> None:
    pytester.makepyfile(
        test_plain="""
        def test_ordinary(pytestconfig):
            assert pytestconfig.pluginmanager.get_plugin("drdrill-session") is None
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "drdrill: drill" not in result.stdout.str()


def test_drill_collects_one_item_and_nothing_else(pytester: pytest.Pytester, plan_dir: Path) -> None:
    pytester.makepyfile(test_plain="def test_ordinary():\n    pass\n")
    result = pytester.runpytest("--drill=provider-outage", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["scenarios/provider-outage.yaml::provider-outage", "1 test collected*"])
    assert "test_ordinary" not in result.stdout.str()


def test_comma_separated_and_repeated_drills_are_collected_once_each(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    result = pytester.runpytest(
        "--drill=provider-outage,regional-failure", "--drill=provider-outage", "--collect-only", "-q"
    )
    result.stdout.fnmatch_lines(
        [
            "scenarios/provider-outage.yaml::provider-outage",
            "scenarios/regional-failure.yaml::regional-failure",
            "2 tests collected*",
        ]
    )


def test_unknown_drill_is_a_usage_error_listing_known_scenarios(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    result = pytester.runpytest("--drill=provider-outrage")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: drdrill: unknown drill 'provider-outrage'; known scenarios in {plan_dir}: backup-restore, "
            "data-corruption, integration-failure, model-degradation, node-replaced, provider-flapping, provider-hang, "
            "provider-outage, provider-rate-limit, provider-stream-cut, regional-failure, security-breach, "
            "server-failure, zone-failure"
        ]
    )


def test_a_kubernetes_staging_the_plan_does_not_name_is_a_usage_error(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    plan = plan_dir / "plan.yaml"
    text = plan.read_text()
    block = text[text.index("  kubernetes:\n") : text.index("  unit: ")]
    plan.write_text(text.replace(block, ""))
    result = pytester.runpytest("--drill=provider-outage", "--drill-staging=kubernetes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: drdrill: {plan_dir / 'plan.yaml'}: --drill-staging=kubernetes, but the plan names no "
            "Kubernetes staging; add staging_topology.kubernetes: {context: drdrill-local, manifests: <file or "
            "folder>}"
        ]
    )
    refused = pytester.runpytest("--drill=provider-outage", "--drill-staging=swarm")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(
        ["*--drill-staging: invalid choice: 'swarm' (choose from *compose*kubernetes*)"]
    )


def test_invalid_plan_is_a_usage_error_with_file_and_line(pytester: pytest.Pytester, plan_dir: Path) -> None:
    scenario = plan_dir / "provider-outage.yaml"
    scenario.write_text(scenario.read_text().replace("tier: 1", "tier: 7"))
    result = pytester.runpytest("--drill=provider-outage")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: drdrill: the plan in {plan_dir} is not valid:", "*provider-outage.yaml:3:7: *tier*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_report_header_shows_plan_scenario_tier_and_objectives(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    result = pytester.runpytest("--drill=provider-outage", "--collect-only")
    result.stdout.fnmatch_lines(
        [
            f"drdrill: plan 'claims-intake' for Example Mutual Insurance ({plan_dir}), on a compose staging",
            "drdrill: drill provider-outage: tier 1 (software), RTO 4.00 h, RPO 0, staging recovery bound 30.0 s",
        ]
    )


def test_plan_dir_from_ini(pytester: pytest.Pytester, plan_dir: Path) -> None:
    plan_dir.rename(pytester.path / "dr-plan")
    pytester.makeini("[pytest]\ndrdrill_plan = dr-plan\n")
    result = pytester.runpytest("--drill=provider-outage", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["dr-plan/provider-outage.yaml::provider-outage"])


@pytest.mark.parametrize("required", ["1", None], ids=["required", "not-required"])
def test_a_drill_asked_for_without_an_engine_fails_with_cause_and_fix(
    pytester: pytest.Pytester, plan_dir: Path, monkeypatch: pytest.MonkeyPatch, required: str | None
) -> None:
    # Asked for by name, a drill that cannot run is an error either way: never a skip and exit 0.
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    if required is None:
        monkeypatch.delenv("DRDRILL_REQUIRE_DOCKER", raising=False)
    else:
        monkeypatch.setenv("DRDRILL_REQUIRE_DOCKER", required)
    result = pytester.runpytest_subprocess("--drill=provider-outage")
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*drdrill: drill provider-outage cannot run here: no Docker engine answers (*). Start one, or run "
            "`./dev setup` as root to install and start it."
        ]
    )


def test_a_remote_docker_host_is_refused_unless_allowed(
    pytester: pytest.Pytester, plan_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://203.0.113.7:2376")
    monkeypatch.delenv("DRDRILL_ALLOW_REMOTE_DOCKER", raising=False)
    result = pytester.runpytest_subprocess("--drill=provider-outage")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*drill provider-outage cannot start: DOCKER_HOST=tcp://203.0.113.7:2376 is not this machine's Docker "
            "engine, and drdrill only drives the local one; unset DOCKER_HOST, or set DRDRILL_ALLOW_REMOTE_DOCKER=1 "
            "to drill on that engine on purpose"
        ]
    )


def test_an_empty_drill_option_is_a_usage_error(pytester: pytest.Pytester, plan_dir: Path) -> None:
    result = pytester.runpytest("--drill=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*drdrill: --drill was given no scenario; name one, e.g. --drill=provider-outage*"]
    )


def test_a_fault_the_runner_cannot_inject_fails_before_anything_starts(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    # The key revoked without warning: a credential fault no family plays yet.
    scenario = plan_dir / "security-breach.yaml"
    text = scenario.read_text()
    leak = text[text.index("  - kind: leak_secret\n") : text.index("recovery:\n")]
    revoked = "  - {kind: revoke_secret, target: classifier-worker, secret: primary-provider-key}\n"
    scenario.write_text(text.replace(leak, revoked))
    result = pytester.runpytest_subprocess("--drill=security-breach")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*security-breach.yaml: fault kind 'revoke_secret' * cannot be injected by this drdrill version*"]
    )


def _with_custom_hook(plan_dir: Path) -> None:
    scenario = plan_dir / "provider-outage.yaml"
    text = scenario.read_text()
    assert "hook: provider-failback" in text
    scenario.write_text(text.replace("hook: provider-failback", "hook: warm-up-backup-cache"))


def test_an_unregistered_recovery_hook_stops_the_drill_before_it_starts(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    _with_custom_hook(plan_dir)
    result = pytester.runpytest_subprocess("--drill=provider-outage")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "drdrill: drill provider-outage cannot start: *provider-outage.yaml: recovery step hook 'warm-up-backup-cache' "
            "is not registered; known hooks: provider-failback, provider-failover, restart-service. Register it with the "
            "pytest_drdrill_recovery_hooks hook."
        ]
    )


def test_a_conftest_registers_recovery_hooks(
    pytester: pytest.Pytester, plan_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_custom_hook(plan_dir)
    pytester.makeconftest(
        """
        from drdrill.recovery import RecoveryHook

        def pytest_drdrill_recovery_hooks(config):
            return {"warm-up-backup-cache": RecoveryHook(lambda ctx: "warmed", after_revert=True)}
        """
    )
    # The hook is found; the drill then stops at the next check (no engine), which proves it got that far.
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    monkeypatch.delenv("DRDRILL_REQUIRE_DOCKER", raising=False)
    result = pytester.runpytest_subprocess("--drill=provider-outage")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*drill provider-outage cannot run here: no Docker engine answers*"])
    result.stdout.no_fnmatch_line("*hook 'warm-up-backup-cache' is not registered*")


def test_a_scenario_without_faults_cannot_be_drilled(pytester: pytest.Pytester, plan_dir: Path) -> None:
    text = (plan_dir / "provider-outage.yaml").read_text()
    start = text.index("faults:\n")
    end = text.index("recovery:\n")
    (plan_dir / "quiet-day.yaml").write_text(text[:start] + "faults: []\n" + text[end:])
    result = pytester.runpytest_subprocess("--drill=quiet-day")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "drdrill: drill quiet-day cannot start: *quiet-day.yaml: the scenario declares no fault, so a drill*"
        ]
    )
