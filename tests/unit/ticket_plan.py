"""A small plan of a system that is not the bundled one: a help desk whose unit of work is a ticket.

Views and verdicts built from it must speak of tickets, and nothing of the bundled system may show.
"""

from __future__ import annotations

from pathlib import Path

from drdrill.plan import Plan, load_plan

TICKET_PLAN = """\
name: helpdesk
client: Example Helpdesk Ltd
description: Support tickets arrive over HTTP; a responder drafts an answer to each with a language model.
regions:
  r1: {zones: [zone-a]}
components:
  api:
    kind: service
    zone: zone-a
    staging: {service: api}
  responder:
    kind: worker
    zone: zone-a
    depends_on: [api]
    staging: {service: responder}
roles:
  support: {people: [Ann, Bob]}
communication:
  first_notice: {deadline: 15m, template: We are investigating.}
  initial_assessment: {deadline: 1h, template: Assessment.}
  updates: {cadence: 1h, template: Update.}
  resolution: {deadline: 30m, after: restoration, template: Restored.}
  post_incident_report: {deadline: 48h, template: Report.}
staging_topology:
  compose_file: compose.yaml
  unit: {one: ticket, many: tickets}
  system:
    payloads: [My printer prints only blank pages., The invoice total is wrong.]
"""

FAILOVER_SIGNAL = """\
    signals:
      failover: {normal: main, failed_over: [standby]}
"""

COMPOSE = """\
services:
  api:
    image: example/helpdesk-api:1
    ports: ["8080"]
  responder:
    image: example/helpdesk-responder:1
"""

RESPONDER_CRASH = """\
title: Responder worker crashes
tier: 1
disruption: infrastructure
narrative: The responder process is killed without warning.
impact: Tickets wait for an answer until a new responder runs.
detection:
  criteria:
    - {metric: error_rate, component: responder, above: 0.5, sustained: 5m, staging_sustained: 1s}
faults:
  - kind: kill
    target: responder
    signal: SIGKILL
recovery:
  - {title: Confirm a responder runs again and answers the backlog, owner: support, estimate: 10m}
staging:
  recovery_bound: 5s
  baseline: 2s
  steady_window: 2s
  probe_interval: 500ms
  probe_timeout: 1s
  drain_timeout: 2s
  workload_rate: 5
"""

# The same crash, with the orchestrator's restart as an automated step of the drill.
RESPONDER_RESTART = RESPONDER_CRASH.replace(
    "recovery:\n",
    "recovery:\n  - {title: The orchestrator restarts the responder, hook: restart-service, components: [responder]}\n",
)


def write_ticket_plan(directory: Path, *, failover_signal: bool = False) -> Plan:
    """Write the help-desk plan, its compose file and its scenarios (``responder-crash``, ``responder-restart``)
    into ``directory``, and load it."""
    directory.mkdir(parents=True, exist_ok=True)
    plan = TICKET_PLAN + (FAILOVER_SIGNAL if failover_signal else "")
    (directory / "plan.yaml").write_text(plan, encoding="utf-8")
    (directory / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    (directory / "responder-crash.yaml").write_text(RESPONDER_CRASH, encoding="utf-8")
    (directory / "responder-restart.yaml").write_text(RESPONDER_RESTART, encoding="utf-8")
    return load_plan(directory)
