"""The IAM actions an S3 REST request needs, from its method, path and subresource.

S3 is the one REST service whose requests reach moto unclaimed, so there is no operation name
to read: the action follows from what the request addresses (the service, a bucket, or an
object), its method and its subresource query key. Several API operations share one action
(HeadObject needs s3:GetObject; the multipart calls and CopyObject need s3:PutObject; removing
a bucket's tags needs s3:PutBucketTagging) and some actions depend on a versionId.
Path-style addressing only: botocore uses it for an IP endpoint such as localcloud's.
Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

_BUCKET_GET = {
    "versioning": "GetBucketVersioning", "location": "GetBucketLocation", "policy": "GetBucketPolicy",
    "policyStatus": "GetBucketPolicyStatus", "tagging": "GetBucketTagging", "acl": "GetBucketAcl",
    "encryption": "GetEncryptionConfiguration", "publicAccessBlock": "GetBucketPublicAccessBlock",
    "versions": "ListBucketVersions", "uploads": "ListBucketMultipartUploads",
    "lifecycle": "GetLifecycleConfiguration", "notification": "GetBucketNotification",
    "ownershipControls": "GetBucketOwnershipControls", "cors": "GetBucketCORS", "website": "GetBucketWebsite",
    "logging": "GetBucketLogging", "object-lock": "GetBucketObjectLockConfiguration",
    "replication": "GetReplicationConfiguration", "accelerate": "GetAccelerateConfiguration",
    "requestPayment": "GetBucketRequestPayment",
}
_BUCKET_PUT = {
    "versioning": "PutBucketVersioning", "policy": "PutBucketPolicy", "tagging": "PutBucketTagging",
    "acl": "PutBucketAcl", "encryption": "PutEncryptionConfiguration",
    "publicAccessBlock": "PutBucketPublicAccessBlock", "lifecycle": "PutLifecycleConfiguration",
    "notification": "PutBucketNotification", "ownershipControls": "PutBucketOwnershipControls",
    "cors": "PutBucketCORS", "website": "PutBucketWebsite", "logging": "PutBucketLogging",
    "object-lock": "PutBucketObjectLockConfiguration", "replication": "PutReplicationConfiguration",
    "accelerate": "PutAccelerateConfiguration", "requestPayment": "PutBucketRequestPayment",
}
# deleting a configuration needs the action that writes it, except the bucket policy and website
_BUCKET_DELETE = {**{k: v for k, v in _BUCKET_PUT.items() if k not in ("policy", "website")},
                  "policy": "DeleteBucketPolicy", "website": "DeleteBucketWebsite"}


@dataclass(frozen=True)
class S3Need:
    action: str                 # without the "s3:" prefix
    bucket: str | None
    key: str | None             # None for a bucket-level action


def _subresource(query: dict, table: dict) -> str | None:
    return next((table[k] for k in query if k in table), None)


def needs(method: str, path: str, query_string: str, headers: dict[str, str], body: bytes = b"") -> list[S3Need]:
    """Each (action, bucket, key) the request is authorized on."""
    query = parse_qs(query_string, keep_blank_values=True)
    parts = unquote(path).lstrip("/").split("/", 1)
    bucket = parts[0] or None
    key = parts[1] if len(parts) > 1 and parts[1] != "" else None
    versioned = "versionId" in query
    if bucket is None:
        return [S3Need("ListAllMyBuckets", None, None)]
    if key is None:
        if method == "POST" and "delete" in query:  # DeleteObjects: each object (version) it names
            wanted = []
            for entry in re.findall(rb"<Object>(.*?)</Object>", body or b"", re.S):
                key_match = re.search(rb"<Key>(.*?)</Key>", entry, re.S)
                if key_match:
                    action = "DeleteObjectVersion" if b"<VersionId>" in entry else "DeleteObject"
                    wanted.append(S3Need(action, bucket, html.unescape(key_match.group(1).decode())))
            return wanted or [S3Need("DeleteObject", bucket, "*")]
        table = {"GET": _BUCKET_GET, "PUT": _BUCKET_PUT, "DELETE": _BUCKET_DELETE}.get(method, {})
        default = {"GET": "ListBucket", "HEAD": "ListBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}
        return [S3Need(_subresource(query, table) or default.get(method, "ListBucket"), bucket, None)]
    suffix = "Version" if versioned else ""
    if method in ("GET", "HEAD"):
        if "tagging" in query:
            action = f"GetObject{suffix}Tagging"
        elif "acl" in query:
            action = f"GetObject{suffix}Acl"
        elif "uploadId" in query:
            action = "ListMultipartUploadParts"
        elif "attributes" in query:
            action = f"GetObject{suffix}Attributes"
        else:
            action = f"GetObject{suffix}"
        return [S3Need(action, bucket, key)]
    if method == "PUT":
        action = ("PutObjectTagging" if "tagging" in query else "PutObjectAcl" if "acl" in query else "PutObject")
        wanted = [S3Need(action, bucket, key)]
        source = headers.get("x-amz-copy-source")
        if source and action == "PutObject":  # CopyObject also reads its source
            src = unquote(source.split("?", 1)[0]).lstrip("/").split("/", 1)
            if len(src) == 2:
                wanted.append(S3Need("GetObject", src[0], src[1]))
        return wanted
    if method == "POST":
        return [S3Need("RestoreObject" if "restore" in query else "PutObject", bucket, key)]
    if method == "DELETE":
        if "uploadId" in query:
            return [S3Need("AbortMultipartUpload", bucket, key)]
        if "tagging" in query:
            return [S3Need(f"DeleteObject{suffix}Tagging", bucket, key)]
        return [S3Need(f"DeleteObject{suffix}", bucket, key)]
    return [S3Need("GetObject", bucket, key)]
