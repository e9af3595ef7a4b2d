"""The CodeCommit repository, with sample_app/ pushed as its first commit on main (git CLI,
authenticated through the target's seam). Files are copied as they are, except buildspec.yml,
which is rendered with Jinja2: CodeBuild's `parameter-store` and `secrets-manager` keys take
literal names, and those names carry the prefix."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import jinja2
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_incrementing

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "repository"
REPOSITORY = "codecommit:repository"
TYPES = (REPOSITORY,)

SAMPLE_APP = Path(__file__).resolve().parents[2] / "sample_app"
RENDERED = ("buildspec.yml",)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "reports")


def render_sample_app(ctx: BuildContext, dest: Path) -> Path:
    """Copy sample_app/ to `dest`, rendering the files that name environment resources."""
    shutil.copytree(SAMPLE_APP, dest, ignore=IGNORED)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    for rel in RENDERED:
        path = dest / rel
        path.write_text(env.from_string(path.read_text()).render(names=ctx.names))
    return dest


def git(args: list[str], *, cwd: Path, env: dict, timeout: float = 120) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return proc.stdout.strip()


def push_sample_app(ctx: BuildContext, clone_url: str) -> str:
    env = ctx.target.git_env()
    with tempfile.TemporaryDirectory(prefix="capstone-push-") as tmp:
        work = render_sample_app(ctx, Path(tmp) / "repo")
        git(["init", "-q", "-b", "main"], cwd=work, env=env)
        git(["add", "-A"], cwd=work, env=env)
        git(["commit", "-q", "-m", "Initial commit: awscicd demo app v2"], cwd=work, env=env)
        commit = git(["rev-parse", "HEAD"], cwd=work, env=env)
        # The repository may take a moment to accept pushes after CreateRepository on AWS.
        for attempt in Retrying(stop=stop_after_attempt(6), wait=wait_incrementing(start=1, increment=1),
                                retry=retry_if_exception_type(RuntimeError), reraise=True):
            with attempt:
                git(["push", "-q", clone_url, "HEAD:refs/heads/main"], cwd=work, env=env)
        return commit


def create(ctx: BuildContext) -> None:
    cc = ctx.client("codecommit")
    n = ctx.names
    entry = ctx.record(REPOSITORY, n.repository, builder=NAME)
    meta = cc.create_repository(repositoryName=n.repository,
                                repositoryDescription=f"capstone {n.prefix}: the demo app the pipeline ships",
                                tags=ctx.tag_map())["repositoryMetadata"]
    ctx.created(entry, id=meta["repositoryId"], arn=meta["Arn"])
    clone_url = meta["cloneUrlHttp"]
    commit = push_sample_app(ctx, clone_url)
    ctx.outputs["repository_clone_url"] = clone_url
    ctx.outputs["initial_commit"] = commit
    ctx.say(f"  pushed sample_app to {n.repository} main ({commit[:8]})")


def delete(ctx: BuildContext, record: dict) -> None:
    try:
        call(ctx.client("codecommit").delete_repository, repositoryName=record["name"],
             what=f"delete repository {record['name']}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
