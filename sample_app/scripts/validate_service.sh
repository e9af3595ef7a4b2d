#!/bin/bash
# GET / must answer 200 with the version this revision's index.html names. A wrong status fails
# at once (it is an answer, not a slow start); only a refused connection is retried briefly.
set -eu
. "$(dirname "$0")/common.sh"
"$PYTHON" - "$PORT" "$APP_DIR/index.html" <<'PY'
import re, sys, time, urllib.error, urllib.request
port, index = int(sys.argv[1]), sys.argv[2]
expected = re.search(r"awscicd demo app — v\d+", open(index, encoding="utf-8").read()).group(0)
deadline = time.monotonic() + 20
while True:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            body = response.read().decode("utf-8", "replace")
        break
    except urllib.error.HTTPError as error:
        sys.exit(f"ValidateService: GET / answered {error.code}, expected 200")
    except OSError as error:
        if time.monotonic() > deadline:
            sys.exit(f"ValidateService: GET / failed: {error}")
        time.sleep(0.2)
if expected not in body:
    sys.exit(f"ValidateService: GET / does not contain {expected!r}")
print(f"ValidateService: GET / is 200 and serves {expected!r}")
PY
