"""Moved to localcloud.autoscaling.lifecycle_hooks (launch hooks are Auto Scaling's behaviour);
kept for the modules that still import it from here."""
from localcloud.autoscaling.lifecycle_hooks import (  # noqa: F401
    LAUNCHING, WAITING_STATES, complete_lifecycle_action, install, record_lifecycle_action_heartbeat, subscribe,
    uninstall, unsubscribe,
)
