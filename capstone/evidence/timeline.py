"""The run as a picture: lanes of stages, deployments and served versions over time, drawn as an
inline SVG so the audit page needs nothing from the network.

Drivers speak a few event dialects (see capstone/evidence/__init__.py); normalize() folds them
into one: {"kind": "stage"|"deployment"|"traffic"|"approval"|"scenario", "t", "worker", ...}.
"""
from __future__ import annotations

import hashlib
from html import escape
from typing import Any, Iterable

from capstone.evidence.cost import TERMINAL, deployment_runs, stage_runs

STAGE_ORDER = ("Source", "BuildAndTest", "Approval", "DeployBlueGreen")
COLORS = {"Succeeded": "#2e7d32", "passed": "#2e7d32", "Approved": "#2e7d32", "Failed": "#c62828",
          "failed": "#c62828", "error": "#c62828", "timeout": "#ef6c00", "Rejected": "#ef6c00",
          "Stopped": "#757575", "Cancelled": "#757575", "Superseded": "#9e9e9e", "Abandoned": "#9e9e9e",
          "skipped": "#9e9e9e", "InProgress": "#1565c0", "Ready": "#6a1b9a", None: "#1565c0"}
PALETTE = ("#00897b", "#5e35b1", "#f9a825", "#d81b60", "#3949ab", "#7cb342", "#8d6e63", "#00acc1")


