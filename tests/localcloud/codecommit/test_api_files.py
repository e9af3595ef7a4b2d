"""Files and commits through boto3: PutFile, CreateCommit, DeleteFile, GetFile, GetFolder,
GetCommit, GetDifferences, with AWS's parent-commit rules and no-op refusals."""
from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_put_file_rules(codecommit, repo):
    name = repo["repositoryName"]
    first = codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"v1\n", filePath="src/app.py",
                                commitMessage="first", name="Ann", email="ann@example.com")
    # the first write to an empty repository needs no parent and makes its branch the default
    assert codecommit.get_repository(repositoryName=name)["repositoryMetadata"]["defaultBranch"] == "main"

    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"v2\n", filePath="src/app.py")
    assert _code(exc) == "ParentCommitIdRequiredException"
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"v1\n", filePath="src/app.py",
                            parentCommitId=first["commitId"])
    assert _code(exc) == "SameFileContentException"

    second = codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"v2\n", filePath="src/app.py",
                                 parentCommitId=first["commitId"])
    with pytest.raises(ClientError) as exc:  # a stale parent is refused, never merged
        codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"v3\n", filePath="src/app.py",
                            parentCommitId=first["commitId"])
    assert _code(exc) == "ParentCommitIdOutdatedException"
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"v3\n", filePath="x",
                            parentCommitId="f" * 40)
    assert _code(exc) == "ParentCommitDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="other", fileContent=b"v3\n", filePath="x",
                            parentCommitId=second["commitId"])
    assert _code(exc) == "BranchDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"", filePath="empty",
                            parentCommitId=second["commitId"])
    assert _code(exc) == "FileContentRequiredException"

    commit = codecommit.get_commit(repositoryName=name, commitId=first["commitId"])["commit"]
    assert commit["message"] == "first" and commit["parents"] == []
    assert commit["author"]["name"] == "Ann" and commit["author"]["email"] == "ann@example.com"
    assert re.fullmatch(r"\d+ [+-]\d{4}", commit["author"]["date"])
    assert commit["treeId"] == first["treeId"]

    got = codecommit.get_file(repositoryName=name, filePath="/src/app.py")
    assert got["fileContent"] == b"v2\n" and got["fileSize"] == 3 and got["fileMode"] == "NORMAL"
    assert got["commitId"] == second["commitId"] and got["blobId"] == second["blobId"]
    old = codecommit.get_file(repositoryName=name, filePath="src/app.py", commitSpecifier=first["commitId"])
    assert old["fileContent"] == b"v1\n"


