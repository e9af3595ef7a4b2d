"""The pieces on their own: buildspec parsing, the shell session, file selection, report parsing, masking."""
from __future__ import annotations

import threading
import time

import pytest

from localcloud.codebuild import artifacts, buildspec, reports
from localcloud.codebuild.buildspec import BuildspecError, FileSelection
from localcloud.codebuild.envvars import split_secret_reference
from localcloud.codebuild.logs import Masker, agent_line
from localcloud.codebuild.shell import Interrupted, ShellSession
from localcloud.processes import clean_env


# -- buildspec -----------------------------------------------------------------------------------
def test_buildspec_full_shape():
    spec = buildspec.parse("""version: 0.2
env:
  shell: /bin/sh
  variables: {A: 1, B: "two"}
  parameter-store: {P: /x/y}
  secrets-manager: {S: "id:key"}
  exported-variables: [A]
phases:
  install:
    runtime-versions: {python: 3.11}
  build:
    on-failure: CONTINUE
    commands: [echo a, 'echo b: c']
    finally: [echo f]
reports:
  r1: {files: [junit.xml], base-directory: reports}
artifacts:
  files: ['**/*']
  discard-paths: yes
  secondary-artifacts:
    Extra: {files: [x.txt]}
""")
    assert spec.version == "0.2" and spec.shell == "sh" and spec.one_shell
    assert spec.variables == {"A": "1", "B": "two"} and spec.parameter_store == {"P": "/x/y"}
    assert spec.phases["build"].commands == ["echo a", "echo b: c"]
    assert spec.phases["build"].finally_commands == ["echo f"] and spec.phases["build"].on_failure == "CONTINUE"
    assert spec.phases["install"].runtime_versions == {"python": 3.11}
    assert spec.reports["r1"].file_format == "JUNITXML" and spec.reports["r1"].base_directory == "reports"
    assert spec.artifacts.discard_paths is True and spec.secondary_artifacts["Extra"].files == ["x.txt"]


@pytest.mark.parametrize("text, message", [
    ("phases: {}", "`version` is not specified"),
    ("version: 0.3", "invalid buildspec `version` specified: 0.3"),
    ("version: 0.2\nphases:\n  prebuild:\n    commands: [x]", "Invalid buildspec phase name: prebuild."),
    ("version: 0.2\nphases:\n  build:\n    on-failure: MAYBE\n    commands: [x]", "invalid on-failure value 'MAYBE'"),
    ("version: 0.2\nphases:\n  build:\n    commands:\n      - key: value", "Expected phases/build/commands[0] to be of string type"),
    ("version: 0.2\nphases:\n  build: {}", "Phase build is missing required commands"),
    ("version: 0.2\nenv:\n  shell: zsh", "invalid shell 'zsh'"),
    ("version: 0.2\nenv:\n  exported-variables: [AWS_X]", "AWS_X"),
    ("version: 0.2\nreports:\n  r: {files: [a], file-format: PDF}", "invalid file-format PDF"),
    ("version: 0.2\nartifacts:\n  name: x", "artifacts is missing required files"),
    ("- just\n- a list", "YAML file does not contain a buildspec"),
    ("version: 0.2\n\tphases:", "at line"),
])
def test_buildspec_errors_name_the_problem(text, message):
    with pytest.raises(BuildspecError) as err:
        buildspec.parse(text)
    assert message in str(err.value)


def test_version_0_1_is_accepted_with_a_shell_per_command():
    assert buildspec.parse("version: 0.1\nphases:\n  build:\n    commands: [x]").one_shell is False


# -- shell session -------------------------------------------------------------------------------
@pytest.fixture()
def session(tmp_path):
    lines: list[str] = []
    shell = ShellSession(shell="bash", env=clean_env(), cwd=tmp_path, owner=f"test-cb-unit/{time.time_ns()}",
                         script_dir=tmp_path, on_output=lines.append)
    yield shell, lines
    shell.close()


def test_shell_keeps_state_and_reads_statuses_exactly(session, tmp_path):
    shell, lines = session
    never = threading.Event()
    run = lambda cmd: shell.run(cmd, deadline=None, cancelled=never)  # noqa: E731
    assert run("mkdir sub && cd sub && export X=1") == 0
    assert run("basename $(pwd); echo X=$X") == 0
    assert run("printf 'no newline'") == 0
    assert run("(exit 7)") == 7
    assert run("echo fake sentinel LCB0000:1 0; false") == 1
    assert run("cat") == 0  # stdin is /dev/null: it cannot swallow the next command
    assert run("exit 4") == 4  # ends the shell: only this command fails, a new shell takes over
    assert run("echo still-here") == 0
    assert lines[:3] == ["sub", "X=1", "no newline"]
    assert "fake sentinel LCB0000:1 0" in lines and lines[-1] == "still-here"


