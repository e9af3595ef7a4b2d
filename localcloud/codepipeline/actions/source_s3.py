"""Source / AWS / S3: an object in a versioned bucket, copied into the artifact store.

The revision is the object's version id at trigger time (`S3_OBJECT_VERSION_ID` override honoured).
"""
from __future__ import annotations

from localcloud.codepipeline.actions import ActionRun, Outcome, client_error_text


def capture(cloud, principal, region: str, configuration: dict, event: dict | None = None) -> dict | None:
    try:
        head = cloud.client("s3", region).head_object(Bucket=configuration["S3Bucket"], Key=configuration["S3ObjectKey"])
    except Exception:
        return None
    return {"revisionId": head.get("VersionId") or head.get("ETag", "").strip('"')}


def run(run: ActionRun) -> Outcome:
    bucket, key = run.configuration["S3Bucket"], run.configuration["S3ObjectKey"]
    s3 = run.client("s3")
    version = (run.captured_revision or {}).get("revisionId")
    kwargs = {"Bucket": bucket, "Key": key}
    if version and version != "null" and (run.captured_revision or {}).get("revisionType", "S3_OBJECT_VERSION_ID") == "S3_OBJECT_VERSION_ID":
        kwargs["VersionId"] = version
    try:
        obj = s3.get_object(**kwargs)
    except Exception as err:
        code, message = client_error_text(err)
        return Outcome.failed("ConfigurationError", f"The action failed because the object s3://{bucket}/{key} could "
                              f"not be read ({code}: {message}). Make sure the bucket is versioned and the object "
                              "exists, and then try again.")
    body = obj["Body"].read()
    for artifact in run.output_artifacts:
        s3.put_object(Bucket=artifact["bucket"], Key=artifact["key"], Body=body)
    revision = obj.get("VersionId") or obj.get("ETag", "").strip('"')
    summary = (obj.get("Metadata") or {}).get("codepipeline-artifact-revision-summary")
    return Outcome(
        "Succeeded",
        summary=f"Amazon S3 version id: {revision}" if obj.get("VersionId") else summary,
        external_execution_id=revision,
        output_variables={"ObjectKey": key, "ETag": obj.get("ETag", "").strip('"'),
                          **({"VersionId": obj["VersionId"]} if obj.get("VersionId") else {})},
        revision={"revisionId": revision, "revisionChangeIdentifier": obj.get("ETag", "").strip('"'),
                  "revisionSummary": summary, "created": obj.get("LastModified")},
    )