def test_create_commit_and_folder_listing(codecommit, repo):
    name = repo["repositoryName"]
    base = codecommit.create_commit(repositoryName=name, branchName="main", putFiles=[
        {"filePath": "scripts/start.sh", "fileContent": b"#!/bin/sh\n", "fileMode": "EXECUTABLE"},
        {"filePath": "README.md", "fileContent": b"readme"},
        {"filePath": "link", "fileContent": b"README.md", "fileMode": "SYMLINK"},
    ])
    assert sorted(f["absolutePath"] for f in base["filesAdded"]) == ["README.md", "link", "scripts/start.sh"]

    folder = codecommit.get_folder(repositoryName=name, folderPath="/")
    assert codecommit.get_folder(repositoryName=name, folderPath="")["files"] == folder["files"]  # the CLI example's root
    assert [f["relativePath"] for f in folder["files"]] == ["README.md"]
    assert [s["absolutePath"] for s in folder["subFolders"]] == ["scripts"]
    assert [s["relativePath"] for s in folder["symbolicLinks"]] == ["link"]
    scripts = codecommit.get_folder(repositoryName=name, folderPath="scripts", commitSpecifier="main")
    assert scripts["files"] == [{"blobId": scripts["files"][0]["blobId"], "absolutePath": "scripts/start.sh",
                                 "relativePath": "start.sh", "fileMode": "EXECUTABLE"}]

    moved = codecommit.create_commit(repositoryName=name, branchName="main", parentCommitId=base["commitId"],
                                     putFiles=[{"filePath": "docs/README.md", "sourceFile": {"filePath": "README.md", "isMove": True}}],
                                     setFileModes=[{"filePath": "scripts/start.sh", "fileMode": "NORMAL"}],
                                     deleteFiles=[{"filePath": "link"}])
    assert [f["absolutePath"] for f in moved["filesAdded"]] == ["docs/README.md"]
    assert sorted(f["absolutePath"] for f in moved["filesDeleted"]) == ["README.md", "link"]
    assert moved["filesUpdated"] == [{"absolutePath": "scripts/start.sh", "blobId": scripts["files"][0]["blobId"],
                                      "fileMode": "NORMAL"}]

    diff = codecommit.get_differences(repositoryName=name, beforeCommitSpecifier=base["commitId"],
                                      afterCommitSpecifier=moved["commitId"])["differences"]
    summary = sorted((d["changeType"], (d.get("beforeBlob") or d.get("afterBlob"))["path"]) for d in diff)
    assert summary == [("A", "docs/README.md"), ("D", "README.md"), ("D", "link"), ("M", "scripts/start.sh")]
    mode_change = next(d for d in diff if d["changeType"] == "M")
    assert (mode_change["beforeBlob"]["mode"], mode_change["afterBlob"]["mode"]) == ("100755", "100644")
    scoped = codecommit.get_differences(repositoryName=name, beforeCommitSpecifier=base["commitId"],
                                        afterCommitSpecifier=moved["commitId"], beforePath="scripts", afterPath="scripts")
    assert [d["afterBlob"]["path"] for d in scoped["differences"]] == ["scripts/start.sh"]
    paged = codecommit.get_differences(repositoryName=name, afterCommitSpecifier=moved["commitId"], MaxResults=1)
    assert len(paged["differences"]) == 1 and paged["NextToken"]


def test_create_commit_refusals(codecommit, repo):
    name = repo["repositoryName"]
    head = codecommit.create_commit(repositoryName=name, branchName="main",
                                    putFiles=[{"filePath": "a/b.txt", "fileContent": b"b"}])["commitId"]
    cases = [
        ({"putFiles": [{"filePath": "a/b.txt", "fileContent": b"b"}]}, "NoChangeException"),
        ({}, "FileEntryRequiredException"),
        ({"deleteFiles": [{"filePath": "missing.txt"}]}, "FileDoesNotExistException"),
        ({"putFiles": [{"filePath": "x"}]}, "SourceFileOrContentRequiredException"),
        ({"putFiles": [{"filePath": "x", "fileContent": b"1", "sourceFile": {"filePath": "a/b.txt"}}]},
         "FileContentAndSourceFileSpecifiedException"),
        ({"putFiles": [{"filePath": "x", "fileContent": b"1"}], "deleteFiles": [{"filePath": "x"}]}, "SamePathRequestException"),
        ({"putFiles": [{"filePath": "y", "fileContent": b"1"}, {"filePath": "y/z", "fileContent": b"2"}]},
         "PutFileEntryConflictException"),
        ({"putFiles": [{"filePath": "a", "fileContent": b"1"}]}, "FileNameConflictsWithDirectoryNameException"),
        ({"putFiles": [{"filePath": "a/b.txt/c", "fileContent": b"1"}]}, "DirectoryNameConflictsWithFileNameException"),
        ({"putFiles": [{"filePath": "../escape", "fileContent": b"1"}]}, "InvalidPathException"),
        ({"putFiles": [{"filePath": "a/../../escape", "fileContent": b"1"}]}, "InvalidPathException"),
        ({"putFiles": [{"filePath": ".git/config", "fileContent": b"1"}]}, "InvalidPathException"),
        ({"putFiles": [{"filePath": f"f{i}", "fileContent": b"1"} for i in range(101)]}, "MaximumFileEntriesExceededException"),
    ]
    for extra, code in cases:
        with pytest.raises(ClientError) as exc:
            codecommit.create_commit(repositoryName=name, branchName="main", parentCommitId=head, **extra)
        assert _code(exc) == code, extra
    # nothing of the refused commits is visible
    assert codecommit.get_branch(repositoryName=name, branchName="main")["branch"]["commitId"] == head


