"""Auto Scaling launch lifecycle hooks, which moto 5.2.1 stores but never applies.

With an `autoscaling:EC2_INSTANCE_LAUNCHING` hook on a group, an instance the group launches
waits in `Pending:Wait` (counted in the group's capacity, NOT registered with its target groups)
until someone calls CompleteLifecycleAction, or the hook's heartbeat timeout applies its
DefaultResult. CONTINUE -> `InService` and registered with the group's target groups;
ABANDON -> terminated, and the group launches a replacement to keep its desired capacity.

Who hears about a waiting instance: on AWS the hook's notification target (SQS/SNS/EventBridge),
or, for the hook CodeDeploy manages, CodeDeploy itself. Offline, `subscribe(fn)` gets the
notification dict AWS sends (`LifecycleActionToken`, `EC2InstanceId`, ...); a subscriber must
return at once and act through the Auto Scaling API, as CodeDeploy does.
"""
from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable

from localcloud.moto_patch import wrap_method

log = logging.getLogger("localcloud.autoscaling")

LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
WAITING_STATES = frozenset({"Pending", "Pending:Wait", "Pending:Proceed"})

Subscriber = Callable[[dict], None]


@dataclass
class _Action:
    token: str
    hook: str
    group: object          # moto FakeAutoScalingGroup
    state: object          # moto InstanceState
    timeout: float         # AWS seconds
    timer: threading.Timer | None = None
    pending_hooks: set[str] = field(default_factory=set)


_subscribers: list[Subscriber] = []
_actions: dict[str, _Action] = {}   # instance id -> the action it waits on
_lock = threading.RLock()
_launching = threading.local()      # set while a group with launch hooks launches instances
_clock = None
_installed = False


def install(clock) -> None:
    """Apply launch hooks from now on; `clock` scales heartbeat timeouts."""
    global _clock
    _clock = clock
    _patch_once()


def uninstall() -> None:
    with _lock:
        for action in _actions.values():
            if action.timer is not None:
                action.timer.cancel()
        _actions.clear()


def subscribe(fn: Subscriber) -> None:
    with _lock:
        if fn not in _subscribers:
            _subscribers.append(fn)


def unsubscribe(fn: Subscriber) -> None:
    with _lock:
        if fn in _subscribers:
            _subscribers.remove(fn)


# -- moto patches --------------------------------------------------------------------------------
def _wrap(cls, name: str, hook) -> None:
    wrap_method(cls, name, hook, tag="lifecycle")


def _patch_once() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import EmptyResult

    def launch(original, self, *args, **kwargs):
        hooks = [h for h in self.autoscaling_backend.lifecycle_hooks.values()
                 if h.auto_scaling_group_name == self.name and h.lifecycle_transition == LAUNCHING]
        before = {s.instance.id for s in self.instance_states}
        _launching.hooked = bool(hooks)
        try:
            result = original(self, *args, **kwargs)
        finally:
            _launching.hooked = False
        launched = [s for s in self.instance_states if s.instance.id not in before]
        if hooks and launched:
            # Notified after moto has finished the launch (the request thread must not wait).
            threading.Thread(target=_hold, args=(self, launched, hooks), daemon=True,
                             name="asg-lifecycle-hold").start()
        return result

    def new_state(original, self, *args, **kwargs):
        original(self, *args, **kwargs)
        # Set at creation, before anything (moto, or the fleet's registration of replacements)
        # can register the new instance with the group's target groups.
        if getattr(_launching, "hooked", False) and self.lifecycle_state == "InService":
            self.lifecycle_state = "Pending:Wait"

    def active_instances(original, self, *args, **kwargs):
        # Pending instances count towards desired capacity on AWS; moto counts InService only
        # (and would launch again on the next capacity change).
        return [s for s in self.instance_states if s.lifecycle_state == "InService" or s.lifecycle_state in WAITING_STATES]

    def update_attached_target_groups(original, self, group_name, *args, **kwargs):
        # moto's own, except that an instance joins the group's target groups only once it is
        # InService (a Pending:Wait instance must not take traffic).
        group = self.autoscaling_groups[group_name]
        if not group.target_group_arns:
            return None
        ids = sorted(s.instance.id for s in group.instance_states if s.lifecycle_state not in WAITING_STATES)
        for target_group in self.elbv2_backend.describe_target_groups(
                target_group_arns=group.target_group_arns, load_balancer_arn=None, names=None):
            self.elbv2_backend.register_targets(target_group.arn, [{"Id": i, "Port": target_group.port} for i in ids])
        return None

    # The API handlers and the Auto Scaling door (contract.py) share the same two functions.
    def complete_lifecycle_action_api(self):
        complete_lifecycle_action(self._get_param("AutoScalingGroupName"), self._get_param("LifecycleHookName"),
                                  self._get_param("LifecycleActionToken"), self._get_param("InstanceId"),
                                  self._get_param("LifecycleActionResult"))
        return EmptyResult()

    def record_lifecycle_action_heartbeat_api(self):
        record_lifecycle_action_heartbeat(self._get_param("AutoScalingGroupName"), self._get_param("LifecycleHookName"),
                                          self._get_param("LifecycleActionToken"), self._get_param("InstanceId"))
        return EmptyResult()

    _wrap(FakeAutoScalingGroup, "replace_autoscaling_group_instances", launch)
    _wrap(InstanceState, "__init__", new_state)
    _wrap(FakeAutoScalingGroup, "active_instances", active_instances)
    _wrap(AutoScalingBackend, "update_attached_target_groups", update_attached_target_groups)
    AutoScalingResponse.complete_lifecycle_action = complete_lifecycle_action_api
    AutoScalingResponse.record_lifecycle_action_heartbeat = record_lifecycle_action_heartbeat_api


