"""S3 behaviour moto 5.2.1 lacks, patched at the model level (moto's serializers still answer).

- Default encryption: since 5 January 2023 S3 applies SSE-S3 to every bucket, and
  GetBucketEncryption on a bucket nobody configured answers that base rule (AES256, bucket key
  off) instead of ServerSideEncryptionConfigurationNotFoundError; DeleteBucketEncryption returns
  a bucket to it. moto answers the error, so a check that a bucket is encrypted would fail
  offline and pass on AWS.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
"""
from __future__ import annotations

from localcloud.moto_patch import wrap_method

BASE_ENCRYPTION = {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BucketKeyEnabled": "false"}}


def _get_bucket_encryption(original, self, bucket_name):
    configured = original(self, bucket_name)
    return configured if configured else {"Rule": {**BASE_ENCRYPTION["Rule"]}}


def install() -> None:
    from moto.s3.models import S3Backend

    wrap_method(S3Backend, "get_bucket_encryption", _get_bucket_encryption, tag="s3_default_encryption")
