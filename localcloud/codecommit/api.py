"""CodeCommit operations on repositories, branches and tags (files and commits: files_api.py).

Each handler is `handler(params, ctx) -> output dict`; the router has already validated
`params` against the botocore model (required members, lengths, enums).
"""
from __future__ import annotations

from localcloud.aws import RequestContext
from localcloud.codecommit.models import (
    CodeCommitBackend,
    check_branch_name,
    check_repository_name,
    check_tags,
)
from localcloud.codecommit.paging import page
from localcloud.codecommit.exceptions import BranchDoesNotExistException, BranchNameExistsException, CommitDoesNotExistException, CommitIdRequiredException, DefaultBranchCannotBeDeletedException, InvalidCommitIdException, InvalidSystemTagUsageException, MaximumRepositoryNamesExceededException

LIST_REPOSITORIES_PAGE = 1000
LIST_BRANCHES_PAGE = 100     # UNCONFIRMED: AWS does not document its page size
MAX_BATCH_NAMES = 100        # MaximumRepositoryNamesExceededException: "Currently, this number is 100"


class RepositoryAPI:
    def __init__(self, backend: CodeCommitBackend, base_url):
        self.backend = backend
        self.base_url = base_url  # callable: the endpoint URL is known only once the server listens

    def operations(self) -> dict:
        return {
            "CreateRepository": self.create_repository,
            "GetRepository": self.get_repository,
            "BatchGetRepositories": self.batch_get_repositories,
            "ListRepositories": self.list_repositories,
            "DeleteRepository": self.delete_repository,
            "UpdateRepositoryDescription": self.update_repository_description,
            "GetBranch": self.get_branch,
            "ListBranches": self.list_branches,
            "CreateBranch": self.create_branch,
            "DeleteBranch": self.delete_branch,
            "UpdateDefaultBranch": self.update_default_branch,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    # -- repositories -------------------------------------------------------------------------
    def create_repository(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.create(ctx.region, params["repositoryName"], params.get("repositoryDescription"),
                                   params.get("tags") or {}, params.get("kmsKeyId"))
        return {"repositoryMetadata": repo.metadata(self.base_url())}

    def get_repository(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params.get("repositoryName"))
        return {"repositoryMetadata": repo.metadata(self.base_url())}

    def batch_get_repositories(self, params: dict, ctx: RequestContext) -> dict:
        names = params["repositoryNames"]
        if len(names) > MAX_BATCH_NAMES:
            raise MaximumRepositoryNamesExceededException(f"The maximum number of allowed repository names was exceeded. Currently, this number is {MAX_BATCH_NAMES}.")
        found, missing = [], []
        for name in names:
            check_repository_name(name)
            repo = self.backend.find(ctx.region, name)
            if repo is None:
                missing.append(name)
            else:
                found.append(repo.metadata(self.base_url()))
        return {"repositories": found, "repositoriesNotFound": missing}

    def list_repositories(self, params: dict, ctx: RequestContext) -> dict:
        sort_by = params.get("sortBy") or "repositoryName"
        descending = params.get("order") == "descending"
        repos = self.backend.list(ctx.region)
        key = (lambda r: r.name) if sort_by == "repositoryName" else (lambda r: r.last_modified)
        repos.sort(key=key, reverse=descending)
        chunk, token = page(repos, params.get("nextToken"), LIST_REPOSITORIES_PAGE)
        return {"repositories": [{"repositoryName": r.name, "repositoryId": r.repository_id} for r in chunk],
                "nextToken": token}

    def delete_repository(self, params: dict, ctx: RequestContext) -> dict:
        name = params["repositoryName"]
        check_repository_name(name)
        # AWS: deleting a repository that does not exist succeeds and returns no repositoryId.
        return {"repositoryId": self.backend.delete(ctx.region, name)}

    def update_repository_description(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        repo.description = params.get("repositoryDescription")
        return {}

    # -- branches -----------------------------------------------------------------------------
    def get_branch(self, params: dict, ctx: RequestContext) -> dict:
        # Neither member is required in the model: AWS answers a missing one with its own exception.
        repo = self.backend.get(ctx.region, params.get("repositoryName"))
        branch = params.get("branchName")
        check_branch_name(branch)
        head = repo.branch_head(branch)
        if head is None:
            raise BranchDoesNotExistException(f"Could not find branch {branch} in {repo.name}.")
        return {"branch": {"branchName": branch, "commitId": head}}

    def list_branches(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        names = sorted(repo.branches())
        chunk, token = page(names, params.get("nextToken"), LIST_BRANCHES_PAGE)
        return {"branches": list(chunk), "nextToken": token}

    def create_branch(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        ref = check_branch_name(params["branchName"])
        commit_id = params["commitId"]
        if not commit_id:
            raise CommitIdRequiredException("A commit ID is required.")
        with repo.open() as git:
            if len(commit_id) != 40 or not all(c in "0123456789abcdefABCDEF" for c in commit_id):
                raise InvalidCommitIdException(f"The specified commit ID is not valid: {commit_id!r}")
            commit = repo.commit(git, commit_id.lower())
            if commit is None:
                raise CommitDoesNotExistException(f"The commit {commit_id} does not exist in {repo.name}.")
        if not self.backend.set_ref(repo, ref, None, commit.id):
            raise BranchNameExistsException(f"Branch {params['branchName']} already exists in {repo.name}.")
        return {}

    def delete_branch(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        branch = params["branchName"]
        ref = check_branch_name(branch)
        if branch == repo.default_branch:
            raise DefaultBranchCannotBeDeletedException(f"{branch} is the default branch of {repo.name} and cannot be deleted. "
                           "Set another branch as the default branch first.")
        head = repo.branch_head(branch)
        if head is None:
            return {}  # nothing to delete: AWS returns no deletedBranch
        if not self.backend.set_ref(repo, ref, head.encode(), None):
            raise BranchDoesNotExistException(f"Branch {branch} changed while it was being deleted.")
        return {"deletedBranch": {"branchName": branch, "commitId": head}}

    def update_default_branch(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.get(ctx.region, params["repositoryName"])
        branch = params["defaultBranchName"]
        check_branch_name(branch)
        if repo.branch_head(branch) is None:
            raise BranchDoesNotExistException(f"Could not find branch {branch} in {repo.name}.")
        with repo.lock:
            self.backend.set_default_branch(repo, branch)
        return {}

    # -- tags ---------------------------------------------------------------------------------
    def tag_resource(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.by_arn(params["resourceArn"])
        tags = params["tags"]
        with repo.lock:
            check_tags(tags, repo.tags)
            repo.tags.update(tags)
        return {}

    def untag_resource(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.by_arn(params["resourceArn"])
        keys = params["tagKeys"]
        if any(k.lower().startswith("aws:") for k in keys):
            raise InvalidSystemTagUsageException("The specified tag is not valid. Key names cannot be prefixed with aws:.")
        with repo.lock:
            for key in keys:
                repo.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.by_arn(params["resourceArn"])
        return {"tags": dict(repo.tags)}
