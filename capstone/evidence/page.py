"""audit.html: one self-contained page (inline CSS and SVG, no script, no network) an auditor can
open from an artifact download."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import jinja2
from markupsafe import Markup

from capstone.evidence import timeline

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conformance audit · {{ run.run_id }} · {{ summary.result }}</title>
<style>
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#212121;background:#fafafa}
header{padding:18px 28px;color:#fff;background:{{ '#2e7d32' if summary.result == 'PASS' else '#c62828' if summary.result == 'FAIL' else '#616161' }}}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0}
main{padding:8px 28px 40px;max-width:1200px}
h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;margin:6px 0} td,th{border:1px solid #e0e0e0;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0} code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace} pre{margin:0;white-space:pre-wrap;word-break:break-all}
.card{background:#fff;border:1px solid #e0e0e0;border-left:6px solid #9e9e9e;border-radius:4px;padding:10px 14px;margin:12px 0}
.v-passed{border-left-color:#2e7d32}.v-failed,.v-error{border-left-color:#c62828}.v-timeout{border-left-color:#ef6c00}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;background:#9e9e9e}
.b-passed,.b-clean,.b-PASS,.b-recorded{background:#2e7d32}.b-failed,.b-error,.b-leaks,.b-incomplete,.b-FAIL{background:#c62828}.b-timeout{background:#ef6c00}
.req{font-size:15px;margin:6px 0} .muted{color:#757575} .mono{font-family:ui-monospace,Menlo,monospace;font-size:12px}
.msg{background:#fff3f3;border:1px solid #f5c6c6;padding:6px;margin:6px 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px} .ok{color:#2e7d32} .bad{color:#c62828}
table.role{background:#fff;margin:10px 0 16px} table.role caption{text-align:left;padding:4px 0}
table.role td{min-width:190px}
svg{background:#fff;border:1px solid #e0e0e0;max-width:100%;height:auto}
</style></head><body>
<header><h1>Conformance audit: {{ summary.result }}</h1>
<p>run {{ run.run_id }} · {{ run.target }}{% if run.region %} · {{ run.region }}{% endif %} ·
{{ summary.scenarios }} scenario(s){% for v, n in summary.verdicts.items() %} · {{ n }} {{ v }}{% endfor %} ·
{{ '%.1f'|format(summary.seconds) }} s · leak check: {{ leak_check.status }}</p></header>
<main>
<h2>Run</h2>
<div class="grid"><table>
<tr><th>Who</th><td>{{ run.user }} on {{ run.host }}</td></tr>
<tr><th>When</th><td>{{ run.started }} → {{ run.finished }}</td></tr>
<tr><th>Target</th><td>{{ run.target }}{% if run.endpoint_url %} ({{ run.endpoint_url }}){% endif %}</td></tr>
<tr><th>Region</th><td>{{ run.region or '—' }}</td></tr>
<tr><th>Account</th><td class="mono">{{ run.account or '—' }}</td></tr>
<tr><th>Prefix</th><td class="mono">{{ run.prefix or '—' }}</td></tr>
<tr><th>Suite</th><td>{{ run.suite_version or '?' }} <span class="mono">{{ run.suite_commit or 'no git commit' }}</span></td></tr>
<tr><th>Python</th><td>{{ run.python }} · {{ run.platform }}</td></tr>
</table><table><tr><th>Dependency</th><th>Version</th></tr>
{% for name, version in run.dependencies.items() %}<tr><td>{{ name }}</td><td class="mono">{{ version }}</td></tr>{% endfor %}
</table></div>

<h2>Timeline</h2>
{% if lanes %}{{ svg|safe }}
<p class="muted">Bars: scenarios by verdict, each pipeline stage per execution (green succeeded, red failed, blue in
progress, grey stopped/superseded), deployments (purple: Ready, waiting to reroute), the version the load balancer
served; diamonds: approvals. Hover for details. Time is seconds since {{ run.started }}.</p>
{% else %}<p class="muted">No timeline events were recorded.</p>{% endif %}

<h2>Scenarios</h2>
{% for sc in scenarios %}
<div class="card v-{{ sc.verdict }}" id="{{ sc.nodeid }}">
<div><span class="badge b-{{ sc.verdict }}">{{ sc.verdict }}</span>
<strong>{{ sc.title }}</strong> <span class="muted mono">{{ sc.nodeid }}</span>
{% if sc.seconds is not none %}<span class="muted"> · {{ '%.2f'|format(sc.seconds) }} s</span>{% endif %}
{% if sc.labels.severity %}<span class="muted"> · severity {{ sc.labels.severity }}</span>{% endif %}
{% if sc.labels.feature %}<span class="muted"> · {{ sc.labels.epic }} / {{ sc.labels.feature }}</span>{% endif %}</div>
<p class="req">{% if sc.requirement %}<strong>Requirement:</strong> {{ sc.requirement }}{% else %}<span class="muted">No requirement stated.</span>{% endif %}</p>
{% if sc.message %}<div class="msg">{% if sc.category %}<strong>{{ sc.category.name }}</strong> ({{ sc.category.kind }})<br>{% endif %}<pre>{{ sc.message }}</pre></div>{% endif %}
{% if sc.facts %}<table><tr><th>Evidence</th><th>Value</th></tr>
{% for k, v in sc.facts.items() %}<tr><td>{{ k }}</td><td>{{ v|fact }}</td></tr>{% endfor %}</table>{% endif %}
{% if sc.steps %}<details><summary>{{ sc.steps|length }} step(s)</summary><table><tr><th>Step</th><th>Status</th><th>Seconds</th></tr>
{% for st in sc.steps %}<tr><td style="padding-left:{{ 8 + 16 * st.depth }}px">{{ st.title }}</td><td>{{ st.status }}</td>
<td>{% if st.stop %}{{ '%.2f'|format(st.stop - st.start) }}{% endif %}</td></tr>{% endfor %}</table></details>{% endif %}
{% if sc.attachments %}<table><tr><th>Attachment</th><th>sha256</th><th>File</th></tr>
{% for a in sc.attachments %}<tr><td>{{ a.name }}</td><td class="mono">{{ a.sha256 }}</td>
<td class="mono">{% if a.verified %}<span class="ok">✓</span> {{ a.file }}{% else %}<span class="muted">not in allure-results</span>{% endif %}</td></tr>{% endfor %}
</table>{% endif %}
</div>
{% else %}<p class="muted">No scenario ran.</p>{% endfor %}
{% if session.facts or session.attachments %}<h3>Session (environment set-up and teardown)</h3>
<table>{% for k, v in session.facts.items() %}<tr><td>{{ k }}</td><td>{{ v|fact }}</td></tr>{% endfor %}
{% for a in session.attachments %}<tr><td>{{ a.name }}</td><td class="mono">{{ a.sha256 }}</td></tr>{% endfor %}</table>{% endif %}

<h2>Leak check: <span class="badge b-{{ leak_check.status|replace(' ', '-') }}">{{ leak_check.status }}</span></h2>
{% if leak_check.leaks %}<table><tr><th>Left behind</th></tr>{% for l in leak_check.leaks %}<tr><td>{{ l|fact }}</td></tr>{% endfor %}</table>
{% elif leak_check.status == 'not run' %}<p class="muted">No leak-check result was recorded for this run.</p>
{% else %}<p class="ok">Nothing with the run's prefix or tags was left.</p>{% endif %}
{% if leak_check.status == 'incomplete' %}<p class="bad">A resource type could not be listed: the check proved nothing for it.</p>{% endif %}
{% if leak_check.checks %}<details><summary>{{ leak_check.checks|length }} check(s)</summary><pre>{{ leak_check.checks|tojson(indent=2) }}</pre></details>{% endif %}

<h2>Least privilege: <span class="badge b-{{ least_privilege.status|replace(' ', '-') }}">{{ least_privilege.status }}</span></h2>
{% if least_privilege.status == 'not run' %}<p class="muted">No least-privilege record: no environment was torn down or kept in this run.</p>
{% else %}<p class="muted">Per role the environment created: the action patterns its identity policies grant (inline
and attached), the actions its sessions were allowed and refused during the run, and the grants no used action
matches. Actions only; resources and conditions are not compared.{% if least_privilege.totals.never_used is not none %}
In all: {{ least_privilege.totals.roles }} role(s), {{ least_privilege.totals.granted }} grant(s),
{{ least_privilege.totals.never_used }} never used, {{ least_privilege.totals.denied }} denied action(s).{% endif %}</p>{% endif %}
{% for e in least_privilege.environments %}
<h3>Environment <span class="mono">{{ e.prefix or '?' }}</span> <span class="muted">(worker {{ e.worker }})</span></h3>
{% if not e.recorded %}<p><strong>Used, never used, denied:</strong> {{ e.note }}.</p>{% endif %}
{% for err in e.errors %}<p class="bad">{{ err }}</p>{% endfor %}
{% for r in e.roles %}<table class="role" id="role-{{ r.role }}">
<caption><strong class="mono">{{ r.role }}</strong>{% if r.trusted_by %} <span class="muted">trusted by {{ r.trusted_by|join(', ') }}</span>{% endif %}
<br><span class="muted">policies: {% for p in r.policies %}{{ p.policy }} ({{ p.kind }}{% if p.never_used is defined and p.never_used is not none %}: {{ p.never_used|length }} of {{ p.granted|length }} never used{% endif %}){% if not loop.last %}; {% endif %}{% else %}none{% endfor %}
{% if r.decisions is not none %} · {{ r.decisions }} decision(s){% endif %}</span></caption>
<tr><th>Granted ({{ r.granted|length }})</th><th>Used{% if r.used is not none %} ({{ r.used|length }}){% endif %}</th>
<th>Never used{% if r.never_used is not none %} ({{ r.never_used|length }}){% endif %}</th><th>Denied{% if r.denied is not none %} ({{ r.denied|length }}){% endif %}</th></tr>
<tr><td class="mono">{% for a in r.granted %}{{ a }}<br>{% endfor %}{% for a in r.not_actions %}all but {{ a }} (NotAction)<br>{% endfor %}</td>
{% if r.used is none %}<td colspan="3" class="muted">{{ r.note }}</td>
{% else %}<td class="mono ok">{% for a in r.used %}{{ a }}<br>{% else %}<span class="bad">none</span>{% endfor %}</td>
<td class="mono">{% for a in r.never_used %}{{ a }}<br>{% else %}<span class="ok">none</span>{% endfor %}</td>
<td class="mono bad">{% for a in r.denied %}{{ a }}<br>{% else %}<span class="muted">none</span>{% endfor %}</td>{% endif %}</tr>
{% if r.used_not_granted %}<tr><td colspan="4" class="bad">Allowed though no Action pattern grants it (the target did not
enforce, or a NotAction grant): <span class="mono">{{ r.used_not_granted|join(', ') }}</span></td></tr>{% endif %}
</table>{% endfor %}
{% endfor %}

<h2>Notifications received ({{ notifications|length }})</h2>
{% if not notifications %}<p class="muted">The run's subscriber received no notification.</p>{% else %}
<p class="muted">What the notifications topic's SQS subscriber received, in arrival order. Approval notices carry their
token on AWS; it is removed here, and the review link is cut before it.</p>
<table><tr><th>Received (s into the run)</th><th>Kind</th><th>Pipeline</th><th>Stage / action or execution</th><th>State / link</th></tr>
{% for n in notifications %}<tr><td class="mono">{% if n.t %}{{ '%.1f'|format(n.t - timeline.start) }}{% endif %}</td><td>{{ n.notice }}</td><td class="mono">{{ n.pipeline }}</td>
<td class="mono">{% if n.notice == 'approval' %}{{ n.stageName }}/{{ n.actionName }}{% else %}{{ n.execution_id }}{% endif %}</td>
<td class="mono">{% if n.notice == 'approval' %}{{ n.approvalReviewLink }}{% else %}{{ n.state }}{% endif %}</td></tr>{% endfor %}
</table>{% endif %}

<h2>Internal packages</h2>
{% if not internal_packages or not (internal_packages.published or internal_packages.consumed) %}<p class="muted">No internal package was published or installed by a watched build in this run.</p>
{% else %}<table><tr><th>Published to CodeArtifact (set-up and scenarios)</th><td class="mono">{{ internal_packages.published|join(', ') }}</td></tr>
<tr><th>Installed by the builds the scenarios watched</th><td class="mono">{{ internal_packages.consumed|join(', ') }}</td></tr></table>{% endif %}

<h2>Ledger</h2>
{% if ledger.resources %}<table><tr><th>#</th><th>Type</th><th>Name</th><th>Id</th><th>Created</th><th>Deleted</th><th>Ledger</th></tr>
{% for r in ledger.resources %}<tr><td>{{ r.seq }}</td><td>{{ r.type }}</td><td class="mono">{{ r.name }}</td><td class="mono">{{ r.id or '' }}</td>
<td class="mono">{{ r.created_at }}</td><td class="mono {{ '' if r.deleted_at else 'bad' }}">{{ r.deleted_at or 'not deleted' }}</td><td class="mono">{{ r.ledger }}</td></tr>{% endfor %}
</table>{% else %}<p class="muted">No ledger was written (no environment was created in this run).</p>{% endif %}

<h2>Estimated cost</h2>
<p>{% if cost.applies %}Estimated cost of this run on AWS: <strong>${{ '%.4f'|format(cost.total_usd) }}</strong>
{% else %}Offline run: no AWS charges. The same run on AWS would cost about <strong>${{ '%.4f'|format(cost.total_usd) }}</strong>{% endif %}
<span class="muted">({{ cost.region_prices }}).</span></p>
<table><tr><th>Item</th><th>Quantity</th><th>Unit price (USD)</th><th>USD</th></tr>
{% for l in cost.lines %}<tr><td>{{ l.item }}{% if l.free_tier %} <span class="muted">(free tier: {{ l.free_tier }})</span>{% endif %}</td><td>{{ l.quantity }} {{ l.unit }}</td><td>{{ '%.6f'|format(l.unit_price) }}</td><td>{{ '%.4f'|format(l.usd) }}</td></tr>{% endfor %}
</table><p class="muted">Not estimated: {{ cost.not_estimated|join('; ') }}.</p>

<h2>Files and digests</h2>
<p class="muted">Check with <code>sha256sum -c SHA256SUMS</code> in the run directory or <code>capstone report --run-id {{ run.run_id }} --verify</code>.</p>
<details><summary>{{ files|length }} file(s)</summary><table><tr><th>File</th><th>Bytes</th><th>sha256</th></tr>
{% for f in files %}<tr><td class="mono">{{ f.path }}</td><td>{{ f.bytes }}</td><td class="mono">{{ f.sha256 }}</td></tr>{% endfor %}
</table></details>
<p class="muted">Generated {{ generated }} by capstone evidence. Secrets, credentials and approval tokens are masked (***); account ids show their last four digits.</p>
</main></body></html>
"""


def _fact(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(map(str, value))
    if isinstance(value, (dict, list)):
        compact = json.dumps(value, default=str)
        if len(compact) <= 110:
            return Markup('<span class="mono">{}</span>').format(compact)
        return Markup("<pre>{}</pre>").format(json.dumps(value, indent=1, default=str))
    return value


def render(audit: dict[str, Any]) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    env.filters["fact"] = _fact
    tl = audit["timeline"]
    lanes = timeline.lanes(tl["events"], audit["scenarios"], tl["end"])
    return env.from_string(TEMPLATE).render(
        **audit, lanes=lanes, svg=timeline.svg(lanes, tl["start"], tl["end"]) if lanes else "",
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"))
