#!/bin/bash
# Stop the running app, if any (CodeDeploy runs this from the last successful revision).
set -eu
. "$(dirname "$0")/common.sh"
if [ -f "$PID_FILE" ]; then
  pid="$(cat "$PID_FILE")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
fi
