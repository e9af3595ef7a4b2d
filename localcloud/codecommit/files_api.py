"""CodeCommit operations on files and commits: GetFile, GetFolder, GetBlob, GetCommit,
GetDifferences (reads) and PutFile, CreateCommit, DeleteFile (writes that make a commit).

Blobs arrive base64 on the wire (`fileContent`) and leave the same way (bytes -> base64 by
localcloud.aws.dumps).
"""
from __future__ import annotations

from dulwich.diff_tree import tree_changes
from dulwich.objects import Blob, Commit

from localcloud.aws import RequestContext, b64decode_blob
from localcloud.codecommit import trees
from localcloud.codecommit.commit_plan import MAX_FILE_ENTRIES, CommitPlan
from localcloud.codecommit.commits import (
    MAX_FILE_SIZE,
    base_for,
    check_message,
    commit_tree,
    identity,
)
from localcloud.codecommit.models import CodeCommitBackend
from localcloud.codecommit.paging import page
from localcloud.codecommit.exceptions import BlobIdDoesNotExistException, CommitIdDoesNotExistException, CommitIdRequiredException, FileContentRequiredException, FileContentSizeLimitExceededException, FileDoesNotExistException, FileEntryRequiredException, FileTooLargeException, FolderDoesNotExistException, InvalidBlobIdException, InvalidCommitIdException, InvalidMaxResultsException, InvalidPathException, MaximumFileEntriesExceededException, NoChangeException, PathDoesNotExistException, SameFileContentException

DIFFERENCES_PAGE = 100       # GetDifferences' default MaxResults


def _default_author(ctx: RequestContext) -> str:
    # UNCONFIRMED: AWS names the caller when no name is given; offline that is the caller's ARN.
    return ctx.caller_arn


def _git_date(seconds: int, offset: int) -> str:
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    return f"{seconds} {sign}{offset // 3600:02d}{offset % 3600 // 60:02d}"


def commit_json(commit: Commit) -> dict:
    def who(raw: bytes, seconds: int, offset: int) -> dict:
        text = raw.decode("utf-8", "replace")
        name, _, rest = text.partition(" <")
        return {"name": name, "email": rest.rstrip(">"), "date": _git_date(seconds, offset)}

    return {
        "commitId": commit.id.decode(),
        "treeId": commit.tree.decode(),
        "parents": [p.decode() for p in commit.parents],
        "message": commit.message.decode("utf-8", "replace"),
        "author": who(commit.author, commit.author_time, commit.author_timezone),
        "committer": who(commit.committer, commit.commit_time, commit.commit_timezone),
        "additionalData": "",
    }


