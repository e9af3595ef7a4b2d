#!/bin/bash
# A clean destination, and python3 present (AL2023 user data installs it; check anyway).
set -eu
. "$(dirname "$0")/common.sh"
command -v python3 >/dev/null || dnf install -y python3
rm -rf "$APP_DIR"
mkdir -p "$APP_DIR" "$RUN_DIR" "$(dirname "$LOG_FILE")"