def test_shell_interrupts_on_deadline_and_on_stop(session):
    shell, _ = session
    with pytest.raises(Interrupted) as err:
        shell.run("sleep 5", deadline=time.monotonic() + 0.2, cancelled=threading.Event())
    assert err.value.reason == "TIMED_OUT"
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    with pytest.raises(Interrupted) as err:
        shell.run("sleep 5", deadline=None, cancelled=stop)
    assert err.value.reason == "STOPPED"


# -- file selection (build-spec-ref's examples) -----------------------------------------------------
@pytest.fixture()
def tree(tmp_path):
    for rel in ("my-build-1/my-file-1.txt", "my-build-2/my-file-2.txt", "my-build-2/my-subdirectory/my-file-3.txt",
                "com/mycompany/app/HelloWorld.java", "top.txt"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    return tmp_path


def _names(tree, **kwargs) -> list[str]:
    return sorted(s.name for s in artifacts.select(tree, FileSelection(**kwargs), lambda _m: None))


def test_selection_follows_the_documented_examples(tree):
    # base-directory my-build-2 with '*/my-file-3.txt' -> my-subdirectory/my-file-3.txt
    assert _names(tree, files=["*/my-file-3.txt"], base_directory="my-build-2") == ["my-subdirectory/my-file-3.txt"]
    # '**/*' with base-directory 'my-build*' and discard-paths -> three flat files
    assert _names(tree, files=["**/*"], base_directory="my-build*", discard_paths=True) == [
        "my-file-1.txt", "my-file-2.txt", "my-file-3.txt"]
    # discard-paths flattens com/mycompany/app/HelloWorld.java
    assert _names(tree, files=["com/**/*"], discard_paths=True) == ["HelloWorld.java"]
    assert _names(tree, files=["*.txt"]) == ["top.txt"]
    assert _names(tree, files=["**/*.txt"], exclude_paths=["my-build-2/**/*"]) == ["my-build-1/my-file-1.txt", "top.txt"]
    assert _names(tree, files=["nothing/*"]) == []


# -- reports -------------------------------------------------------------------------------------
JUNIT = b"""<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="t.m" name="ok" time="0.5"/>
<testcase classname="t.m" name="bad" time="0.1"><failure message="boom">trace</failure></testcase>
<testcase classname="t.m" name="err"><error message="e"/></testcase>
<testcase classname="t.m" name="skip"><skipped/></testcase></testsuite></testsuites>"""


def test_junit_cases_and_statuses():
    cases = reports.parse_tests("JUNITXML", JUNIT)
    assert [(c.name, c.status) for c in cases] == [("ok", "SUCCEEDED"), ("bad", "FAILED"), ("err", "ERROR"), ("skip", "SKIPPED")]
    assert cases[0].duration_ns == 500_000_000 and cases[1].message == "boom\ntrace" and cases[0].suite == "pytest"
    with pytest.raises(reports.ReportFormatError):
        reports.parse_tests("JUNITXML", b"<not-closed")


def test_other_formats_and_truncation():
    cucumber = b'[{"name":"F","elements":[{"name":"S1","steps":[{"result":{"status":"passed","duration":5}}]},' \
               b'{"name":"S2","steps":[{"result":{"status":"failed","error_message":"x"}}]}]}]'
    assert [c.status for c in reports.parse_tests("CUCUMBERJSON", cucumber)] == ["SUCCEEDED", "FAILED"]
    testng = b'<testng-results><suite><test><class name="C"><test-method name="m" status="FAIL" duration-ms="3"/>' \
             b'</class></test></suite></testng-results>'
    assert [(c.prefix, c.status) for c in reports.parse_tests("TESTNGXML", testng)] == [("C", "FAILED")]
    cobertura = b'<coverage lines-covered="3" lines-valid="4" branches-covered="1" branches-valid="2"/>'
    assert reports.parse_coverage("COBERTURAXML", cobertura)["lineCoveragePercentage"] == 75.0
    many = [reports.ParsedCase("p", str(i), "SUCCEEDED" if i else "FAILED", 0, None, None) for i in range(600)]
    kept, truncated = reports.keep_cases(many[::-1])
    assert truncated and len(kept) == 500 and kept[0].status == "FAILED"


# -- masking and references ------------------------------------------------------------------------
def test_masker_hides_secrets_and_access_keys_but_not_plain_text():
    mask = Masker()
    mask.add("hunter2")
    mask.add("line-one\nline-two")
    assert mask("pw=hunter2 key=AKIAIOSFODNN7EXAMPLE plain=visible") == "pw=*** key=*** plain=visible"
    assert mask("got line-two") == "got ***"
    assert agent_line("x", 0).startswith("[Container] 1970/01/01 00:00:00.000000 x")


def test_secret_references_split_like_codebuild():
    assert split_secret_reference("my-secret") == ("my-secret", None, None, None)
    assert split_secret_reference("my-secret:password:AWSPREVIOUS") == ("my-secret", "password", "AWSPREVIOUS", None)
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    assert split_secret_reference(f"{arn}:user::v-1") == (arn, "user", None, "v-1")
