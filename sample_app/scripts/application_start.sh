#!/bin/bash
# Start the app in the background (output redirected: CodeDeploy's agent waits for the script's
# stdout/stderr to close) and wait until it accepts connections.
set -eu
. "$(dirname "$0")/common.sh"
cd "$APP_DIR"
nohup "$PYTHON" -m app.server >>"$LOG_FILE" 2>&1 </dev/null &
echo $! >"$PID_FILE"
for _ in $(seq 1 100); do
  if "$PYTHON" - "$PORT" <<'PY'
import socket, sys
with socket.socket() as s:
    s.settimeout(0.2)
    sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
  then exit 0; fi
  kill -0 "$(cat "$PID_FILE")" 2>/dev/null || { echo "app exited; see $LOG_FILE" >&2; tail -n 20 "$LOG_FILE" >&2; exit 1; }
  sleep 0.1
done
echo "app did not open port $PORT" >&2
exit 1
