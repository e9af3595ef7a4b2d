"""S3 encrypts every bucket with SSE-S3 unless told otherwise (since January 2023), and
GetBucketEncryption says so: localcloud answers as AWS does, not moto's "not found"."""
import uuid


def test_a_new_bucket_reports_sse_s3(aws):
    s3 = aws("s3")
    bucket = f"enc-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]


def test_a_configured_rule_wins_and_delete_returns_to_the_base_rule(aws):
    s3 = aws("s3")
    bucket = f"enc-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/k"},
         "BucketKeyEnabled": True}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms" and rule["BucketKeyEnabled"] is True
    s3.delete_bucket_encryption(Bucket=bucket)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_a_missing_bucket_is_still_no_such_bucket(aws):
    import pytest
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as err:
        aws("s3").get_bucket_encryption(Bucket=f"missing-{uuid.uuid4().hex[:8]}")
    assert err.value.response["Error"]["Code"] == "NoSuchBucket"
