#!/usr/bin/env bash
# Installs what `npm run bench -- sidebyside` compares against, and the DNS server the `dns` row of
# `npm run bench -- kinds` asks and the resolver of `npm run bench -- names` use, from Debian, when missing.
set -euo pipefail

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/prometheus-blackbox-exporter ] || need+=(prometheus-blackbox-exporter)
[ -x /usr/sbin/unbound ] || need+=(unbound)

if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
prometheus --version 2>&1 | head -n 1
/usr/bin/prometheus-blackbox-exporter --version 2>&1 | head -n 1
/usr/sbin/unbound -V 2>&1 | head -n 1
