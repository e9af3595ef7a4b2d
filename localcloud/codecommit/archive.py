"""A commit's tree as the ZIP CodePipeline's CodeCommit source action hands on (CODE_ZIP):
files only, no .git, paths relative to the root, modes kept so scripts stay executable."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

from localcloud.codecommit import trees


def zip_tree(store, tree_id: bytes, commit_time: int) -> bytes:
    stamp = datetime.fromtimestamp(max(commit_time, 315532800), timezone.utc).timetuple()[:6]  # zip dates start 1980
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in trees.walk_files(store, tree_id):
            if trees.is_submodule(entry.mode):
                continue  # a submodule is a commit of another repository: CodeCommit does not include it
            info = zipfile.ZipInfo(trees.join(entry.path), date_time=stamp)
            info.create_system = 3  # unix, so unzip honours the mode bits below
            info.external_attr = (entry.mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, store[entry.sha].as_raw_string())
    return buffer.getvalue()
