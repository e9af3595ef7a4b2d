import pytest

from localcloud.s3.exceptions import NoSuchBucket, NoSuchKey, NoSuchVersion, PreconditionFailed
from tests.localcloud.contracts.conftest import CALLER, decisions, unique


@pytest.fixture
def bucket(aws):
    name = unique("door-bucket")
    aws("s3").create_bucket(Bucket=name)
    return name


def test_head_bucket(doors, authorizer, bucket):
    doors.s3.head_bucket(CALLER, bucket)
    with pytest.raises(NoSuchBucket) as err:
        doors.s3.head_bucket(CALLER, "no-such-bucket-here")
    assert err.value.status == 404
    assert decisions(authorizer) == [(CALLER.arn, "s3:ListBucket", f"arn:aws:s3:::{bucket}"),
                                     (CALLER.arn, "s3:ListBucket", "arn:aws:s3:::no-such-bucket-here")]


def test_objects_put_through_the_api_are_read_by_the_door(aws, doors, authorizer, bucket):
    put = aws("s3").put_object(Bucket=bucket, Key="a/b.zip", Body=b"hello", Metadata={"Summary": "first"})
    info = doors.s3.head_object(CALLER, bucket, "a/b.zip")
    assert (info.bucket, info.key, info.size, info.version_id) == (bucket, "a/b.zip", 5, None)
    assert info.etag == put["ETag"].strip('"')
    assert info.metadata == {"summary": "first"}
    assert doors.s3.get_object(CALLER, bucket, "a/b.zip") == b"hello"
    assert doors.s3.get_object(CALLER, bucket, "a/b.zip", if_match=info.etag) == b"hello"
    with pytest.raises(PreconditionFailed) as err:
        doors.s3.get_object(CALLER, bucket, "a/b.zip", if_match="0" * 32)
    assert err.value.status == 412
    with pytest.raises(NoSuchKey):
        doors.s3.get_object(CALLER, bucket, "missing")
    with pytest.raises(NoSuchBucket):
        doors.s3.get_object(CALLER, "no-such-bucket-here", "k")
    assert {d[1:] for d in decisions(authorizer)} == {("s3:GetObject", f"arn:aws:s3:::{bucket}/a/b.zip"),
                                                      ("s3:GetObject", f"arn:aws:s3:::{bucket}/missing"),
                                                      ("s3:GetObject", "arn:aws:s3:::no-such-bucket-here/k")}


def test_versioned_bucket(aws, doors, authorizer, bucket):
    s3 = aws("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    second = doors.s3.put_object(CALLER, bucket, "k", b"two", metadata={"codebuild-buildarn": "arn:x"})
    assert second.version_id and second.version_id != first
    assert s3.get_object(Bucket=bucket, Key="k")["Metadata"] == {"codebuild-buildarn": "arn:x"}
    assert doors.s3.get_object(CALLER, bucket, "k", version_id=first) == b"one"
    latest = doors.s3.get_object_with_info(CALLER, bucket, "k")
    assert (latest.body, latest.info.version_id) == (b"two", second.version_id)
    with pytest.raises(NoSuchVersion):
        doors.s3.head_object(CALLER, bucket, "k", version_id="3HL4kqtJvjVBH40Nrjfkd")
    s3.delete_object(Bucket=bucket, Key="k")
    with pytest.raises(NoSuchKey):
        doors.s3.get_object(CALLER, bucket, "k")
    actions = [d[1] for d in decisions(authorizer)]
    assert actions[:3] == ["s3:PutObject", "s3:GetObjectVersion", "s3:GetObject"]
    assert decisions(authorizer)[0] == (CALLER.arn, "s3:PutObject", f"arn:aws:s3:::{bucket}/k")
