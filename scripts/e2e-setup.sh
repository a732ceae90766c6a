#!/usr/bin/env bash
# Installs the real components the end-to-end tests run against, from Debian, when missing.
set -euo pipefail

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || need+=(chromium)
# the OpenMetrics reference parser, for /metrics in OpenMetrics (promtool reads only the classic text)
/usr/bin/python3 -c "import prometheus_client" >/dev/null 2>&1 || need+=(python3-prometheus-client)
# the PostgreSQL ledger's tests start a throwaway cluster with the server binaries (initdb, pg_ctl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# the DNS and gRPC zoo: blackbox_exporter's verdicts beside pantau's, unbound serving a local zone
command -v prometheus-blackbox-exporter >/dev/null 2>&1 || need+=(prometheus-blackbox-exporter)
[ -x /usr/sbin/unbound ] || need+=(unbound)
# compose.yaml is read by Compose itself: the docker client's plugin when it has one, else Debian's
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 ||
  need+=(docker-compose)

if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
prometheus --version 2>&1 | head -n 1
prometheus-alertmanager --version 2>&1 | head -n 1
prometheus-blackbox-exporter --version 2>&1 | head -n 1
/usr/sbin/unbound -V 2>&1 | head -n 1
/usr/bin/chromium --version 2>/dev/null | head -n 1
"$(ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)" --version
docker compose version 2>/dev/null | head -n 1 || docker-compose version --short
