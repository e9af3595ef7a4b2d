"""The changes of one CreateCommit (putFiles, deleteFiles, setFileModes), checked against each
other and against the parent tree before anything is written."""
from __future__ import annotations

from dulwich.objects import Blob

from localcloud.aws import b64decode_blob
from localcloud.codecommit import trees
from localcloud.codecommit.commits import MAX_COMMIT_CONTENT, MAX_FILE_SIZE
from localcloud.codecommit.exceptions import FileContentAndSourceFileSpecifiedException, FileContentSizeLimitExceededException, FileDoesNotExistException, FileModeRequiredException, PutFileEntryConflictException, RestrictedSourceFileException, SamePathRequestException, SourceFileOrContentRequiredException

MAX_FILE_ENTRIES = 100       # UNCONFIRMED: the entries of one CreateCommit (MaximumFileEntriesExceededException)


class CommitPlan:
    """Collects the tree changes and the filesAdded/Updated/Deleted report of one commit."""

    def __init__(self, store, tree_id: bytes | None):
        self.store, self.tree_id = store, tree_id
        self.changes: dict[tuple[str, ...], trees.Change] = {}
        self.added: list[dict] = []
        self.updated: list[dict] = []
        self.deleted: list[dict] = []
        self.content_size = 0

    def _claim(self, parts: tuple[str, ...], raw: str) -> None:
        if parts in self.changes:
            raise SamePathRequestException(f"The path {raw} appears in more than one change of this commit.")
        for other in self.changes:
            shorter, longer = sorted((parts, other), key=len)
            if longer[:len(shorter)] == shorter:
                raise PutFileEntryConflictException(f"The path {raw} is both a file and a folder among the changes of this commit.")

    def _existing(self, parts, raw) -> tuple[int, bytes]:
        found = trees.lookup(self.store, self.tree_id, parts)
        if found is None or trees.is_tree(found[0]):
            raise FileDoesNotExistException(f"The file {raw} does not exist in the parent commit.")
        return found

    def add_puts(self, entries: list[dict]) -> None:
        for entry in entries:
            raw = entry["filePath"]
            parts = trees.split_path(raw)
            has_content, source = entry.get("fileContent") is not None, entry.get("sourceFile")
            if has_content and source:
                raise FileContentAndSourceFileSpecifiedException(f"Specify either fileContent or sourceFile for {raw}, not both.")
            if not has_content and not source:
                raise SourceFileOrContentRequiredException(f"Specify fileContent or sourceFile for {raw}.")
            self._claim(parts, raw)
            existing = trees.lookup(self.store, self.tree_id, parts)
            if has_content:
                data = b64decode_blob(entry["fileContent"], "putFiles.member.fileContent")
                if len(data) > MAX_FILE_SIZE:
                    raise FileContentSizeLimitExceededException(f"The file {raw} is larger than 6 MB. Consider making these changes using a Git client.")
                self.content_size += len(data)
                if self.content_size > MAX_COMMIT_CONTENT:
                    raise FileContentSizeLimitExceededException("The combined file content change size of this commit is over 7 MB.")
                blob = Blob.from_string(data)
                self.store.add_object(blob)
                sha = blob.id
                default_mode = existing[0] if existing and not trees.is_tree(existing[0]) else trees.MODE_NORMAL
            else:
                src_raw = source["filePath"]
                src = trees.split_path(src_raw)
                if src[-1] == ".gitkeep":
                    raise RestrictedSourceFileException("A .gitkeep file cannot be copied or moved.")
                default_mode, sha = self._existing(src, src_raw)
                if source.get("isMove"):
                    self._claim(src, src_raw)
                    self.changes[src] = None
                    self.deleted.append({"absolutePath": trees.join(src), "blobId": sha.decode(),
                                         "fileMode": trees.mode_name(default_mode)})
            mode = trees.FILE_MODES[entry["fileMode"]] if entry.get("fileMode") else default_mode
            self.changes[parts] = (mode, sha)
            record = {"absolutePath": trees.join(parts), "blobId": sha.decode(), "fileMode": trees.mode_name(mode)}
            (self.updated if existing is not None else self.added).append(record)

    def add_deletes(self, entries: list[dict]) -> None:
        for entry in entries:
            raw = entry["filePath"]
            parts = trees.split_path(raw)
            self._claim(parts, raw)
            mode, sha = self._existing(parts, raw)
            self.changes[parts] = None
            self.deleted.append({"absolutePath": trees.join(parts), "blobId": sha.decode(),
                                 "fileMode": trees.mode_name(mode)})

    def add_modes(self, entries: list[dict]) -> None:
        for entry in entries:
            raw = entry["filePath"]
            parts = trees.split_path(raw)
            if not entry.get("fileMode"):
                raise FileModeRequiredException(f"A file mode is required to change {raw}.")
            self._claim(parts, raw)
            _, sha = self._existing(parts, raw)
            mode = trees.FILE_MODES[entry["fileMode"]]
            self.changes[parts] = (mode, sha)
            self.updated.append({"absolutePath": trees.join(parts), "blobId": sha.decode(),
                                 "fileMode": entry["fileMode"]})

    def report(self) -> dict:
        return {"filesAdded": self.added, "filesUpdated": self.updated, "filesDeleted": self.deleted}