class FilesAPI:
    def __init__(self, backend: CodeCommitBackend):
        self.backend = backend

    def operations(self) -> dict:
        return {
            "GetFile": self.get_file,
            "GetFolder": self.get_folder,
            "GetBlob": self.get_blob,
            "GetCommit": self.get_commit,
            "GetDifferences": self.get_differences,
            "PutFile": self.put_file,
            "CreateCommit": self.create_commit,
            "DeleteFile": self.delete_file,
        }

    # -- reads --------------------------------------------------------------------------------
    def get_file(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        parts = trees.split_path(params["filePath"])
        with repo.open() as git:
            commit = repo.resolve(git, params.get("commitSpecifier"))
            found = trees.lookup(git.object_store, commit.tree, parts)
            if found is None or trees.is_tree(found[0]) or trees.is_submodule(found[0]):
                raise FileDoesNotExistException(f"The file {params['filePath']} does not exist in commit {commit.id.decode()}.")
            blob = git.object_store[found[1]]
            data = blob.as_raw_string()
        if len(data) > MAX_FILE_SIZE:
            raise FileTooLargeException(f"The file {params['filePath']} is larger than 6 MB; use a git client.")
        return {"commitId": commit.id.decode(), "blobId": found[1].decode(), "filePath": trees.join(parts),
                "fileMode": trees.mode_name(found[0]), "fileSize": len(data), "fileContent": data}

    def get_folder(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        raw = params["folderPath"]
        parts = trees.split_path(raw, allow_root=True)
        with repo.open() as git:
            commit = repo.resolve(git, params.get("commitSpecifier"))
            found = trees.lookup(git.object_store, commit.tree, parts)
            if found is None or not trees.is_tree(found[0]):
                raise FolderDoesNotExistException(f"The folder {raw} does not exist in commit {commit.id.decode()}.")
            children = trees.list_folder(git.object_store, found[1])
        out = {"commitId": commit.id.decode(), "folderPath": raw, "treeId": found[1].decode(),
               "subFolders": [], "files": [], "symbolicLinks": [], "subModules": []}
        for child in children:
            absolute = trees.join(parts + child.path)
            relative = child.path[0]
            if trees.is_tree(child.mode):
                out["subFolders"].append({"treeId": child.sha.decode(), "absolutePath": absolute, "relativePath": relative})
            elif trees.is_submodule(child.mode):
                out["subModules"].append({"commitId": child.sha.decode(), "absolutePath": absolute, "relativePath": relative})
            else:
                kind = "symbolicLinks" if trees.mode_name(child.mode) == "SYMLINK" else "files"
                out[kind].append({"blobId": child.sha.decode(), "absolutePath": absolute, "relativePath": relative,
                                  "fileMode": trees.mode_name(child.mode)})
        return out

    def get_blob(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        blob_id = params["blobId"]
        if len(blob_id) != 40 or not all(c in "0123456789abcdef" for c in blob_id):
            raise InvalidBlobIdException(f"The specified blob ID is not valid: {blob_id!r}")
        with repo.open() as git:
            try:
                obj = git.object_store[blob_id.encode()]
            except KeyError:
                obj = None
            if not isinstance(obj, Blob):
                raise BlobIdDoesNotExistException(f"The blob {blob_id} does not exist in {repo.name}.")
            data = obj.as_raw_string()
        if len(data) > MAX_FILE_SIZE:
            raise FileTooLargeException(f"The blob {blob_id} is larger than 6 MB; use a git client.")
        return {"content": data}

    def get_commit(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        commit_id = params["commitId"]
        if not commit_id:
            raise CommitIdRequiredException("A commit ID is required.")
        if len(commit_id) != 40 or not all(c in "0123456789abcdef" for c in commit_id):
            raise InvalidCommitIdException(f"The specified commit ID is not valid: {commit_id!r}")
        with repo.open() as git:
            commit = repo.commit(git, commit_id)
            if commit is None:
                raise CommitIdDoesNotExistException(f"The commit ID {commit_id} does not exist in {repo.name}.")
            return {"commit": commit_json(commit)}

    def get_differences(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        limit = params.get("MaxResults")
        if limit is not None and limit < 1:
            raise InvalidMaxResultsException(f"The specified number of maximum results is not valid: {limit}")
        with repo.open() as git:
            store = git.object_store
            after = repo.resolve(git, params["afterCommitSpecifier"])
            before = repo.resolve(git, params["beforeCommitSpecifier"]) if params.get("beforeCommitSpecifier") else None
            before_tree = self._subtree(store, before.tree if before else None, params.get("beforePath"))
            after_tree = self._subtree(store, after.tree, params.get("afterPath"))
            before_prefix = trees.split_path(params["beforePath"], allow_root=True) if params.get("beforePath") else ()
            after_prefix = trees.split_path(params["afterPath"], allow_root=True) if params.get("afterPath") else ()
            changes = list(tree_changes(store, before_tree, after_tree))
        differences = []
        for change in changes:
            old, new = change.old, change.new
            entry: dict = {"changeType": {"add": "A", "delete": "D"}.get(change.type, "M")}
            if old is not None and old.path is not None:
                entry["beforeBlob"] = {"blobId": old.sha.decode(), "path": trees.join(before_prefix + (old.path.decode(),)),
                                       "mode": f"{old.mode:06o}"}
            if new is not None and new.path is not None:
                entry["afterBlob"] = {"blobId": new.sha.decode(), "path": trees.join(after_prefix + (new.path.decode(),)),
                                      "mode": f"{new.mode:06o}"}
            differences.append(entry)
        chunk, token = page(differences, params.get("NextToken"), limit or DIFFERENCES_PAGE)
        return {"differences": list(chunk), "NextToken": token}

    @staticmethod
    def _subtree(store, tree_id: bytes | None, raw_path: str | None) -> bytes | None:
        if tree_id is None or not raw_path:
            return tree_id
        found = trees.lookup(store, tree_id, trees.split_path(raw_path, allow_root=True))
        if found is None:
            raise PathDoesNotExistException(f"The path {raw_path} does not exist.")
        if not trees.is_tree(found[0]):
            raise InvalidPathException(f"The path {raw_path} is a file; give a folder.")
        return found[1]

    # -- writes -------------------------------------------------------------------------------
    def put_file(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        parts = trees.split_path(params["filePath"])
        content = b64decode_blob(params["fileContent"], "fileContent")
        if not content:
            raise FileContentRequiredException("Empty files cannot be added to the repository with this API.")
        if len(content) > MAX_FILE_SIZE:
            raise FileContentSizeLimitExceededException("The file cannot be added because it is too large. The maximum file size is 6 MB, and the "
                           "combined file content change size is 7 MB. Consider making these changes using a Git client.")
        author = identity(params.get("name"), params.get("email"), _default_author(ctx))
        check_message(params.get("commitMessage"))
        with repo.lock, repo.open() as git:
            base = base_for(repo, git, params["branchName"], params.get("parentCommitId"))
            blob = Blob.from_string(content)
            existing = trees.lookup(git.object_store, base.tree_id, parts)
            # Without a fileMode an existing file keeps its mode (an executable stays executable).
            kept = existing[0] if existing is not None and not trees.is_tree(existing[0]) else trees.MODE_NORMAL
            mode = trees.FILE_MODES[params["fileMode"]] if params.get("fileMode") else kept
            if existing is not None and existing == (mode, blob.id):
                raise SameFileContentException(f"The file {params['filePath']} was not added or updated because its content is exactly "
                               "the same as in the branch.")
            git.object_store.add_object(blob)
            tree_id = trees.apply(git.object_store, base.tree_id, {parts: (mode, blob.id)})
            verb = "Edited" if existing is not None else "Added"
            message = params.get("commitMessage") or f"{verb} {trees.join(parts)}"  # UNCONFIRMED default
            commit = commit_tree(self.backend, repo, git, base, tree_id, author=author, message=message)
        return {"commitId": commit.id.decode(), "blobId": blob.id.decode(), "treeId": tree_id.decode()}

    def delete_file(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        parts = trees.split_path(params["filePath"])
        author = identity(params.get("name"), params.get("email"), _default_author(ctx))
        check_message(params.get("commitMessage"))
        with repo.lock, repo.open() as git:
            base = base_for(repo, git, params["branchName"], params["parentCommitId"])
            existing = trees.lookup(git.object_store, base.tree_id, parts)
            if existing is None or trees.is_tree(existing[0]):
                raise FileDoesNotExistException(f"The file {params['filePath']} does not exist.")
            tree_id = trees.apply(git.object_store, base.tree_id, {parts: None},
                                  keep_empty_folders=bool(params.get("keepEmptyFolders")))
            message = params.get("commitMessage") or f"Deleted {trees.join(parts)}"  # UNCONFIRMED default
            commit = commit_tree(self.backend, repo, git, base, tree_id, author=author, message=message)
        return {"commitId": commit.id.decode(), "blobId": existing[1].decode(), "treeId": tree_id.decode(),
                "filePath": trees.join(parts)}

    def create_commit(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        puts, deletes, modes = params.get("putFiles") or [], params.get("deleteFiles") or [], params.get("setFileModes") or []
        if not (puts or deletes or modes):
            raise FileEntryRequiredException("The commit cannot be created because no files have been specified as added, updated, or changed.")
        if len(puts) + len(deletes) + len(modes) > MAX_FILE_ENTRIES:
            raise MaximumFileEntriesExceededException(f"A commit made with CreateCommit can change at most {MAX_FILE_ENTRIES} files; use a git client.")
        author = identity(params.get("authorName"), params.get("email"), _default_author(ctx))
        check_message(params.get("commitMessage"))
        with repo.lock, repo.open() as git:
            base = base_for(repo, git, params["branchName"], params.get("parentCommitId"))
            plan = CommitPlan(git.object_store, base.tree_id)
            plan.add_puts(puts)
            plan.add_deletes(deletes)
            plan.add_modes(modes)
            tree_id = trees.apply(git.object_store, base.tree_id, plan.changes,
                                  keep_empty_folders=bool(params.get("keepEmptyFolders")))
            if tree_id == base.tree_id:
                raise NoChangeException("The commit cannot be created because no changes will be made to the repository as a "
                               "result of this commit. A commit must contain at least one change.")
            message = params.get("commitMessage") or "Commit made with CreateCommit"  # UNCONFIRMED default
            commit = commit_tree(self.backend, repo, git, base, tree_id, author=author, message=message)
        return {"commitId": commit.id.decode(), "treeId": tree_id.decode(), **plan.report()}

