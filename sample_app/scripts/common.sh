# Shared by the hook scripts. On EC2: /opt/awscicd-demo, port 80. In localcloud's instance
# runtime: the same paths under $INSTANCE_ROOT, and $APP_PORT in place of port 80.
APP_DIR="${INSTANCE_ROOT:-}/opt/awscicd-demo"
RUN_DIR="${INSTANCE_ROOT:-}/var/run"
PID_FILE="$RUN_DIR/awscicd-demo.pid"
LOG_FILE="${INSTANCE_ROOT:-}/var/log/awscicd-demo.log"
PORT="${APP_PORT:-80}"
PYTHON="$(command -v python3)"
