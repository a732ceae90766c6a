#!/usr/bin/env bash
# Installs a Node.js release line from the npm registry (the package node-linux-<arch>: the
# official binary with its headers) into DIR, and prints the Node folder: its bin/node, and its
# include/ for native addons (set npm_config_nodedir to that folder: node-gyp then downloads
# nothing).
#
#   node24=$(bash scripts/install-node.sh 24 /tmp/node24)
#   PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm rebuild better-sqlite3
set -euo pipefail
major=${1:?usage: scripts/install-node.sh MAJOR DIR}
dir=${2:?usage: scripts/install-node.sh MAJOR DIR}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "scripts/install-node.sh: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
package="node-linux-$arch"
npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$package@$major" >&2
folder="$dir/node_modules/$package"
"$folder/bin/node" --version >&2
echo "$folder"
