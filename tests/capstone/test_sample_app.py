"""The sample app as CodeBuild and the CodeDeploy agent see it: its tests pass (the build's gate),
its buildspec renders to valid YAML naming the environment's parameter and secret, and its hook
scripts really install, start, validate and stop the app in an instance-runtime directory."""
import os
import shutil
import socket
import subprocess
import sys
import urllib.request

import pytest
import yaml

from capstone.builders import repository
from capstone.builders.context import BuildContext
from capstone.builders.names import Names
from capstone.drivers import packages

SAMPLE_APP = repository.SAMPLE_APP


def vendored(tree):
    """What the build does to the tree before its tests: the internal package installed into
    vendor/ (here from a wheel of the tree's own source instead of from CodeArtifact)."""
    wheel = packages.build_wheel(tree, tree / "dist")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--disable-pip-version-check", "--target", str(tree / "vendor"), str(wheel)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.rmtree(tree / "dist")
    return tree


@pytest.fixture(scope="module")
def revision(tmp_path_factory):
    """The sample app as the build's output artifact has it: vendor/ included."""
    return vendored(shutil.copytree(SAMPLE_APP, tmp_path_factory.mktemp("revision") / "app",
                                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")))


def _ctx():
    return BuildContext(target=None, names=Names.derive("awscicd", "123456789012", "us-east-1"), ledger=None,
                        run_id="r", tags={"k": "v"})


def test_index_names_the_baseline_version():
    assert "awscicd demo app — v2" in (SAMPLE_APP / "index.html").read_text(encoding="utf-8")


def test_app_tests_pass_as_the_build_runs_them(tmp_path):
    work = vendored(repository.render_sample_app(_ctx(), tmp_path / "src"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests", "--junitxml=reports/junit.xml"],
                          cwd=work, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (work / "reports" / "junit.xml").exists()


def test_buildspec_renders_with_the_environment_names(tmp_path):
    work = repository.render_sample_app(_ctx(), tmp_path / "src")
    spec = yaml.safe_load((work / "buildspec.yml").read_text())
    assert spec["version"] == 0.2
    assert spec["env"]["parameter-store"] == {"APP_GREETING": "/capstone/awscicd/demo-app/greeting"}
    assert spec["env"]["secrets-manager"] == {"APP_API_KEY": "awscicd/demo-app/api-key"}
    assert spec["reports"]["pytest_reports"]["file-format"] == "JUNITXML"
    assert "appspec.yml" in spec["artifacts"]["files"]
    assert "vendor/**/*" in spec["artifacts"]["files"]
    install = spec["phases"]["install"]["commands"]
    assert ('aws codeartifact login --tool pip --domain "awscicd-cap-packages" --domain-owner "123456789012" '
            '--repository "awscicd-cap-internal" --region "us-east-1"') in install
    assert install.index(next(c for c in install if "codeartifact login" in c)) < install.index(
        next(c for c in install if "--target vendor -r requirements.txt" in c))


def test_the_package_source_and_the_pin_agree():
    assert packages.source_version(SAMPLE_APP) == packages.required_version(SAMPLE_APP) == "1.0.0"


def test_appspec_version_is_the_number_zero_and_hooks_exist():
    spec = yaml.safe_load((SAMPLE_APP / "appspec.yml").read_text())
    assert spec["version"] == 0.0 and isinstance(spec["version"], float)
    for hook in ("ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService"):
        script = SAMPLE_APP / spec["hooks"][hook][0]["location"]
        assert script.exists() and os.access(script, os.X_OK), script


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def instance(tmp_path):
    """An instance runtime as localcloud's agent makes one: INSTANCE_ROOT + APP_PORT, files: copied."""
    root, port = tmp_path / "instance", _free_port()
    env = {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "INSTANCE_ROOT": str(root),
           "APP_PORT": str(port), "LANG": "C.UTF-8"}

    def hook(name, revision):
        script = revision / "scripts" / name
        return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)

    def install(revision):
        assert hook("before_install.sh", revision).returncode == 0
        shutil.copytree(revision, root / "opt" / "awscicd-demo", dirs_exist_ok=True)
        assert hook("after_install.sh", revision).returncode == 0

    yield hook, install, root, port
    stop = SAMPLE_APP / "scripts" / "application_stop.sh"
    subprocess.run(["bash", str(stop)], env=env, capture_output=True, timeout=30)


def test_hooks_start_validate_and_stop_the_app(instance, revision):
    hook, install, root, port = instance
    install(revision)
    assert hook("application_start.sh", revision).returncode == 0
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
        assert r.status == 200
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
        assert '<p class="greeting">Hello from demo-greeting 1.0.0</p>' in r.read().decode()
    validate = hook("validate_service.sh", revision)
    assert validate.returncode == 0, validate.stderr
    assert hook("application_stop.sh", revision).returncode == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def test_validate_service_fails_at_once_on_a_bad_index_status(instance, revision, tmp_path):
    hook, install, root, port = instance
    revision = shutil.copytree(revision, tmp_path / "bad", ignore=shutil.ignore_patterns("__pycache__"))
    (revision / "app" / "settings.json").write_text('{"index_status": 500, "health_status": 200}')
    install(revision)
    assert hook("application_start.sh", revision).returncode == 0
    validate = hook("validate_service.sh", revision)
    assert validate.returncode != 0 and "answered 500" in validate.stderr
