"""S3's door: buckets and objects in moto's S3 backend, read and written in-process.

Actions and resources are those S3 evaluates (Service Authorization Reference): HeadBucket is
authorized as s3:ListBucket on the bucket; HeadObject and GetObject as s3:GetObject on the
object, or s3:GetObjectVersion when a version id is named; PutObject as s3:PutObject.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal
from localcloud.s3 import exceptions
from localcloud.s3.exceptions import MethodNotAllowed, NoSuchKey, NoSuchVersion, PreconditionFailed

_ERRORS = errors_of(exceptions)
_META = "x-amz-meta-"


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    etag: str                   # without the quotes S3 puts around it on the wire
    size: int
    version_id: str | None      # None in a bucket that never had versioning ("null" on the wire)
    last_modified: datetime
    metadata: dict[str, str] = field(default_factory=dict)  # user metadata, without x-amz-meta-


@dataclass(frozen=True)
class S3Object:
    info: ObjectInfo
    body: bytes


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


class S3Contract(MotoContract):
    action_prefix = "s3"

    def _backend(self):
        from moto.s3.models import s3_backends

        return s3_backends[self.account_id]["aws"]

    # -- buckets ---------------------------------------------------------------------------------
    def head_bucket(self, principal: Principal, bucket: str) -> None:
        """Return if the bucket exists; NoSuchBucket otherwise."""
        self._authorize(principal, "ListBucket", bucket_arn(bucket))
        with moto_errors(_ERRORS):
            self._backend().head_bucket(bucket)

    # -- objects ---------------------------------------------------------------------------------
    def head_object(self, principal: Principal, bucket: str, key: str, version_id: str | None = None,
                    if_match: str | None = None) -> ObjectInfo:
        self._authorize_read(principal, bucket, key, version_id)
        return _info(self._key(bucket, key, version_id, if_match))

    def get_object(self, principal: Principal, bucket: str, key: str, version_id: str | None = None,
                   if_match: str | None = None) -> bytes:
        return self.get_object_with_info(principal, bucket, key, version_id, if_match).body

    def get_object_with_info(self, principal: Principal, bucket: str, key: str, version_id: str | None = None,
                             if_match: str | None = None) -> S3Object:
        """The body and what GetObject's headers say about it (version id, ETag, metadata)."""
        self._authorize_read(principal, bucket, key, version_id)
        found = self._key(bucket, key, version_id, if_match)
        return S3Object(_info(found), bytes(found.value))

    def put_object(self, principal: Principal, bucket: str, key: str, body: bytes,
                   metadata: dict[str, str] | None = None) -> ObjectInfo:
        self._authorize(principal, "PutObject", object_arn(bucket, key))
        backend = self._backend()
        with moto_errors(_ERRORS):
            new = backend.put_object(bucket, key, bytes(body))
        if metadata:
            # moto keeps user metadata under its header names, as PutObject's handler sets it
            new.set_metadata({f"{_META}{name.lower()}": value for name, value in metadata.items()})
        return _info(new)

    # -- helpers ---------------------------------------------------------------------------------
    def _authorize_read(self, principal: Principal, bucket: str, key: str, version_id: str | None) -> None:
        self._authorize(principal, "GetObjectVersion" if version_id else "GetObject", object_arn(bucket, key))

    def _key(self, bucket: str, key: str, version_id: str | None, if_match: str | None):
        from moto.s3.models import FakeDeleteMarker

        with moto_errors(_ERRORS):
            found = self._backend().get_object(bucket, key, version_id=version_id, return_delete_marker=True)
        if isinstance(found, FakeDeleteMarker):
            if version_id:
                raise MethodNotAllowed("The specified method is not allowed against this resource.")
            found = None
        if found is None:
            if version_id:
                raise NoSuchVersion("The specified version does not exist.")
            raise NoSuchKey("The specified key does not exist.")
        if if_match and found.etag.strip('"') != if_match.strip('"'):
            raise PreconditionFailed("At least one of the pre-conditions you specified did not hold")
        return found


def _info(key) -> ObjectInfo:
    metadata = {name[len(_META):]: value for name, value in dict(key.metadata).items()
                if name.lower().startswith(_META)}
    version = str(key.version_id) if key.version_id not in (None, "null") else None
    return ObjectInfo(bucket=key.bucket_name, key=key.name, etag=key.etag.strip('"'), size=key.size,
                      version_id=version, last_modified=key.last_modified, metadata=metadata)
