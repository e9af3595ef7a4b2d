"""The evidence of a verify run, in the suite's layout (reports/<run-id>/):

    junit.xml          one testcase per check: failure for fail, skipped for not applicable
    allure-results/    one Allure result per check, its evidence attached as JSON
    audit.json         kind "verify": the profile, the discovered topology, every verdict, and
                       the read-only record (operations made, none mutating)
    audit.html         the same, as a page
    SHA256SUMS         digests of every file, as the suite's runs have (`capstone report --verify`)

Everything written goes through the suite's Scrubber; the evidence holds names, ARNs and
configuration by structure, never credentials.
"""
from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2

from capstone.evidence import audit as suite_audit
from capstone.evidence.scrub import Scrubber
from capstone.verify.checks import FAIL, NOT_APPLICABLE, PASS, Verdict

SUITE = "capstone verify"


def summary(verdicts: list[Verdict]) -> dict[str, int]:
    return {v: sum(1 for x in verdicts if x.verdict == v) for v in (PASS, FAIL, NOT_APPLICABLE)}


def write_junit(path: Path, pipeline: str, verdicts: list[Verdict], seconds: float) -> None:
    counts = summary(verdicts)
    suite = ET.Element("testsuite", name=SUITE, tests=str(len(verdicts)), failures=str(counts[FAIL]),
                       errors="0", skipped=str(counts[NOT_APPLICABLE]), time=f"{seconds:.3f}")
    for v in verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"verify.{pipeline}", name=f"{v.id} {v.must}", time="0")
        if v.verdict == FAIL:
            ET.SubElement(case, "failure", message=v.message).text = json.dumps(v.evidence, indent=1, default=str)
        elif v.verdict == NOT_APPLICABLE:
            ET.SubElement(case, "skipped", message=v.message)
        else:
            ET.SubElement(case, "system-out").text = v.message
    root = ET.Element("testsuites", name=SUITE)
    root.append(suite)
    ET.indent(root)
    path.write_text(ET.tostring(root, encoding="unicode", xml_declaration=True))


def write_allure(results: Path, pipeline: str, verdicts: list[Verdict], start_ms: int, stop_ms: int,
                 scrubber: Scrubber) -> None:
    from allure_commons.logger import AllureFileLogger
    from allure_commons.model2 import Attachment, Label, Status, StatusDetails, TestResult

    logger = AllureFileLogger(str(results))
    status = {PASS: Status.PASSED, FAIL: Status.FAILED, NOT_APPLICABLE: Status.SKIPPED}
    for v in verdicts:
        source = f"{uuid.uuid4()}-attachment.json"
        logger.report_attached_data(scrubber.text(json.dumps(v.evidence, indent=1, default=str)).encode(), source)
        logger.report_result(TestResult(
            uuid=str(uuid.uuid4()), name=f"{v.id}: {v.must}", fullName=f"verify.{pipeline}.{v.id}",
            historyId=f"verify.{pipeline}.{v.id}", testCaseId=v.id, status=status[v.verdict],
            statusDetails=StatusDetails(message=v.message), start=start_ms, stop=stop_ms,
            labels=[Label(name="suite", value=SUITE), Label(name="parentSuite", value=pipeline),
                    Label(name="feature", value=v.id.split("-")[0])],
            attachments=[Attachment(name="API evidence", source=source, type="application/json")]))


def write(run_dir: Path, *, profile: dict, topology: dict, verdicts: list[Verdict], read_only: dict,
          target: dict, started: float, finished: float, active: dict | None = None) -> dict[str, Any]:
    scrubber = Scrubber()
    run_dir.mkdir(parents=True, exist_ok=True)
    write_junit(run_dir / "junit.xml", profile["pipeline"], verdicts, finished - started)
    write_allure(run_dir / "allure-results", profile["pipeline"], verdicts, int(started * 1000), int(finished * 1000),
                 scrubber)
    counts = summary(verdicts)
    audit = scrubber.data({
        "kind": "verify", "verdict": "PASS" if counts[FAIL] == 0 else "FAIL", "summary": counts,
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(finished - started, 2), "target": target, "profile": profile, "topology": topology,
        "read_only": read_only, "active": active, "checks": [v.as_dict() for v in verdicts]})
    json_path = run_dir / "audit.json"
    json_path.write_text(json.dumps(audit, indent=2, default=str))
    (run_dir / "audit.html").write_text(scrubber.text(render(audit)))
    sums = [f"{suite_audit.sha256(p)}  {p.relative_to(run_dir)}"
            for p in [*suite_audit.evidence_files(run_dir), json_path]]
    (run_dir / suite_audit.SUMS_FILE).write_text("\n".join(sums) + "\n")
    return audit


TEMPLATE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>capstone verify: {{ profile.pipeline }} {{ verdict }}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;
text-align:left;vertical-align:top}.pass{color:#080}.fail{color:#b00;font-weight:bold}.not_applicable{color:#777}
pre{font-size:12px;white-space:pre-wrap;margin:0}</style></head><body><main>
<h1>capstone verify: {{ profile.pipeline }} <span class="{{ 'pass' if verdict == 'PASS' else 'fail' }}">{{ verdict }}</span></h1>
<p>{{ summary.pass }} passed, {{ summary.fail }} failed, {{ summary.not_applicable }} not applicable,
in {{ seconds }} s against {{ target.name }} ({{ target.region }}), {{ started }}.
{{ read_only.operations|length }} distinct read operation(s), {{ read_only.writes|length }} write(s)
{%- if active %} (--allow-changes){% endif %}, {{ read_only.refused|length }} refused.</p>
<h2 id="checks">Checks</h2><table><tr><th>Id</th><th>MUST</th><th>Verdict</th><th>Why / what to change</th></tr>
{% for c in checks %}<tr><td>{{ c.id }}</td><td>{{ c.must }}</td><td class="{{ c.verdict }}">{{ c.verdict }}</td>
<td>{{ c.message }}<details><summary>evidence</summary><pre>{{ c.evidence|tojson(indent=1) }}</pre></details></td></tr>
{% endfor %}</table>
<h2 id="profile">Profile</h2><pre>{{ profile|tojson(indent=1) }}</pre>
<h2 id="topology">Discovered topology</h2><pre>{{ topology|tojson(indent=1) }}</pre>
<h2 id="read-only">Calls made</h2><pre>{{ read_only|tojson(indent=1) }}</pre>
{% if active %}<h2 id="active">Active checks (--allow-changes)</h2><pre>{{ active|tojson(indent=1) }}</pre>{% endif %}
</main></body></html>
"""


def render(audit: dict[str, Any]) -> str:
    return jinja2.Environment(autoescape=True).from_string(TEMPLATE).render(**audit)
