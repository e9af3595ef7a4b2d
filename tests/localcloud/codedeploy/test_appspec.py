"""appspec.yml parsing: the agent's rules and messages."""
from __future__ import annotations

import pytest

from localcloud.codedeploy import appspec
from localcloud.codedeploy.appspec import AppSpecError


def test_number_version_is_accepted_with_defaults():
    spec = appspec.parse("version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: s.sh\n")
    assert spec.version == 0.0 and spec.os == "linux"
    assert spec.scripts("ApplicationStart")[0].timeout == 3600
    assert spec.scripts("ValidateService") == []


def test_quoted_version_fails_as_the_agent_fails():
    with pytest.raises(AppSpecError, match=r'invalid version value \(0\.0\).*specifies "0\.0" as the version'):
        appspec.parse('version: "0.0"\nos: linux\n')


@pytest.mark.parametrize("text, message", [
    ("version: 0.0\nos: solaris\n", "unsupported operating system (solaris)"),
    ("version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - timeout: 5\n", "script with no location value"),
    ("version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: a.sh\n      timeout: 0\n", "invalid timeout value"),
    ("version: 0.0\nos: windows\npermissions:\n  - object: /opt/app\n    mode: 755\n", "targeting one or more Windows Server instances"),
    ("version: 0.0\nos: linux\npermissions:\n  - mode: 755\n", "has no object value"),
])
def test_invalid_appspecs_name_what_is_wrong(text, message):
    with pytest.raises(AppSpecError) as err:
        appspec.parse(text)
    assert message in str(err.value)


def test_unknown_and_reserved_hooks_are_reported_in_agent_wording():
    spec = appspec.parse("version: 0.0\nos: linux\nhooks:\n  AfterDeploy:\n    - location: a.sh\n  Install:\n    - location: b.sh\n")
    unknown = appspec.unknown_events(spec)
    assert unknown == ["AfterDeploy", "Install"]
    assert appspec.unknown_events_message(spec, unknown) == 'appspec.yml file contains unknown lifecycle events: ["AfterDeploy", "Install"]'


def test_runas_and_timeout_are_kept():
    spec = appspec.parse("version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: v.sh\n      timeout: 120\n      runas: app\n")
    script = spec.scripts("ValidateService")[0]
    assert (script.location, script.timeout, script.runas) == ("v.sh", 120, "app")


def test_missing_appspec_message(tmp_path):
    with pytest.raises(AppSpecError, match='did not find an AppSpec file within the unpacked revision directory at revision-relative path "appspec.yml"'):
        appspec.load(tmp_path)
    (tmp_path / "appspec.yaml").write_text("version: 0.0\nos: linux\n")
    assert appspec.load(tmp_path).filename == "appspec.yaml"
