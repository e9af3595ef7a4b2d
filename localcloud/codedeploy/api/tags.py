"""Tags of applications and deployment groups: Tag/UntagResource, ListTagsForResource."""
from __future__ import annotations

from localcloud.codedeploy.api.common import Resource, tag_dict
from localcloud.codedeploy.exceptions import ArnNotSupportedException, InvalidArnException


class Tags(Resource):
    """Tagging by ARN."""

    OPERATIONS = (
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
    )

    # -- tags ---------------------------------------------------------------------------------
    def _resource(self, arn: str):
        parts = arn.split(":", 6)
        if len(parts) < 7 or parts[2] != "codedeploy":
            raise InvalidArnException(f"The ARN {arn} is not a valid CodeDeploy ARN.")
        kind, _, rest = parts[5], None, parts[6]
        where = self.in_region(parts[3] or self.region)  # the resource is in the ARN's Region
        if kind == "application":
            return where._app(rest)
        if kind == "deploymentgroup" and "/" in rest:
            app, name = rest.split("/", 1)
            return where._group(app, name)
        raise ArnNotSupportedException(f"The ARN {arn} is not supported for tagging.")

    def tag_resource(self, params, ctx):
        res = self._resource(params["ResourceArn"])
        with self.backend.lock:
            res.tags.update(tag_dict(params.get("Tags")))
        return {}

    def untag_resource(self, params, ctx):
        res = self._resource(params["ResourceArn"])
        with self.backend.lock:
            for key in params.get("TagKeys") or []:
                res.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params, ctx):
        res = self._resource(params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(res.tags.items())]}
