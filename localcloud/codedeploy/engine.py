"""The deployment engine: one worker thread per deployment, plus one alarm watcher per deployment.

`DeploymentEngine` chooses the kind of each deployment (in place, blue/green, blue/green
rollback, launch) and runs it; what every kind shares is `lifecycle.Lifecycle`. It is the one
module that imports the kinds, so none of them imports it. After a deployment ends it starts the
rollback deployment its autoRollbackConfiguration asks for (rollback.py).
"""
from __future__ import annotations

import logging
import threading

from localcloud.codedeploy import alarms, autoscaling as asg_api, principals, rollback
from localcloud.codedeploy.blue_green import BlueGreenDeployment
from localcloud.codedeploy.in_place import InPlaceDeployment
from localcloud.codedeploy.launch import LaunchDeployment
from localcloud.codedeploy.lifecycle import DeploymentContext, Lifecycle, best_effort, settle
from localcloud.codedeploy.models import CodeDeployRegions, Deployment, ErrorInformation, role_permissions_message
from localcloud.codedeploy.runs import DeploymentRun, Ended
from localcloud.iam.exceptions import AccessDeniedByPolicy
from localcloud.settings import CodeDeploySettings

log = logging.getLogger("localcloud.codedeploy")


def kind_of(d: Deployment) -> type[Lifecycle]:
    if d.creator == "autoscaling":
        return LaunchDeployment
    blue_green = d.style.get("deploymentType") == "BLUE_GREEN"
    if d.creator == "codeDeployRollback" and blue_green:
        return rollback.BlueGreenRollback
    return BlueGreenDeployment if blue_green else InPlaceDeployment


class DeploymentEngine:
    def __init__(self, cloud, regions: CodeDeployRegions, settings: CodeDeploySettings):
        self.cloud = cloud
        self.regions = regions
        self.settings = settings
        self.context = DeploymentContext(cloud, regions, settings)
        self.runs: dict[str, DeploymentRun] = {}
        self._shutting_down = False

    # -- API-facing ---------------------------------------------------------------------------
    def start(self, deployment: Deployment) -> DeploymentRun:
        run = DeploymentRun(deployment)
        self.runs[deployment.deployment_id] = run
        run.thread = threading.Thread(target=self._main, args=(run,), name=f"codedeploy-{deployment.deployment_id}", daemon=True)
        run.thread.start()
        if deployment.creator != "codeDeployRollback":
            # A rollback follows an alarm that may still be in ALARM: it must not be stopped by it.
            threading.Thread(target=alarms.watch,
                             args=(run, self.settings, self.cloud.services.cloudwatch,
                                   principals.service_role(deployment.group.service_role_arn),
                                   deployment.group.region),
                             name=f"codedeploy-alarms-{deployment.deployment_id}", daemon=True).start()
        return run

    def stop_deployment(self, run: DeploymentRun, rollback: bool | None) -> tuple[str, str]:
        d = run.deployment
        run.request_stop("MANUAL_STOP", "The deployment was stopped by a user request (StopDeployment).", rollback)
        run.done.wait(self.settings.stop_answer_wait)
        if run.done.is_set():
            return "Succeeded", f"Deployment {d.deployment_id} was stopped."
        return "Pending", f"Deployment {d.deployment_id} is stopping: lifecycle events in progress finish first."

    def shutdown(self) -> None:
        self._shutting_down = True
        for run in list(self.runs.values()):
            run.request_stop("MANUAL_STOP", "localcloud is shutting down.", False)
        for run in list(self.runs.values()):
            if run.thread is not None:
                run.thread.join(timeout=10)
        # What hook scripts left running on instances is the fleet's: its reset/stop terminates
        # every instance host (CodeDeploy stopping does not stop an instance's applications).
        self.runs.clear()

    # -- one deployment -----------------------------------------------------------------------
    def _main(self, run: DeploymentRun) -> None:
        d = run.deployment
        backend = self.regions.of(d)
        with backend.lock:
            d.status, d.start_time = "InProgress", backend.now()
        log.info("deployment %s (%s/%s) InProgress", d.deployment_id, d.application, d.group.name)
        try:
            kind_of(d)(self.context, run).deploy()
            self._finish(run, "Succeeded", None)
        except Ended as end:
            self._finish(run, end.status, ErrorInformation(end.code, end.message))
        except AccessDeniedByPolicy as denied:  # Auto Scaling, ELB, EC2... refused the service role
            self._finish(run, "Failed", ErrorInformation(
                "IAM_ROLE_PERMISSIONS", role_permissions_message(d.group.service_role_arn, denied.action)))
        except Exception as exc:  # a localcloud bug must still end the deployment, never hang it
            log.exception("deployment %s failed inside localcloud", d.deployment_id)
            self._finish(run, "Failed", ErrorInformation("INTERNAL_ERROR", f"localcloud CodeDeploy internal error: {exc}"))
        finally:
            run.done.set()

    def _finish(self, run: DeploymentRun, status: str, error: ErrorInformation | None) -> None:
        d = run.deployment
        rollback_from = None
        backend = self.regions.of(d)
        with backend.lock:
            settle(backend, d, status, error)
            if (status != "Succeeded" and d.creator not in ("codeDeployRollback", "autoscaling")
                    and not self._shutting_down):
                # A failed launch deployment is answered by ABANDON (Auto Scaling replaces the
                # instance), not by a rollback deployment (choice; AWS documents only the ABANDON).
                rollback_from = rollback.wanted(run)
            follow_up = rollback.create(backend, d) if rollback_from else None
        log.info("deployment %s %s%s", d.deployment_id, status, f" ({error.code}: {error.message})" if error else "")
        if status == "Succeeded":
            if d.rolls_back is not None:
                rollback.succeeded(backend, d)
            return
        if follow_up is not None:
            self.start(follow_up)
        elif d.style.get("deploymentType") == "BLUE_GREEN" and d.green_asg and d.creator != "codeDeployRollback":
            if self.settings.delete_green_without_rollback:
                best_effort(lambda: asg_api.delete_group(self.cloud.services.autoscaling,
                                                         principals.service_role(d.group.service_role_arn),
                                                         d.green_asg, backend.region))
