#!/usr/bin/env bash
# The workbook under other Node versions (issue 28): for each version given (default: the current
# LTS lines 22 and 24), Node comes from the npm registry (`npx -y node@V`, no system change), and a
# clean clone of this checkout's HEAD gets what a new user does:
#   npm ci            (the native addon builds; every install script runs under that Node)
#   npm start         (the quick start: both rules train on MNIST, records and a figure)
#   the engine, backend, install, CLI and kernel-protocol tests (node --test)
#   a load check of the native packages: our addon, zeromq (the kernel's transport), webgpu (Dawn)
# Usage: bash scripts/node-versions.sh [22 24 ...]: the versions run side by side; exits non-zero if one fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
versions=("$@"); [ ${#versions[@]} -gt 0 ] || versions=(22 24)
npm_cli=$(node -p "require('path').join(require('path').dirname(require('fs').realpathSync(process.argv[1])), '..')" "$(command -v npm)")

# Tests that exercise what differs between Node versions: the engine on every backend (derivation
# check), backend selection and the addon, the install, the CLI, the Jupyter kernel over zeromq.
TESTS=(test/engine/derivation.test.ts test/engine/rules.test.ts test/engine/gating.test.ts
  test/backend/backend.test.ts test/backend/native.test.ts test/install/build-native.test.ts
  test/experiments/cli.test.ts test/kernel/protocol.test.ts test/rng.test.ts)

check() {   # one version, start to end (its output: a log file, printed whole afterwards)
  local v=$1
  local start node_bin bindir work
  start=$(date +%s)
  node_bin=$(npx -y "node@$v" -p process.execPath)
  bindir=$(dirname "$node_bin")
  echo "== Node $v: $("$node_bin" --version) ($node_bin)"
  work=$(mktemp -d)
  git clone -q "$repo" "$work/wb"
  (
    cd "$work/wb"
    export PATH="$bindir:$PATH"   # `node` is Node $v for npm, its scripts and the tests
    [ "$(node --version | cut -d. -f1)" = "v$v" ] || { echo "node-versions.sh: PATH gives $(node --version), not Node $v" >&2; exit 1; }
    node "$npm_cli/bin/npm-cli.js" ci --no-audit --no-fund
    grep -q '"ok": true' native/build-status.json || { echo "node-versions.sh: the native addon did not build under Node $v: $(cat native/build-status.json)" >&2; exit 1; }
    node -e "
      const a = require('./native/build/Release/deepagrel_native.node').info();
      require('zeromq');
      import('webgpu').then(w => { if (typeof w.create !== 'function') throw new Error('webgpu: no create()');
        console.log('loads under ' + process.version + ': native addon (oneDNN ' + a.version + ', ' + a.isa + '), zeromq, webgpu'); });"
    DEEPAGREL_REQUIRE_NATIVE=1 node "$npm_cli/bin/npm-cli.js" start
    DEEPAGREL_REQUIRE_NATIVE=1 node --import tsx --test --test-concurrency=2 "${TESTS[@]}"
  )
  rm -rf "$work"
  echo "== Node $v: npm ci, npm start and ${#TESTS[@]} test files passed in $(( $(date +%s) - start )) s"
}

# The versions run side by side, each in its own clone: most of a version's time is npm ci, the
# addon's compile and single-threaded test files, which overlap on 2 cores. Their logs are printed
# whole, one after the other; the exit status is the first failing version's.
logs=$(mktemp -d); pids=()
for v in "${versions[@]}"; do check "$v" > "$logs/node-$v.log" 2>&1 & pids+=($!); done
status=0
for i in "${!versions[@]}"; do
  code=0; wait "${pids[$i]}" || code=$?
  cat "$logs/node-${versions[$i]}.log"
  if [ $code -ne 0 ]; then echo "== Node ${versions[$i]}: FAILED (exit $code)" >&2; [ $status -ne 0 ] || status=$code; fi
done
rm -rf "$logs"
exit $status
