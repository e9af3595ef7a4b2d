"""CodeDeploy applications: Create/Get/Delete/List/BatchGetApplications."""
from __future__ import annotations

from localcloud.codedeploy.api import shapes
from localcloud.codedeploy.api.common import Resource, paged, tag_dict
from localcloud.codedeploy.api.deployment_groups import drop_group
from localcloud.codedeploy.exceptions import (
    ApplicationAlreadyExistsException, BatchLimitExceededException, InvalidComputePlatformException,
)
from localcloud.codedeploy.models import COMPUTE_PLATFORMS, SERVER, Application


class Applications(Resource):
    """Applications (deleting one deletes its deployment groups)."""

    OPERATIONS = (
        "CreateApplication",
        "GetApplication",
        "DeleteApplication",
        "ListApplications",
        "BatchGetApplications",
    )

    def create_application(self, params, ctx):
        name = params["applicationName"]
        # every platform's applications (and groups, configs, revisions) are kept; what
        # localcloud cannot carry out is refused at CreateDeployment (api/deployments.py)
        platform = params.get("computePlatform") or SERVER
        if platform not in COMPUTE_PLATFORMS:  # the model's enum (the router validates it first)
            raise InvalidComputePlatformException(f"The computePlatform {platform} is invalid: use Lambda, Server or ECS.")
        with self.backend.lock:
            if name in self.backend.applications:
                raise ApplicationAlreadyExistsException(f"Application already exists with name {name}")
            app = Application(name, self.backend.now(), platform, tags=tag_dict(params.get("tags")))
            self.backend.applications[name] = app
        return {"applicationId": app.app_id}

    def get_application(self, params, ctx):
        return {"application": shapes.application_info(self._app(params["applicationName"]))}

    def delete_application(self, params, ctx):
        name = params["applicationName"]
        with self.backend.lock:
            if self.backend.applications.pop(name, None) is None:
                return {}
            for key in [k for k in self.backend.groups if k[0] == name]:
                drop_group(self, self.backend.groups.pop(key))
        return {}

    def list_applications(self, params, ctx):
        names, token = paged(sorted(self.backend.applications), params.get("nextToken"))
        return {"applications": names, "nextToken": token}

    def batch_get_applications(self, params, ctx):
        names = params.get("applicationNames") or []
        if len(names) > 100:
            raise BatchLimitExceededException("The maximum number of names or IDs allowed for this request (100) was exceeded.")
        return {"applicationsInfo": [shapes.application_info(self._app(n)) for n in names]}
