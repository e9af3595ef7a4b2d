"""The target seam: the only place that knows local from aws."""
import pytest

from capstone.target import Target, TargetError


def test_alb_is_reached_through_the_endpoint_by_host_header_offline():
    t = Target("local", "us-east-1", "http://127.0.0.1:4566/")
    assert t.alb_url("x-cap-alb-1.us-east-1.elb.amazonaws.com", "/health") == (
        "http://127.0.0.1:4566/health", {"Host": "x-cap-alb-1.us-east-1.elb.amazonaws.com"})


def test_alb_is_reached_by_its_dns_name_live():
    t = Target("aws", "eu-west-1")
    assert t.alb_url("x.eu-west-1.elb.amazonaws.com") == ("http://x.eu-west-1.elb.amazonaws.com/", {})


def _git_config(env):
    return [(env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"]) for i in range(int(env["GIT_CONFIG_COUNT"]))]


def test_git_never_prompts_and_uses_the_aws_cli_helper_live(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    env = Target("aws", "us-east-1").git_env()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    config = _git_config(env)
    assert ("credential.helper", "!aws codecommit credential-helper $@") in config
    assert ("credential.UseHttpPath", "true") in config


def test_git_offline_answers_a_dummy_credential():
    config = _git_config(Target("local", "us-east-1", "http://127.0.0.1:1").git_env())
    assert not any("codecommit credential-helper" in v for _, v in config)
    assert any("password=" in v for k, v in config if k == "credential.helper")


@pytest.mark.parametrize("args, message", [
    (("gcp",), "unknown target"),
    (("aws", "mars-1"), "unknown region"),
    (("local", "us-east-1"), "needs a localcloud endpoint"),
    (("aws", "us-east-1", "ftp://x"), "http(s) URL"),
])
def test_bad_target_settings_are_refused(args, message):
    with pytest.raises(TargetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Target(*args)


def test_aws_without_credentials_fails_before_anything(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(TargetError, match="needs AWS credentials"):
        Target("aws", "us-east-1").check()
