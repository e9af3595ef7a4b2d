"""The `CodeCommit Repository State Change` event a ref change emits (monitoring-events.md).

referenceCreated carries commitId only, referenceDeleted oldCommitId only, referenceUpdated
both. Branch refs are referenceType "branch"; tag refs are reported as "tag" (UNCONFIRMED:
the user guide shows only branch examples). Other refs (notes, ...) emit nothing.
"""
from __future__ import annotations

from localcloud.codecommit.models import HEADS, Repository

SOURCE = "aws.codecommit"
DETAIL_TYPE = "CodeCommit Repository State Change"
TAGS = b"refs/tags/"


def reference_detail(repo: Repository, ref: bytes, old: str | None, new: str | None) -> dict | None:
    if ref.startswith(HEADS):
        kind, name = "branch", ref[len(HEADS):]
    elif ref.startswith(TAGS):
        kind, name = "tag", ref[len(TAGS):]
    else:
        return None
    if old is None and new is None:
        return None
    event = "referenceCreated" if old is None else "referenceDeleted" if new is None else "referenceUpdated"
    detail = {
        "event": event,
        "repositoryName": repo.name,
        "repositoryId": repo.repository_id,
        "referenceType": kind,
        "referenceName": name.decode("utf-8", "replace"),
        "referenceFullName": ref.decode("utf-8", "replace"),
    }
    if new is not None:
        detail["commitId"] = new
    if old is not None:
        detail["oldCommitId"] = old
    return detail