def normalize(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for ev in events:
        kind = ev.get("kind")
        if kind == "pipeline" and ev.get("level") == "stage":
            out.append({**ev, "kind": "stage", "stage": ev.get("name"), "status": ev.get("new")})
        elif kind == "deployment" or (kind not in ("step", "scenario") and ev.get("deployment_id") and ev.get("status")):
            # the deployment reader reports transitions as old/new; a deployment CodeDeploy made to
            # roll back another has creator "codeDeployRollback"
            # (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html)
            rollback = ev.get("rollback_of") or (ev.get("creator") == "codeDeployRollback" and "auto") or None
            out.append({**ev, "kind": "deployment", "status": ev.get("status") or ev.get("new"), "rollback_of": rollback})
        elif kind == "approval":
            out.append({**ev, "status": ev.get("status") or ev.get("decision")})
        elif kind == "probe" and isinstance(ev.get("versions"), list):
            out.extend({"kind": "traffic", "t": span["first"], "until": span.get("last"), "version": span.get("version"),
                        "worker": ev.get("worker"), "scenario": ev.get("scenario")}
                       for span in ev["versions"] if isinstance(span, dict) and span.get("first"))
        else:
            out.append(ev)
    return sorted(out, key=lambda e: e.get("t", 0))


def traffic_from_facts(scenarios: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Probe summaries recorded as facts ({"versions": [{"version", "first", "last"}]}) as traffic events."""
    events = []
    for sc in scenarios:
        for value in sc.get("facts", {}).values():
            spans = value.get("versions") if isinstance(value, dict) else None
            for span in spans if isinstance(spans, list) else []:
                if isinstance(span, dict) and span.get("first"):
                    events.append({"kind": "traffic", "t": span["first"], "until": span.get("last"),
                                   "version": span.get("version"),
                                   "worker": sc.get("worker"), "scenario": sc.get("nodeid")})
    return events


def _color(key: Any) -> str:
    if key in COLORS:
        return COLORS[key]
    return PALETTE[int(hashlib.md5(str(key).encode()).hexdigest(), 16) % len(PALETTE)]


def lanes(events: list[dict[str, Any]], scenarios: list[dict[str, Any]], end: float) -> list[dict[str, Any]]:
    """[{"label", "bars": [{"start","stop","color","text","tip"}], "marks": [...]}] per worker."""
    workers = sorted({e.get("worker") or "main" for e in events} | {s.get("worker") or "main" for s in scenarios})
    result = []
    for worker in workers:
        mine = [e for e in events if (e.get("worker") or "main") == worker]
        prefix = f"{worker} · " if len(workers) > 1 else ""
        bars = [{"start": s["start"], "stop": s.get("stop") or end, "color": _color(s.get("verdict")),
                 "text": s["nodeid"].split("::")[-1], "tip": f"{s['nodeid']}: {s.get('verdict')}"}
                for s in scenarios if (s.get("worker") or "main") == worker and s.get("start")]
        result.append({"label": f"{prefix}scenarios", "bars": bars, "marks": []})
        runs = stage_runs(mine)
        names = [n for n in STAGE_ORDER if any(r["stage"] == n for r in runs)]
        names += sorted({r["stage"] for r in runs} - set(names))
        for name in names:
            bars = [{"start": r["start"] or r["stop"], "stop": r["stop"] or end, "color": _color(r["status"]),
                     "text": (r["execution_id"] or "")[:8], "tip": f"{name} {r['execution_id']}: {r['status'] or 'InProgress'}"}
                    for r in runs if r["stage"] == name]
            result.append({"label": f"{prefix}{name}", "bars": bars, "marks": []})
        deps = deployment_runs(mine)
        if deps:
            bars = [{"start": d["start"], "stop": d["stop"] or end, "color": _color(d["status"]),
                     "text": d["deployment_id"] + (" (rollback)" if d.get("rollback_of") else ""),
                     "tip": f"{d['deployment_id']}: {d['status']}" + _rollback_tip(d.get("rollback_of"))} for d in deps]
            result.append({"label": f"{prefix}deployments", "bars": bars, "marks": []})
        traffic = [e for e in mine if e.get("kind") == "traffic"]
        if traffic:
            bars = []
            for i, ev in enumerate(traffic):
                # a probe span says when the version was last seen; a bare event lasts until the next
                stop = traffic[i + 1]["t"] if i + 1 < len(traffic) else (ev.get("until") or end)
                if bars and bars[-1]["text"] == str(ev.get("version")):
                    bars[-1]["stop"] = stop
                    continue
                bars.append({"start": ev["t"], "stop": stop, "color": _color(str(ev.get("version"))),
                             "text": str(ev.get("version")), "tip": f"ALB served {ev.get('version')}"})
            result.append({"label": f"{prefix}traffic", "bars": bars, "marks": []})
        marks = [_mark(e) for e in mine if e.get("kind") in ("push", "approval", "alarm")]
        if marks:
            result.append({"label": f"{prefix}push · approval · alarm", "bars": [], "marks": marks})
    return result


def _rollback_tip(of: str | None) -> str:
    if not of:
        return ""
    return ", automatic rollback" if of == "auto" else f", rolls back {of}"


def _mark(ev: dict[str, Any]) -> dict[str, Any]:
    kind = ev["kind"]
    if kind == "push":
        return {"t": ev["t"], "color": "#1565c0", "tip": f"push {str(ev.get('commit'))[:12]}: {ev.get('message') or ''}"}
    if kind == "approval":
        return {"t": ev["t"], "color": _color(ev.get("status")),
                "tip": f"{ev.get('status')} by {ev.get('by')}: {ev.get('summary') or ''}"}
    state = ev.get("new") or ev.get("action")
    return {"t": ev["t"], "color": "#c62828" if state in ("ALARM", "breach") else "#757575",
            "tip": f"alarm {ev.get('alarm')}: {ev.get('old') or ''} -> {state}" + (
                f" (value {ev['value']})" if ev.get("value") is not None else "")}


def svg(lane_list: list[dict[str, Any]], start: float, end: float, width: int = 1100) -> str:
    label_w, row_h, top = 170, 24, 26
    span = max(end - start, 1e-3)
    plot_w = width - label_w - 40
    height = top + row_h * len(lane_list) + 10

    def x(t: float) -> float:
        return label_w + (min(max(t, start), end) - start) / span * plot_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="run timeline" font-family="sans-serif" font-size="11">']
    step = _tick(span)
    tick = 0.0
    while tick <= span + 1e-9:
        tx = label_w + tick / span * plot_w
        parts.append(f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{height - 6}" stroke="#e0e0e0"/>'
                     f'<text x="{tx:.1f}" y="{top - 10}" text-anchor="middle" fill="#555">+{_fmt(tick)}</text>')
        tick += step
    for row, lane in enumerate(lane_list):
        y = top + row * row_h
        parts.append(f'<text x="4" y="{y + 15}" fill="#222">{escape(lane["label"])}</text>'
                     f'<line x1="{label_w}" y1="{y + row_h - 1}" x2="{width - 10}" y2="{y + row_h - 1}" stroke="#f0f0f0"/>')
        for bar in lane["bars"]:
            x0, x1 = x(bar["start"]), x(bar["stop"])
            w = max(x1 - x0, 2.0)
            parts.append(f'<g><title>{escape(bar["tip"])}</title>'
                         f'<rect x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 7}" rx="3" fill="{bar["color"]}" opacity="0.9"/>')
            if w > 7 * len(bar["text"]) * 0.8:
                parts.append(f'<text x="{x0 + 4:.1f}" y="{y + 15}" fill="#fff">{escape(bar["text"])}</text>')
            parts.append("</g>")
        for mark in lane["marks"]:
            mx, my = x(mark["t"]), y + row_h / 2
            parts.append(f'<g><title>{escape(mark["tip"])}</title><path d="M{mx:.1f} {my - 7:.1f} l7 7 l-7 7 l-7 -7 z" '
                         f'fill="{mark["color"]}"/></g>')
    parts.append("</svg>")
    return "".join(parts)


def _tick(span: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if span / step <= 12:
            return float(step)
    return span / 10


def _fmt(seconds: float) -> str:
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{round(seconds, 2):g}s"


__all__ = ["normalize", "traffic_from_facts", "lanes", "svg", "TERMINAL"]
