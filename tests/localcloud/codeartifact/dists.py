"""Small, real Python distributions for the tests: a wheel and an sdist made as build backends
make them (core metadata 2.1, a RECORD with hashes), so pip installs them and twine reads them."""
from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path


def _metadata(name: str, version: str, summary: str) -> str:
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n"
            "Requires-Python: >=3.8\nLicense: MIT\n")


def _module(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()


def wheel(folder: Path, name: str, version: str, greeting: str | None = None) -> Path:
    """`<module>-<version>-py3-none-any.whl` whose module's GREETING says which version it is."""
    module = _module(name)
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"GREETING = {greeting or f'{name} {version}'!r}\n",
        f"{dist_info}/METADATA": _metadata(name, version, f"{name} for the tests"),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: localcloud-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    out = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return out


def sdist(folder: Path, name: str, version: str) -> Path:
    module = _module(name)
    base = f"{module}-{version}"
    out = folder / f"{base}.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        for path, text in {f"{base}/PKG-INFO": _metadata(name, version, f"{name} for the tests"),
                           f"{base}/{module}/__init__.py": f"GREETING = '{name} {version}'\n"}.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out
