"""What a running drill exposes on this machine: ports on 127.0.0.1 only, and a database that wants the run's
own password (generated per run, never written to the scorecard)."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest

from tests.integration.conftest import run_drill

pytestmark = pytest.mark.integration

# A recovery step that runs after the revert: it opens a Postgres session on the published port without a
# password, reports how the server answered, and keeps the run's secret where the test can look for it.
PROBE_CONFTEST = """
import pathlib
import socket
import struct

from drdrill.recovery import RecoveryHook


def _auth_request(host, port):
    params = b"user\\0postgres\\0database\\0claims\\0\\0"
    startup = struct.pack("!ii", 8 + len(params), 196608) + params
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(startup)
        kind = conn.recv(1)
        _length, code = struct.unpack("!ii", conn.recv(8))
    return kind.decode(), code


def check_postgres(ctx):
    kind, code = _auth_request(*ctx.replica.address("postgres", 5432))
    pathlib.Path("secret.txt").write_text(ctx.system._context.secrets["CLAIMS_DB_PASSWORD"])
    return f"postgres answered {kind} {code}"


def pytest_drdrill_recovery_hooks(config):
    return {"check-postgres": RecoveryHook(check_postgres, after_revert=True)}
"""


def test_the_replica_listens_on_loopback_only_and_postgres_wants_the_runs_password(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    text = (plan_copy / "provider-outage.yaml").read_text()
    text = text.replace(
        "recovery:\n",
        "recovery:\n  - title: Check what the database asks of a client\n    hook: check-postgres\n",
        1,
    )
    (plan_copy / "exposure.yaml").write_text(text)
    pytester.makeconftest(PROBE_CONFTEST)
    run = run_drill(pytester, plan_copy, "exposure")
    run.result.assert_outcomes(passed=1)
    steps = [e for e in run.card["timeline"] if e["kind"] == "step" and e.get("value") == "check-postgres"]
    # 'R' 10 is AuthenticationSASL: the server wants a password (scram-sha-256); 'R' 0 would be trust.
    assert steps[-1]["data"]["detail"] == "postgres answered R 10"
    secret = (pytester.path / "secret.txt").read_text()
    assert len(secret) >= 24
    written = "".join(p.read_text(errors="replace") for p in run.run_dir.iterdir() if p.is_file())
    assert secret not in written
    override = run.card["config"]["compose_override"]
    ports = [line for line in override.splitlines() if "ports:" in line]
    assert ports and all("127.0.0.1:" in line for line in ports if "[]" not in line)
    published = json.loads(override.split("ports: !override ", 1)[1].splitlines()[0])
    assert all(p.startswith("127.0.0.1:") for p in published)
