"""The instance metadata service (IMDS) of each fleet instance: what boto3 and the AWS CLI on an
instance read their credentials from, unchanged.

On EC2 the metadata service answers at 169.254.169.254 inside the instance; here every process
of an instance gets `AWS_EC2_METADATA_SERVICE_ENDPOINT=<localcloud>/_localcloud/imds/<id>/`
(instances.py), which botocore honours. Served (IMDSv2 token and IMDSv1 both accepted):

    PUT  latest/api/token                                  a session token
    GET  latest/meta-data/instance-id
    GET  latest/meta-data/placement/region
    GET  latest/meta-data/iam/security-credentials/        the instance profile's role name
    GET  latest/meta-data/iam/security-credentials/<role>  that role's temporary credentials

The credentials are a real session on the role, assumed through STS's door as
ec2.amazonaws.com with the instance id as the session name (as EC2 names it), so requests made
with them are the role's (`sts get-caller-identity` answers the assumed-role ARN). They are
renewed when less than five minutes are left. An instance without a profile has no role: 404.
Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html and
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html
"""
from __future__ import annotations

import json
import secrets
import threading
from datetime import datetime, timedelta, timezone

from localcloud.fleet import moto_state
from localcloud.principal import Principal

PREFIX = "/_localcloud/imds/"
EC2 = Principal.service("ec2.amazonaws.com")
RENEW_BEFORE = timedelta(minutes=5)


class MetadataService:
    def __init__(self, services, fleet):
        self._services = services   # () -> localcloud.services.Services
        self._fleet = fleet         # the fleet's door: which role an instance's profile names
        self._lock = threading.Lock()
        self._sessions: dict[str, object] = {}   # instance id -> AssumedRole

    def app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")[len(PREFIX):]
        instance_id, _, rest = path.partition("/")
        method = environ.get("REQUEST_METHOD", "GET")
        status, body, content_type = self._answer(method, instance_id, rest.strip("/"))
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def _answer(self, method: str, instance_id: str, path: str) -> tuple[str, bytes, str]:
        region = moto_state.instance_region(instance_id)
        if region is None:
            return "404 Not Found", b"", "text/plain"
        if method == "PUT" and path == "latest/api/token":
            return "200 OK", secrets.token_urlsafe(32).encode(), "text/plain"
        if method != "GET":
            return "405 Method Not Allowed", b"", "text/plain"
        if path == "latest/meta-data/instance-id":
            return "200 OK", instance_id.encode(), "text/plain"
        if path == "latest/meta-data/placement/region":
            return "200 OK", region.encode(), "text/plain"
        if path.startswith("latest/meta-data/iam/security-credentials"):
            role = self._fleet.instance_role(EC2, instance_id, region)
            if role is None:
                return "404 Not Found", b"", "text/plain"
            name = path[len("latest/meta-data/iam/security-credentials"):].strip("/")
            if not name:
                return "200 OK", role.name.encode(), "text/plain"
            if name != role.name:
                return "404 Not Found", b"", "text/plain"
            return "200 OK", json.dumps(self._credentials(instance_id, role.arn)).encode(), "application/json"
        return "404 Not Found", b"", "text/plain"

    def _credentials(self, instance_id: str, role_arn: str) -> dict:
        with self._lock:
            session = self._sessions.get(instance_id)
            now = datetime.now(timezone.utc)
            if (session is None or session.principal.role_arn != role_arn
                    or session.credentials.expiration - now < RENEW_BEFORE):
                session = self._services().sts.assume_role(EC2, role_arn, instance_id)
                self._sessions[instance_id] = session
        c = session.credentials
        return {"Code": "Success", "LastUpdated": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "Type": "AWS-HMAC",
                "AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key, "Token": c.session_token,
                "Expiration": c.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def forget(self) -> None:
        with self._lock:
            self._sessions.clear()
