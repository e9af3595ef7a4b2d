"""An application's revisions: Register/GetApplicationRevision, List/BatchGetApplicationRevisions.

A revision is registered by RegisterApplicationRevision or by the first deployment that uses it
(deployments.py); its GenericRevisionInfo keeps when it was registered, first and last used, and
by which deployment groups. Registering only records where the revision is: nothing is fetched,
so a GitHub revision registers as on AWS; it is refused where it would be fetched, at
CreateDeployment.
"""
from __future__ import annotations

from localcloud.codedeploy.api import shapes
from localcloud.codedeploy.api.common import Resource, paged
from localcloud.codedeploy.exceptions import (
    BatchLimitExceededException, BucketNameFilterRequiredException, DescriptionTooLongException,
    InvalidRevisionException, RevisionDoesNotExistException, RevisionRequiredException,
)
from localcloud.codedeploy.models import revision_key

#: the member each revisionType is located by, and what that member must name
LOCATIONS = {"S3": ("s3Location", ("bucket", "key")), "GitHub": ("gitHubLocation", ("repository", "commitId")),
             "String": ("string", ("content",)), "AppSpecContent": ("appSpecContent", ("content",))}
DESCRIPTION_MAX = 100  # UNCONFIRMED: the limit DescriptionTooLongException enforces is not documented


def revision_location(revision: dict | None) -> dict:
    """The RevisionLocation, checked for what its type needs (only that member is kept)."""
    if not revision:
        raise RevisionRequiredException("The revision must be specified.")
    kind = revision.get("revisionType")
    if kind not in LOCATIONS:
        raise InvalidRevisionException(f"The revision type {kind!r} is not valid: use S3, GitHub, String or AppSpecContent.")
    member, needed = LOCATIONS[kind]
    where = revision.get(member) or {}
    missing = [k for k in needed if not where.get(k)]
    if missing:
        raise InvalidRevisionException(f"A {kind} revision must specify {member} with {' and '.join(needed)} "
                                       f"(missing: {', '.join(missing)}).")
    return {"revisionType": kind, member: dict(where)}


class ApplicationRevisions(Resource):
    """The revisions registered with an application."""

    OPERATIONS = (
        "RegisterApplicationRevision",
        "GetApplicationRevision",
        "ListApplicationRevisions",
        "BatchGetApplicationRevisions",
    )

    def register_application_revision(self, params, ctx):
        app = self._app(params.get("applicationName"))
        description = params.get("description")
        if description is not None and len(description) > DESCRIPTION_MAX:
            raise DescriptionTooLongException(f"The description is too long: at most {DESCRIPTION_MAX} characters.")
        location = revision_location(params.get("revision"))
        with self.backend.lock:
            app.register(location, self.backend.now(), description)
        return {}

    def get_application_revision(self, params, ctx):
        app = self._app(params.get("applicationName"))
        location = revision_location(params.get("revision"))
        with self.backend.lock:
            known = app.revisions.get(revision_key(location))
            if known is None:
                raise RevisionDoesNotExistException(
                    f"The revision is not registered with the application {app.name}.")
            return {"applicationName": app.name, "revision": dict(known.location),
                    "revisionInfo": shapes.generic_revision_info(known)}

    def list_application_revisions(self, params, ctx):
        app = self._app(params.get("applicationName"))
        bucket, prefix = params.get("s3Bucket"), params.get("s3KeyPrefix")
        if prefix and not bucket:
            raise BucketNameFilterRequiredException("An s3Bucket is required when s3KeyPrefix is given.")
        deployed = params.get("deployed") or "ignore"
        sort_by = params.get("sortBy")
        with self.backend.lock:
            found = list(app.revisions.values())
        if bucket:
            found = [r for r in found if (r.location.get("s3Location") or {}).get("bucket") == bucket
                     and str((r.location.get("s3Location") or {}).get("key", "")).startswith(prefix or "")]
        if deployed != "ignore":
            found = [r for r in found if (r.first_used is not None) == (deployed == "include")]
        if sort_by:
            attr = {"registerTime": "register_time", "firstUsedTime": "first_used", "lastUsedTime": "last_used"}[sort_by]
            used = sorted((r for r in found if getattr(r, attr) is not None), key=lambda r: getattr(r, attr),
                          reverse=params.get("sortOrder") == "descending")
            found = used + [r for r in found if getattr(r, attr) is None]  # never used: last, either way
        page, token = paged([dict(r.location) for r in found], params.get("nextToken"))
        return {"revisions": page, "nextToken": token}

    def batch_get_application_revisions(self, params, ctx):
        app = self._app(params.get("applicationName"))
        wanted = params.get("revisions") or []
        if not wanted:
            raise RevisionRequiredException("The revisions must be specified.")
        if len(wanted) > 25:
            raise BatchLimitExceededException("The maximum number of revisions allowed for this request (25) was exceeded.")
        locations = [revision_location(r) for r in wanted]
        found, missing = [], 0
        with self.backend.lock:
            for location in locations:
                known = app.revisions.get(revision_key(location))
                if known is None:
                    missing += 1
                    continue
                found.append({"revisionLocation": dict(known.location),
                              "genericRevisionInfo": shapes.generic_revision_info(known)})
        return {"applicationName": app.name, "revisions": found,
                "errorMessage": f"{missing} of the revisions are not registered with the application {app.name}."
                if missing else None}
