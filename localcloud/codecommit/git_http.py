"""Git smart HTTP at /v1/repos/<name>, so the git CLI clones, fetches and pushes for real.

dulwich's WSGI app does the protocol; this module maps the URL to a repository, reports every
ref a push changed (so the push emits the same event an API write does), and keeps AWS's rule
that the default branch cannot be deleted. Offline there is no authentication: git is never
challenged, so it sends no credentials and never prompts; any credentials it does send are
ignored (localcloud listens on 127.0.0.1 only).
"""
from __future__ import annotations

import logging
from typing import Callable

from dulwich.errors import NotGitRepository
from dulwich.repo import Repo
from dulwich.server import DEFAULT_HANDLERS, Backend, ReceivePackHandler
from dulwich.web import make_wsgi_chain

from localcloud.codecommit.models import HEADS, CodeCommitBackend, Repository

log = logging.getLogger("localcloud.codecommit.git")
PREFIX = "/v1/repos/"


class _Backend(Backend):
    def __init__(self, resolve: Callable[[str], Repository | None]):
        self.resolve = resolve

    def repository_for(self, url_path) -> Repository:
        path = url_path.decode() if isinstance(url_path, bytes) else url_path
        name = path[len(PREFIX):].strip("/") if path.startswith(PREFIX) else ""
        repo = self.resolve(name) if name and "/" not in name else None
        if repo is None:
            raise NotGitRepository(f"repository '{name}' not found")
        return repo

    def open_repository(self, path):
        repo = self.repository_for(path)
        return Repo(str(repo.path))  # NotGitRepository if it was deleted a moment ago


def _receive_pack_handler(backend: CodeCommitBackend):
    class CodeCommitReceivePack(ReceivePackHandler):
        """receive-pack that reports ref changes to the CodeCommit backend."""

        def __init__(self, git_backend: _Backend, args, proto, stateless_rpc=False, advertise_refs=False):
            super().__init__(git_backend, args, proto, stateless_rpc=stateless_rpc, advertise_refs=advertise_refs)
            self.repository = git_backend.repository_for(args[0])

        def _on_update(self, ref_name, old_sha, new_sha):
            refused = super()._on_update(ref_name, old_sha, new_sha)
            if refused:
                return refused
            default = self.repository.default_branch
            if default is not None and ref_name == HEADS + default.encode() and new_sha == b"0" * 40:
                return b"the default branch cannot be deleted; set another default branch first"
            return None

        def _on_post_receive(self, client_refs):
            # Only refs whose update succeeded arrive here, in the order the client sent them.
            for old, new, ref in client_refs:
                try:
                    backend.ref_changed(self.repository, ref, old, new)
                except Exception:  # the push itself succeeded; never fail it afterwards
                    log.exception("reporting the push to %s (%s) failed", self.repository.name, ref)
            super()._on_post_receive(client_refs)

    return CodeCommitReceivePack


def make_git_app(backend: CodeCommitBackend, resolve: Callable[[str], Repository | None]):
    handlers = dict(DEFAULT_HANDLERS)
    handlers[b"git-receive-pack"] = _receive_pack_handler(backend)
    chain = make_wsgi_chain(_Backend(resolve), handlers=handlers)

    def app(environ, start_response):
        # werkzeug has already removed the chunked framing (wsgi.input_terminated); dulwich
        # would remove it a second time and read garbage.
        if environ.get("wsgi.input_terminated") and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            del environ["HTTP_TRANSFER_ENCODING"]
            environ.pop("CONTENT_LENGTH", None)
        return chain(environ, start_response)

    return app
