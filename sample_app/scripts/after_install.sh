#!/bin/bash
# The revision is in place: make the scripts executable and check the settings parse.
set -eu
. "$(dirname "$0")/common.sh"
chmod +x "$APP_DIR"/scripts/*.sh
"$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$APP_DIR/app/settings.json"
