"""The ledger: every resource is written down BEFORE it is created, and marked when deleted.

One file per environment: `reports/<run-id>/ledger.json`, or `ledger-<worker>.json` under
pytest-xdist (one environment per worker). A crash — even `kill -9` — between "recorded" and
"created" leaves an entry whose delete is a harmless NotFound, never an orphan nobody knows
about; `capstone down --run-id ID` replays every ledger of the run in reverse.

    {"run_id", "prefix", "worker", "target", "region", "endpoint_url", "embedded", "created_at",
     ["authorizations_since"], ["localcloud_token"],
     "resources": [{"seq", "type", "name", "id", "arn", "region", "builder", "created_at",
                    "deleted_at", "attrs": {...}}]}

`authorizations_since`: the target's authorization-log sequence number when the environment
began (offline only), so the audit's least-privilege section reads only this environment's
decisions (capstone/environment.py).

`created_at` is when the entry was recorded (the create call follows at once); `deleted_at`
is null until the resource is confirmed gone. Written atomically (temp file + rename).
"""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from capstone import run as run_identity


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class LedgerError(Exception):
    pass


def ledger_path(run_id: str | None = None, worker: str | None = None) -> Path:
    worker = worker or run_identity.worker_id()
    base = run_identity.reports_root() / (run_id or run_identity.run_id())
    return base / ("ledger.json" if worker == "main" else f"ledger-{worker}.json")


def find(run_id: str) -> list[Path]:
    """Every ledger of a run (one per environment)."""
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise LedgerError(f"invalid run id {run_id!r}")
    base = run_identity.reports_root() / run_id
    paths = sorted(base.glob("ledger*.json")) if base.is_dir() else []
    if not paths:
        known = sorted(p.parent.name for p in run_identity.reports_root().glob("*/ledger*.json"))
        hint = f" Known runs with a ledger: {', '.join(known[-5:])}." if known else ""
        raise LedgerError(f"no ledger for run id {run_id!r} under {base}/.{hint}")
    return paths


class Ledger:
    def __init__(self, path: Path, data: dict[str, Any]):
        self.path = Path(path)
        self.data = data
        self._lock = threading.RLock()

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def create(cls, *, run_id: str, prefix: str, target: str, region: str, endpoint_url: str | None,
               embedded: bool = False, path: Path | None = None, worker: str | None = None,
               extra: dict[str, Any] | None = None) -> "Ledger":
        worker = worker or run_identity.worker_id()
        path = path or ledger_path(run_id, worker)
        if path.exists():
            existing = cls.load(path)
            if existing.data.get("prefix") == prefix and existing.pending():
                raise LedgerError(f"{path} already records live resources of prefix {prefix!r}: "
                                  f"run `capstone down --run-id {run_id}` first")
        data = {"run_id": run_id, "prefix": prefix, "worker": worker, "target": target, "region": region,
                "endpoint_url": endpoint_url, "embedded": embedded, "created_at": now_iso(), **(extra or {}),
                "resources": []}
        ledger = cls(path, data)
        ledger.save()
        return ledger

    @classmethod
    def load(cls, path: Path) -> "Ledger":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise LedgerError(f"cannot read ledger {path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
            raise LedgerError(f"{path} is not a capstone ledger")
        return cls(Path(path), data)

    # -- recording --------------------------------------------------------------------------
    def record(self, type_: str, name: str, *, builder: str, region: str | None = None, **attrs: Any) -> dict:
        """Write the entry to disk, then return it: call this BEFORE the create call."""
        with self._lock:
            entry = {"seq": len(self.data["resources"]) + 1, "type": type_, "name": name, "id": None, "arn": None,
                     "region": region or self.data["region"], "builder": builder, "created_at": now_iso(),
                     "deleted_at": None, "attrs": attrs}
            self.data["resources"].append(entry)
            self.save()
            return entry

    def update(self, entry: dict, **fields: Any) -> None:
        """Add what the create call returned (id, arn, attrs...)."""
        with self._lock:
            attrs = fields.pop("attrs", None)
            entry.update({k: v for k, v in fields.items() if v is not None})
            if attrs:
                entry["attrs"].update(attrs)
            self.save()

    def mark_deleted(self, entry: dict) -> None:
        with self._lock:
            entry["deleted_at"] = now_iso()
            self.save()

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(self.data, indent=2))
            os.replace(tmp, self.path)

    # -- reading ----------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self.data["run_id"]

    @property
    def prefix(self) -> str:
        return self.data["prefix"]

    @property
    def resources(self) -> list[dict]:
        return self.data["resources"]

    def pending(self) -> list[dict]:
        """Entries not yet deleted, newest first (the order teardown runs in)."""
        return [e for e in reversed(self.resources) if not e.get("deleted_at")]

    def __iter__(self) -> Iterator[dict]:
        return iter(self.resources)
