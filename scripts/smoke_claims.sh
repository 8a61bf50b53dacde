#!/usr/bin/env bash
# End-to-end smoke test of the staging claims system, by hand, without pytest:
# up --wait, claims processed by the primary, primary disabled in Toxiproxy -> failover to the backup,
# primary re-enabled -> fail-back, nothing acknowledged lost, down -v. Prints timings.
# Traffic goes only to 127.0.0.1 (the published ports). Needs: docker compose v2, curl, python3, images.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DRDRILL_RUN_ID="${DRDRILL_RUN_ID:-smoke$$}"
export DRDRILL_OWNER="${DRDRILL_OWNER:-$(hostname):$$}"
PROJECT="drdrill-$DRDRILL_RUN_ID"
compose() { docker compose -p "$PROJECT" -f "$ROOT/compose/claims/compose.yaml" "$@"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
status() { curl -sf "$WORKER/status"; }
wait_for() { # wait_for <seconds> <python expression on the status dict s>
    local deadline=$((SECONDS + $1))
    until status | python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(0 if ($2) else 1)"; do
        [ "$SECONDS" -lt "$deadline" ] || {
            echo "timeout waiting for: $2 (status: $(status))" >&2
            return 1
        }
        sleep 0.05
    done
}
cleanup() {
    local t
    t=$(now)
    compose down -v --timeout 5 >/dev/null 2>&1 || true
    rm -f "${ACKS:-}"
    echo "compose down -v: $(since "$t") s"
}
trap cleanup EXIT

t=$(now)
compose up -d --wait >/dev/null 2>&1 || {
    compose ps -a
    compose logs --tail 30
    exit 1
}
echo "compose up --wait: $(since "$t") s"
INTAKE="http://$(compose port intake 8080)"
WORKER="http://$(compose port worker 8081)"
TOXI="http://$(compose port toxiproxy 8474)"

ACKS="$(mktemp)"
post() { # post <id> <text>; records the ids acknowledged with 201 (the load runs in the background)
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$INTAKE/claims" -d "{\"id\":\"$1\",\"text\":\"$2\",\"canary\":false}")
    if [ "$code" = 201 ]; then echo "$1" >>"$ACKS"; fi
}
for i in $(seq 1 10); do post "warm-$i" "my car was hit in traffic"; done
wait_for 10 's["processed"] >= 10 and s["active_provider"] == "primary"'
echo "10 claims processed by the primary"

load() { for i in $(seq 1 "$1"); do post "$2-$i" "a storm damaged the roof of my house"; sleep 0.1; done; }
t=$(now)
curl -sf -X POST "$TOXI/proxies/primary-provider" -d '{"enabled":false}' >/dev/null
load 40 outage &
wait_for 30 's["active_provider"] == "backup"'
echo "failover observed after $(since "$t") s"
wait
processed=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["processed"])')
wait_for 10 "s['processed'] >= $((processed)) and s['active_provider'] == 'backup'"

t=$(now)
curl -sf -X POST "$TOXI/proxies/primary-provider" -d '{"enabled":true}' >/dev/null
load 20 after &
wait_for 30 's["active_provider"] == "primary" and s["failbacks"] >= 1'
echo "failback observed after $(since "$t") s (FAILBACK_INTERVAL defaults to 5 s)"
wait

deadline=$((SECONDS + 30))
until curl -sf "$INTAKE/claims" | python3 -c '
import json, sys
claims = json.load(sys.stdin)["claims"]
sys.exit(0 if claims and all(c["status"] == "processed" for c in claims) else 1)'; do
    [ "$SECONDS" -lt "$deadline" ] || {
        echo "claims still pending after 30 s" >&2
        exit 1
    }
    sleep 0.2
done
curl -sf "$INTAKE/claims" | python3 -c "
import collections, json, sys
claims = json.load(sys.stdin)['claims']
acked = set(open(sys.argv[1]).read().split())
lost = acked - {c['id'] for c in claims}
print(f'acknowledged {len(acked)}, stored {len(claims)}, lost {len(lost)}, processed by',
      dict(collections.Counter(c['provider'] for c in claims)))
sys.exit(1 if lost else 0)" "$ACKS"
compose logs --no-log-prefix worker 2>/dev/null | grep -E '"event": "(failover|failback)"' || true
echo "status: $(status)"
