"""Sample plan texts shared by the plan tests."""

from __future__ import annotations

MINIMAL_PLAN = """\
name: mini
client: Test Client
regions:
  r1: {zones: [zone-a, zone-b]}
components:
  api:
    kind: service
    zone: zone-a
    staging: {service: api}
  model:
    kind: ai_provider
    staging: {proxy: model, service: model}
  db:
    kind: data_store
    zone: zone-a
roles:
  lead: {people: [Ann, Bob]}
communication:
  first_notice: {deadline: 15m, template: We are investigating.}
  initial_assessment: {deadline: 1h, template: Assessment.}
  updates: {cadence: 1h, template: Update.}
  resolution: {deadline: 30m, after: restoration, template: Restored.}
  post_incident_report: {deadline: 48h, template: Report.}
"""

MINIMAL_SCENARIO = """\
title: Model down
tier: 1
disruption: software
narrative: The model stops answering.
impact: Nothing is processed.
detection:
  criteria:
    - {metric: error_rate, component: model, above: 0.5, sustained: 5m}
faults:
  - kind: latency
    target: model
    latency_ms: 100
recovery:
  - {title: Fail over, hook: failover}
  - {title: Tell the client, owner: lead, estimate: 10m}
staging: {recovery_bound: 30s}
"""
