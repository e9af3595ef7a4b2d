"""Git trees as CodeCommit's file APIs see them: paths, modes, lookups, listings and edits.

Paths are checked the way CodeCommit documents them (quotas page): 1-4096 characters, at most
20 directories deep, relative to the repository root (a leading "/" is allowed and ignored).
A path that could leave the tree ("..") or reach git's own metadata (".git") is refused with
InvalidPathException; nothing is normalised silently into another file.
"""
from __future__ import annotations

import stat
from dataclasses import dataclass

from dulwich.objects import Blob, Tree


from localcloud.codecommit.exceptions import DirectoryNameConflictsWithFileNameException, FileNameConflictsWithDirectoryNameException, InvalidPathException, PathRequiredException

MODE_NORMAL = 0o100644
MODE_EXECUTABLE = 0o100755
MODE_SYMLINK = 0o120000
MODE_TREE = 0o040000
MODE_SUBMODULE = 0o160000

FILE_MODES = {"NORMAL": MODE_NORMAL, "EXECUTABLE": MODE_EXECUTABLE, "SYMLINK": MODE_SYMLINK}
MAX_PATH_LENGTH = 4096
MAX_DEPTH = 20


def mode_name(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "SYMLINK"
    return "EXECUTABLE" if mode & 0o111 else "NORMAL"


def is_tree(mode: int) -> bool:
    return stat.S_ISDIR(mode)


def is_submodule(mode: int) -> bool:
    return (mode & 0o170000) == MODE_SUBMODULE


def split_path(raw: str | None, *, allow_root: bool = False) -> tuple[str, ...]:
    """('dir', 'file.txt') for "dir/file.txt" or "/dir/file.txt"; () for the root ("/" or "") if allowed."""
    if raw == "" and allow_root:
        return ()  # the AWS CLI's own example reads the root folder with --folder-path ""
    if raw is None or raw == "":
        raise PathRequiredException("The folderPath for a location cannot be null." if allow_root
                       else "The filePath for a location cannot be null.")
    if len(raw) > MAX_PATH_LENGTH or "\0" in raw:
        raise InvalidPathException(f"The specified path is not valid: {raw[:100]!r}")
    parts = tuple(p for p in raw.split("/") if p not in ("", "."))
    if any(p == ".." or p.lower() == ".git" for p in parts):
        raise InvalidPathException(f"The specified path is not valid: {raw!r} must stay inside the repository")
    if not parts and not allow_root:
        raise InvalidPathException(f"The specified path is not valid: {raw!r} names no file")
    if len(parts) - 1 > MAX_DEPTH:
        raise InvalidPathException(f"The specified path is not valid: {raw!r} is deeper than {MAX_DEPTH} directories")
    return parts


def join(parts: tuple[str, ...]) -> str:
    return "/".join(parts)


def lookup(store, tree_id: bytes | None, parts: tuple[str, ...]) -> tuple[int, bytes] | None:
    """(mode, sha) of the entry at `parts`, the root tree for (), or None if there is none."""
    if tree_id is None:
        return None
    if not parts:
        return MODE_TREE, tree_id
    mode, sha = MODE_TREE, tree_id
    for part in parts:
        if not is_tree(mode):
            return None
        tree = store[sha]
        try:
            mode, sha = tree[part.encode()]
        except KeyError:
            return None
    return mode, sha


@dataclass
class Entry:
    path: tuple[str, ...]
    mode: int
    sha: bytes


def list_folder(store, tree_id: bytes) -> list[Entry]:
    """The direct children of a tree, in git's order."""
    return [Entry((item.path.decode("utf-8", "surrogateescape"),), item.mode, item.sha)
            for item in store[tree_id].iteritems()]


def walk_files(store, tree_id: bytes | None, prefix: tuple[str, ...] = ()) -> list[Entry]:
    """Every blob and submodule under a tree, depth first, with full paths."""
    if tree_id is None:
        return []
    found: list[Entry] = []
    for item in store[tree_id].iteritems():
        path = prefix + (item.path.decode("utf-8", "surrogateescape"),)
        if is_tree(item.mode):
            found.extend(walk_files(store, item.sha, path))
        else:
            found.append(Entry(path, item.mode, item.sha))
    return found


# -- edits ---------------------------------------------------------------------------------------
Change = tuple[int, bytes] | None   # (mode, blob sha) to write, or None to delete


def apply(store, tree_id: bytes | None, changes: dict[tuple[str, ...], Change], *,
          keep_empty_folders: bool = False) -> bytes:
    """Write `changes` into the tree `tree_id` (None = empty); returns the new root tree id.
    Every new tree object is added to `store`; the old ones are untouched."""
    tree = store[tree_id] if tree_id is not None else Tree()
    new = Tree()
    for item in tree.iteritems():
        new.add(item.path, item.mode, item.sha)
    here = {path[0]: change for path, change in changes.items() if len(path) == 1}
    below: dict[str, dict[tuple[str, ...], Change]] = {}
    for path, change in changes.items():
        if len(path) > 1:
            below.setdefault(path[0], {})[path[1:]] = change
    for name, change in here.items():
        key = name.encode()
        existing = new[key] if key in new else None
        if change is None:
            if existing is not None:
                del new[key]
            continue
        if existing is not None and is_tree(existing[0]):
            raise FileNameConflictsWithDirectoryNameException(f"A file cannot be added because its name {name!r} is the name of a folder in this repository.")
        new.add(key, change[0], change[1])
    for name, sub_changes in below.items():
        key = name.encode()
        existing = new[key] if key in new else None
        if existing is not None and not is_tree(existing[0]):
            if all(c is None for c in sub_changes.values()):
                continue  # deleting below a file: nothing there to delete
            raise DirectoryNameConflictsWithFileNameException(f"A file cannot be added because the folder {name!r} in its path is a file in this repository.")
        sub_id = apply(store, existing[1] if existing else None, sub_changes, keep_empty_folders=keep_empty_folders)
        if len(store[sub_id]) == 0:
            if existing is not None and keep_empty_folders:
                # CodeCommit keeps the folder by writing an empty .gitkeep into it.
                gitkeep = Blob.from_string(b"")
                store.add_object(gitkeep)
                keep = Tree()
                keep.add(b".gitkeep", MODE_NORMAL, gitkeep.id)
                store.add_object(keep)
                new.add(key, MODE_TREE, keep.id)
            elif key in new:
                del new[key]
        else:
            new.add(key, MODE_TREE, sub_id)
    store.add_object(new)
    return new.id
