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

if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
prometheus --version 2>&1 | head -n 1
prometheus-alertmanager --version 2>&1 | head -n 1
/usr/bin/chromium --version 2>/dev/null | head -n 1
"$(ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)" --version