def test_delete_file_and_empty_folders(codecommit, repo):
    name = repo["repositoryName"]
    head = codecommit.create_commit(repositoryName=name, branchName="main", putFiles=[
        {"filePath": "keep/one.txt", "fileContent": b"1"}, {"filePath": "drop/two.txt", "fileContent": b"2"},
        {"filePath": "top.txt", "fileContent": b"t"}])["commitId"]
    kept = codecommit.delete_file(repositoryName=name, branchName="main", filePath="keep/one.txt",
                                  parentCommitId=head, keepEmptyFolders=True)
    assert kept["filePath"] == "keep/one.txt"
    dropped = codecommit.delete_file(repositoryName=name, branchName="main", filePath="drop/two.txt",
                                     parentCommitId=kept["commitId"])
    root = codecommit.get_folder(repositoryName=name, folderPath="/", commitSpecifier=dropped["commitId"])
    assert [f["relativePath"] for f in root["subFolders"]] == ["keep"]
    keep = codecommit.get_folder(repositoryName=name, folderPath="keep")
    assert [f["relativePath"] for f in keep["files"]] == [".gitkeep"]
    with pytest.raises(ClientError) as exc:
        codecommit.get_folder(repositoryName=name, folderPath="drop")
    assert _code(exc) == "FolderDoesNotExistException"


def test_read_errors(codecommit, repo):
    name = repo["repositoryName"]
    with pytest.raises(ClientError) as exc:  # empty repository: no default branch to read
        codecommit.get_file(repositoryName=name, filePath="a")
    assert _code(exc) == "CommitDoesNotExistException"
    head = codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"x", filePath="dir/a")["commitId"]
    for path, code in (("nope", "FileDoesNotExistException"), ("dir", "FileDoesNotExistException"),
                       ("../etc/passwd", "InvalidPathException")):
        with pytest.raises(ClientError) as exc:
            codecommit.get_file(repositoryName=name, filePath=path)
        assert _code(exc) == code, path
    with pytest.raises(ClientError) as exc:
        codecommit.get_file(repositoryName=name, filePath="dir/a", commitSpecifier="no-such-branch")
    assert _code(exc) == "CommitDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.get_commit(repositoryName=name, commitId="a" * 40)
    assert _code(exc) == "CommitIdDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.get_commit(repositoryName=name, commitId="xyz")
    assert _code(exc) == "InvalidCommitIdException"
    assert codecommit.get_commit(repositoryName=name, commitId=head)["commit"]["commitId"] == head


def test_concurrent_writes_on_one_parent_let_exactly_one_win(aws, repo):
    from concurrent.futures import ThreadPoolExecutor

    name = repo["repositoryName"]
    head = aws("codecommit").put_file(repositoryName=name, branchName="main", fileContent=b"0", filePath="n")["commitId"]

    def write(i: int):
        client = aws("codecommit")  # one client per thread
        try:
            return client.put_file(repositoryName=name, branchName="main", fileContent=str(i + 1).encode(),
                                   filePath="n", parentCommitId=head)["commitId"]
        except ClientError as err:
            return err.response["Error"]["Code"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(write, range(4)))
    winners = [r for r in results if len(r) == 40]
    assert len(winners) == 1
    assert sorted(set(results) - set(winners)) == ["ParentCommitIdOutdatedException"]
    assert aws("codecommit").get_branch(repositoryName=name, branchName="main")["branch"]["commitId"] == winners[0]


def test_put_file_keeps_an_existing_files_mode(codecommit, repo):
    name = repo["repositoryName"]
    head = codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"#!/bin/sh\n",
                               filePath="run.sh", fileMode="EXECUTABLE")["commitId"]
    codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"#!/bin/sh\necho 2\n",
                        filePath="run.sh", parentCommitId=head)
    assert codecommit.get_file(repositoryName=name, filePath="run.sh")["fileMode"] == "EXECUTABLE"
