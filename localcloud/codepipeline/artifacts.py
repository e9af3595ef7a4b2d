"""Artifact locations in the S3 artifact store, with AWS's key layout (docs/aws-behaviour.md, "CodePipeline").

`<pipeline name[:20]>/<artifact name[:10]>/<7 random [A-Za-z0-9]>`, no `.zip` suffix. The
suffix length and alphabet are inferred from public examples (UNCONFIRMED, see docs/aws-behaviour.md).
"""
from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
SUFFIX_LENGTH = 7


def artifact_key(pipeline_name: str, artifact_name: str) -> str:
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{pipeline_name[:20]}/{artifact_name[:10]}/{suffix}"


def artifact_store_for(declaration: dict, region: str) -> dict:
    """The artifact store an action in `region` uses: `artifactStore`, or the `artifactStores`
    entry of that Region (cross-Region pipelines)."""
    if declaration.get("artifactStore"):
        return declaration["artifactStore"]
    stores = declaration.get("artifactStores") or {}
    if region in stores:
        return stores[region]
    raise KeyError(f"the pipeline has no artifact store in Region {region}")
