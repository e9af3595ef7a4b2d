"""Read what CodeDeploy did: a deployment, the rollback it triggered, its targets and their
lifecycle events — the evidence behind "the deployment failed and was rolled back".

The deployment id comes from the DeployBlueGreen action's externalExecutionId.
"""
from __future__ import annotations

from typing import Callable

from capstone import evidence
from capstone.aws_status import DEPLOYMENT_ACTIVE, DEPLOYMENT_DONE
from capstone.retry import Backoff, Deadline, WaitTimeout


class DeploymentReader:
    def __init__(self, client, application: str, deployment_group: str, *, backoff: Backoff | None = None,
                 log: Callable[[str], None] | None = None):
        self.client = client
        self.application = application
        self.deployment_group = deployment_group
        self.backoff = backoff or Backoff()
        self._log = log or (lambda line: print(line, flush=True))
        self._status: dict[str, str] = {}
        self._events: dict[tuple[str, str, str], str | None] = {}
        self._reported_after_end: set[str] = set()

    def get(self, deployment_id: str) -> dict:
        info = self.client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        old, new = self._status.get(deployment_id), info.get("status")
        if old != new:
            self._status[deployment_id] = new
            error = info.get("errorInformation") or {}
            # the code and CodeDeploy's message: IAM_ROLE_PERMISSIONS names the service refused
            self._log(f"[deploy {deployment_id}] {old or '-'} -> {new}"
                      + (f" ({error.get('code')}: {error.get('message', '')})" if error else ""))
            evidence.event("deployment", deployment_id=deployment_id, old=old, new=new, creator=info.get("creator"),
                           error=(info.get("errorInformation") or {}).get("code"),
                           rollback_of=(info.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId"))
        return info

    def wait_for(self, deployment_id: str, predicate: Callable[[dict], bool], deadline: float | Deadline,
                 what: str) -> dict:
        deadline = Deadline.of(deadline)
        self.backoff.reset()
        while True:
            info = self.get(deployment_id)
            self.report_lifecycle(deployment_id)
            if predicate(info):
                return info
            if info.get("status") in DEPLOYMENT_DONE:
                raise AssertionError(f"deployment {deployment_id} ended {info.get('status')} "
                                     f"({(info.get('errorInformation') or {}).get('message', 'no error information')}) "
                                     f"while waiting for {what}")
            if deadline.expired():
                raise WaitTimeout(f"timed out after {deadline.seconds:.0f}s waiting for {what}; "
                                  f"deployment {deployment_id} is {info.get('status')}, overview {info.get('deploymentOverview')}")
            deadline.sleep(self.backoff.next())

    def wait_until_done(self, deployment_id: str, deadline: float | Deadline) -> dict:
        return self.wait_for(deployment_id, lambda i: i.get("status") in DEPLOYMENT_DONE, deadline,
                             what=f"deployment {deployment_id} to end")

    # -- rollback -----------------------------------------------------------------------------
    def rollback_of(self, deployment_id: str) -> dict | None:
        """The deployment CodeDeploy created to roll `deployment_id` back, or None.

        rollbackInfo.rollbackDeploymentId on the failed deployment when present; otherwise the
        group's deployments created since are searched for creator codeDeployRollback whose
        rollbackTriggeringDeploymentId points back.
        """
        info = self.get(deployment_id)
        linked = (info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
        if linked:
            return self.get(linked)
        for other in self.list_since(info.get("createTime")):
            if other == deployment_id:
                continue
            candidate = self.client.get_deployment(deploymentId=other)["deploymentInfo"]
            if (candidate.get("creator") == "codeDeployRollback"
                    and (candidate.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId") == deployment_id):
                return candidate
        return None

    def list_since(self, created, statuses: tuple[str, ...] | None = None) -> list[str]:
        kwargs: dict = {"applicationName": self.application, "deploymentGroupName": self.deployment_group}
        if created is not None:
            kwargs["createTimeRange"] = {"start": created}
        if statuses:
            kwargs["includeOnlyStatuses"] = list(statuses)
        ids: list[str] = []
        while True:
            page = self.client.list_deployments(**kwargs)
            ids += page.get("deployments", [])
            if not page.get("nextToken"):
                return ids
            kwargs["nextToken"] = page["nextToken"]

    def active(self) -> list[str]:
        """Deployments of the group that are not over yet."""
        return self.list_since(None, DEPLOYMENT_ACTIVE)

    # -- targets ------------------------------------------------------------------------------
    def targets(self, deployment_id: str) -> list[dict]:
        """Every instance target of the deployment with its lifecycle events (Blue and Green)."""
        ids: list[str] = []
        kwargs: dict = {"deploymentId": deployment_id}
        while True:
            page = self.client.list_deployment_targets(**kwargs)
            ids += page.get("targetIds", [])
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        found: list[dict] = []
        for start in range(0, len(ids), 25):  # BatchGetDeploymentTargets takes at most 25 ids
            page = self.client.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[start:start + 25])
            found += [t.get("instanceTarget") or {} for t in page.get("deploymentTargets", [])]
        return found

    def report_lifecycle(self, deployment_id: str) -> None:
        """Print each lifecycle event of each instance as it changes, and make each one that ends
        an evidence step — so a long deployment shows where it is while it runs."""
        if deployment_id in self._reported_after_end:
            return  # one full pass after it ended has been reported; nothing changes any more
        if self._status.get(deployment_id) in DEPLOYMENT_DONE:
            self._reported_after_end.add(deployment_id)
        changes = []
        for target in self.lifecycle(deployment_id):
            for event in target["events"]:
                key = (deployment_id, target["targetId"], event["name"])
                old, new = self._events.get(key), event["status"]
                if old == new or (old is None and new == "Pending"):
                    continue
                self._events[key] = new
                changes.append((event.get("end") or event.get("start") or 0, target, event, old, new))
        # one poll may catch several instances' events at once: report them in the order they happened
        for _, target, event, old, new in sorted(changes, key=lambda change: change[0]):
            where = f"{target['label'] or 'instance'} {target['targetId']}"
            code = event.get("errorCode")
            error = f" ({code})" if code and code != "Success" else ""
            self._log(f"[deploy {deployment_id}] {where} {event['name']}: {old or '-'} -> {new}{error}")
            evidence.event("lifecycle", deployment_id=deployment_id, target=target["targetId"],
                           label=target["label"], name=event["name"], old=old, new=new, error=code)
            if new in ("Succeeded", "Failed", "Skipped"):
                with evidence.step(f"{deployment_id} {where} {event['name']}: {new}{error}"):
                    pass

    def lifecycle(self, deployment_id: str) -> list[dict]:
        """[{targetId, label, status, events: [{name, status, errorCode}]}] — for evidence and asserts."""
        return [{
            "targetId": t.get("targetId"),
            "label": t.get("instanceLabel"),
            "status": t.get("status"),
            "events": [{"name": e.get("lifecycleEventName"), "status": e.get("status"),
                        "start": epoch(e.get("startTime")), "end": epoch(e.get("endTime")),
                        **({"errorCode": e["diagnostics"].get("errorCode")} if e.get("diagnostics") else {})}
                       for e in t.get("lifecycleEvents", [])],
        } for t in self.targets(deployment_id)]

    def summary(self, deployment_id: str) -> dict:
        """Facts about one deployment for the evidence."""
        info = self.get(deployment_id)
        return {
            "deploymentId": deployment_id,
            "status": info.get("status"),
            "creator": info.get("creator"),
            "errorInformation": info.get("errorInformation"),
            "rollbackInfo": info.get("rollbackInfo"),
            "deploymentOverview": info.get("deploymentOverview"),
            "targets": self.lifecycle(deployment_id),
        }


def event_time(lifecycle: list[dict], label: str, event: str, edge: str = "end") -> float | None:
    """The latest `edge` ("start"|"end") time of lifecycle `event` over the `label` targets."""
    times = [e[edge] for t in lifecycle if t["label"] == label for e in t["events"]
             if e["name"] == event and e.get(edge) is not None]
    return max(times) if times else None


def epoch(value) -> float | None:
    if value is None:
        return None
    return value.timestamp() if hasattr(value, "timestamp") else float(value)

