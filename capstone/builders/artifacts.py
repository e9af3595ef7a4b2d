"""The pipeline's artifact store: a versioned S3 bucket (CodePipeline requires versioning).

Deleting it means deleting every object VERSION and delete marker first (a versioned bucket is
"not empty" while any version remains: aws-ia/taskcat#339)."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.retry import call, error_code, is_not_found

NAME = "artifacts"
BUCKET = "s3:bucket"
TYPES = (BUCKET,)


def create(ctx: BuildContext) -> None:
    s3 = ctx.client("s3")
    bucket = ctx.names.bucket
    entry = ctx.record(BUCKET, bucket, builder=NAME)
    kwargs = {}
    if ctx.target.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.target.region}
    s3.create_bucket(Bucket=bucket, **kwargs)
    ctx.created(entry, arn=f"arn:aws:s3:::{bucket}")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": ctx.tag_list()})
    ctx.outputs["bucket"] = bucket


def empty(s3, bucket: str) -> int:
    """Delete every object version and delete marker; returns how many."""
    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for i in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[i:i + 1000], "Quiet": True})
            removed += len(keys[i:i + 1000])
    return removed


def delete(ctx: BuildContext, record: dict) -> None:
    s3 = ctx.client("s3")
    bucket = record["name"]

    def _empty_and_delete():
        empty(s3, bucket)
        try:
            s3.delete_bucket(Bucket=bucket)
        except Exception as exc:
            if error_code(exc) == "BucketNotEmpty":  # a late writer (a build finishing): go again
                raise _Again() from exc
            raise

    try:
        for _ in range(5):
            try:
                call(_empty_and_delete, what=f"delete bucket {bucket}")
                return
            except _Again:
                continue
        raise RuntimeError(f"bucket {bucket} kept receiving objects while being emptied")
    except Exception as exc:
        if not is_not_found(exc):
            raise


class _Again(Exception):
    pass