# -- the lifecycle action API ----------------------------------------------------------------------
def complete_lifecycle_action(group_name: str, hook: str, token: str | None, instance_id: str | None,
                              result: str) -> None:
    """CompleteLifecycleAction; moto's ValidationError when nothing waits on that action."""
    from moto.autoscaling.exceptions import AutoscalingClientError

    if result not in ("CONTINUE", "ABANDON"):
        raise AutoscalingClientError("ValidationError", f"Invalid lifecycle action result {result!r}: use CONTINUE or ABANDON.")
    action = _find(group_name, hook, token, instance_id)
    if action is None:
        raise AutoscalingClientError("ValidationError", f"No active Lifecycle Action found with instance ID {instance_id or token}")
    _complete(action, result)


def record_lifecycle_action_heartbeat(group_name: str, hook: str, token: str | None, instance_id: str | None) -> None:
    """RecordLifecycleActionHeartbeat: restart the action's heartbeat timeout."""
    from moto.autoscaling.exceptions import AutoscalingClientError

    action = _find(group_name, hook, token, instance_id)
    if action is None:
        raise AutoscalingClientError("ValidationError", "No active Lifecycle Action found")
    _arm(action)


# -- actions -------------------------------------------------------------------------------------
def _hold(group, launched, hooks) -> None:
    """One lifecycle action per instance; with several launch hooks, all must CONTINUE (AWS)."""
    for state in launched:
        first = hooks[0]
        action = _Action(token=str(uuid.uuid4()), hook=first.name, group=group, state=state,
                         timeout=float(first.heartbeat_timeout), pending_hooks={h.name for h in hooks})
        with _lock:
            _actions[state.instance.id] = action
            _arm(action)
        for h in hooks:
            _notify({
                "Origin": "EC2", "Destination": "AutoScalingGroup", "Service": "AWS Auto Scaling",
                "AccountId": group.account_id, "RequestId": str(uuid.uuid4()),
                "AutoScalingGroupName": group.name, "EC2InstanceId": state.instance.id,
                "LifecycleActionToken": action.token, "LifecycleHookName": h.name,
                "LifecycleTransition": LAUNCHING, "Region": group.region,
            })


def _notify(message: dict) -> None:
    with _lock:
        subscribers = list(_subscribers)
    for fn in subscribers:
        try:
            fn(message)
        except Exception:  # one subscriber's bug must not strand the instance for the others
            log.exception("lifecycle hook subscriber failed")


def _arm(action: _Action) -> None:
    """(Re)start the heartbeat timeout; on expiry the hook's DefaultResult applies."""
    with _lock:
        if action.timer is not None:
            action.timer.cancel()
        seconds = _clock.scaled(action.timeout) if _clock is not None else action.timeout
        hook = action.group.autoscaling_backend.lifecycle_hooks.get(f"{action.group.name}_{action.hook}")
        default = getattr(hook, "default_result", "ABANDON")
        action.timer = threading.Timer(seconds, _expire, args=(action, default))
        action.timer.daemon = True
        action.timer.start()


def _expire(action: _Action, default: str) -> None:
    with _lock:
        if _actions.get(action.state.instance.id) is not action:
            return
    log.info("lifecycle action for %s timed out: %s", action.state.instance.id, default)
    _complete(action, default, every_hook=True)


def _find(group_name, hook, token, instance_id) -> _Action | None:
    with _lock:
        for iid, action in _actions.items():
            if action.group.name != group_name or hook not in action.pending_hooks:
                continue
            if (token and action.token == token) or (not token and instance_id == iid):
                return action
    return None


def _complete(action: _Action, result: str, every_hook: bool = False) -> None:
    group, state = action.group, action.state
    instance_id = state.instance.id
    with _lock:
        if _actions.get(instance_id) is not action:
            return
        if result == "CONTINUE" and not every_hook:
            action.pending_hooks.discard(action.hook)
            if action.pending_hooks:  # the other launch hooks still hold it
                action.hook = next(iter(action.pending_hooks))
                return
        del _actions[instance_id]
        if action.timer is not None:
            action.timer.cancel()
    backend = group.autoscaling_backend
    if result == "CONTINUE":
        state.lifecycle_state = "InService"
        if backend.autoscaling_groups.get(group.name) is group:
            backend.update_attached_target_groups(group.name)
        log.info("%s: %s InService after its launch lifecycle action", group.name, instance_id)
        return
    # ABANDON: "Amazon EC2 Auto Scaling terminates the instance and launches a new one".
    log.info("%s: %s abandoned by its launch lifecycle action; terminating it", group.name, instance_id)
    group.instance_states = [s for s in group.instance_states if s is not state]
    backend.ec2_backend.terminate_instances([instance_id])
    if backend.autoscaling_groups.get(group.name) is group:
        group.set_desired_capacity(group.desired_capacity)
