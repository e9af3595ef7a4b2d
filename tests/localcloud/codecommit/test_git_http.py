"""The smart-HTTP endpoint at the protocol level: what git clients may send besides the basics."""
from __future__ import annotations

import gzip

import pytest
import requests

pytestmark = pytest.mark.integration


def _pkt(line: bytes) -> bytes:
    return b"%04x" % (len(line) + 4) + line


def test_gzip_encoded_upload_pack_request_is_read(codecommit, repo):
    put = codecommit.put_file(repositoryName=repo["repositoryName"], branchName="main",
                              fileContent=b"hello\n", filePath="hello.txt")
    want = put["commitId"].encode()
    body = _pkt(b"want " + want + b" side-band-64k thin-pack ofs-delta\n") + b"0000" + _pkt(b"done\n")
    resp = requests.post(f"{repo['cloneUrlHttp']}/git-upload-pack", data=gzip.compress(body), timeout=10,
                         headers={"Content-Type": "application/x-git-upload-pack-request", "Content-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/x-git-upload-pack-result"
    assert b"PACK" in resp.content   # the pack that carries the commit


def test_unknown_repository_is_a_404(localcloud):
    resp = requests.get(f"{localcloud.url}/v1/repos/no-such-repo/info/refs?service=git-receive-pack", timeout=10)
    assert resp.status_code == 404
    assert b"not found" in resp.content


def test_refs_advertise_the_default_branch(codecommit, repo):
    codecommit.put_file(repositoryName=repo["repositoryName"], branchName="trunk",
                        fileContent=b"x", filePath="x.txt")
    resp = requests.get(f"{repo['cloneUrlHttp']}/info/refs?service=git-upload-pack", timeout=10)
    assert resp.status_code == 200
    assert b"symref=HEAD:refs/heads/trunk" in resp.content
