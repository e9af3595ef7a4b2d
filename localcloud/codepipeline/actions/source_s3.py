"""Source / AWS / S3: an object in a versioned bucket, copied into the artifact store.

The revision is the object's version id at trigger time (`S3_OBJECT_VERSION_ID` override honoured).
"""
from __future__ import annotations

from localcloud.codepipeline.actions import ActionRun, Outcome
from localcloud.exceptions import ServiceError
from localcloud.iam.exceptions import AccessDeniedByPolicy


def capture(cloud, principal, region: str, configuration: dict, event: dict | None = None) -> dict | None:
    try:
        head = cloud.services.s3.head_object(principal, configuration["S3Bucket"], configuration["S3ObjectKey"])
    except ServiceError:
        return None
    return {"revisionId": head.version_id or head.etag}


def run(run: ActionRun) -> Outcome:
    bucket, key = run.configuration["S3Bucket"], run.configuration["S3ObjectKey"]
    s3 = run.cloud.services.s3
    version = (run.captured_revision or {}).get("revisionId")
    version_id = None
    if version and version != "null" and (run.captured_revision or {}).get("revisionType", "S3_OBJECT_VERSION_ID") == "S3_OBJECT_VERSION_ID":
        version_id = version
    try:
        obj = s3.get_object_with_info(run.principal, bucket, key, version_id=version_id)
    except AccessDeniedByPolicy:
        raise  # the role's refusal is CodePipeline's "insufficient permissions" (engine.py), not a configuration error
    except ServiceError as err:
        code, message = err.code, err.message
        return Outcome.failed("ConfigurationError", f"The action failed because the object s3://{bucket}/{key} could "
                              f"not be read ({code}: {message}). Make sure the bucket is versioned and the object "
                              "exists, and then try again.")
    info = obj.info
    for artifact in run.output_artifacts:
        s3.put_object(run.principal, artifact["bucket"], artifact["key"], obj.body)
    revision = info.version_id or info.etag
    summary = info.metadata.get("codepipeline-artifact-revision-summary")
    return Outcome(
        "Succeeded",
        summary=f"Amazon S3 version id: {revision}" if info.version_id else summary,
        external_execution_id=revision,
        output_variables={"ObjectKey": key, "ETag": info.etag, **({"VersionId": info.version_id} if info.version_id else {})},
        revision={"revisionId": revision, "revisionChangeIdentifier": info.etag,
                  "revisionSummary": summary, "created": info.last_modified},
    )
