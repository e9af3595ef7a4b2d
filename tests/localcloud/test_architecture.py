"""The one door between services, checked on the source: a service package of localcloud reaches
another only through that service's `contract.py` (and the typed errors in its `exceptions.py`),
never by importing its internals, by looking a provider up by name, or by a boto3 client
through the router."""
from __future__ import annotations

import ast
import pathlib
import re

import localcloud

ROOT = pathlib.Path(localcloud.__file__).parent
#: packages of shared machinery, like processes.py, which services use directly: not services
SUPPORT_PACKAGES = {"sandbox"}
SERVICES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in SUPPORT_PACKAGES)
DOOR_MODULES = ("contract", "exceptions")
LOOKUPS = re.compile(r"\bcloud\.(provider|providers|client)\b|\bprovider\.clients\b|\brun\.client\(")


def _imports(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "localcloud":  # `from localcloud import fleet`
                yield from (f"localcloud.{alias.name}" for alias in node.names)
            else:
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_services_import_only_each_others_doors():
    offenders = []
    for service in SERVICES:
        for path in (ROOT / service).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if len(parts) < 3 or parts[0] != "localcloud" or parts[1] == service or parts[1] not in SERVICES:
                    continue
                if parts[2] not in DOOR_MODULES:
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert sorted(set(offenders)) == []


def test_no_service_looks_another_up_by_name_or_calls_it_over_http():
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for service in SERVICES for path in (ROOT / service).rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if LOOKUPS.search(line) and not line.lstrip().startswith("#")]
    assert offenders == []
