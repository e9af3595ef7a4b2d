"""CodeBuild's container credentials endpoint: how a build's commands get the service role's
credentials, the way CodeBuild provides them (never as static keys in the environment).

On AWS the build container has `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (an endpoint at
169.254.170.2). Here each build gets `AWS_CONTAINER_CREDENTIALS_FULL_URI` on localcloud's
loopback address and an `AWS_CONTAINER_AUTHORIZATION_TOKEN`, which boto3, the AWS CLI and the
SDKs read unchanged. The credentials are a real session on the project's service role (assumed
through STS's door as codebuild.amazonaws.com, session `AWSCodeBuild-<build uuid>`), so
`aws sts get-caller-identity` in a build answers the assumed-role ARN. The endpoint answers only
while the build runs and only with the build's token.
Source: https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
"""
from __future__ import annotations

import hmac
import json
import secrets
import threading

PREFIX = "/_localcloud/codebuild/credentials/"


class CredentialsEndpoint:
    def __init__(self):
        self._lock = threading.Lock()
        self._builds: dict[str, tuple[str, object]] = {}   # build uuid -> (token, AssumedRole)

    def register(self, build_uuid: str, session) -> str:
        """Serve `session`'s credentials to the build; returns its authorization token."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._builds[build_uuid] = (token, session)
        return token

    def revoke(self, build_uuid: str) -> None:
        with self._lock:
            self._builds.pop(build_uuid, None)

    def app(self, environ, start_response):
        build_uuid = environ.get("PATH_INFO", "")[len(PREFIX):].strip("/")
        with self._lock:
            entry = self._builds.get(build_uuid)
        given = environ.get("HTTP_AUTHORIZATION", "")
        if entry is None or not hmac.compare_digest(given, entry[0]):
            body = b'{"message": "no credentials for this request"}'
            start_response("401 Unauthorized" if entry else "404 Not Found",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        c = entry[1].credentials
        body = json.dumps({"AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key,
                           "Token": c.session_token,
                           "Expiration": c.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
