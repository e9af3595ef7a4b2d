"""Profiles and importers: what a team writes or its IaC tool prints, validated before any AWS
call, with errors that name the bad field."""
from __future__ import annotations

import json

import pytest

from capstone.verify import importers
from capstone.verify.profile import ProfileError, from_dict, load


def test_a_full_profile(tmp_path):
    path = tmp_path / "verify.yml"
    path.write_text("pipeline: release\nregion: eu-west-1\nstages: {source: Src, approval: Gate}\n"
                    "app_url: https://app.example.com/\nversion_marker: /version.txt\nalarms: [a5xx]\nroles: r1\n")
    profile = load(path)
    assert profile.pipeline == "release" and profile.region == "eu-west-1"
    assert profile.stages == {"source": "Src", "approval": "Gate"}
    assert profile.alarms == ("a5xx",) and profile.roles == ("r1",)
    assert profile.as_dict()["alarms"] == ["a5xx"]


@pytest.mark.parametrize("data, message", [
    ({}, "`pipeline` is required"),
    ({"pipeline": "bad name"}, "is not a pipeline name"),
    ({"pipeline": "p", "regoin": "x"}, "unknown field(s) 'regoin'"),
    ({"pipeline": "p", "region": "Europe"}, "`region` 'Europe' is not a Region name"),
    ({"pipeline": "p", "stages": {"test": "T"}}, "unknown stage role(s) 'test'"),
    ({"pipeline": "p", "stages": ["Source"]}, "`stages` must map"),
    ({"pipeline": "p", "app_url": "app.example.com"}, "`app_url` must be an http(s) URL"),
    ({"pipeline": "p", "app_url": "http://a", "alb": "b"}, "give `app_url` or `alb`, not both"),
    ({"pipeline": "p", "version_marker": "version.txt"}, "must be a path starting with '/'"),
    ({"pipeline": "p", "alarms": [1]}, "`alarms` must be a list of names"),
    (["pipeline"], "a profile is a mapping"),
])
def test_bad_profiles_name_the_field(data, message):
    with pytest.raises(ProfileError) as err:
        from_dict(data)
    assert message in str(err.value)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ProfileError, match="cannot read profile"):
        load(tmp_path / "missing.yml")
    (tmp_path / "bad.yml").write_text("pipeline: [unclosed\n")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load(tmp_path / "bad.yml")


def test_terraform_outputs(tmp_path):
    path = tmp_path / "tf.json"
    path.write_text(json.dumps({"pipeline_name": {"value": "release", "type": "string", "sensitive": False},
                                "alarm_names": {"value": ["a", "b"], "type": ["list", "string"]},
                                "vpc_id": {"value": "vpc-1"}}))
    profile = importers.load("terraform", path)
    assert profile.pipeline == "release" and profile.alarms == ("a", "b")


def test_cloudformation_outputs_in_any_of_their_shapes():
    outputs = [{"OutputKey": "PipelineName", "OutputValue": "release"},
               {"OutputKey": "RollbackAlarms", "OutputValue": "a, b"}]
    for document in (outputs, {"Outputs": outputs}, {"Stacks": [{"StackName": "s", "Outputs": outputs}]}):
        profile = importers.cloudformation(document)
        assert profile.pipeline == "release" and profile.alarms == ("a", "b")
    with pytest.raises(ProfileError, match="2 stacks"):
        importers.cloudformation({"Stacks": [{"Outputs": outputs}, {"Outputs": outputs}]})


def test_cdk_outputs():
    profile = importers.cdk({"ReleaseStack": {"PipelineName": "release", "AppUrl": "https://x.example/"}})
    assert profile.pipeline == "release" and profile.app_url == "https://x.example/"
    with pytest.raises(ProfileError, match="differs between stacks"):
        importers.cdk({"A": {"PipelineName": "one"}, "B": {"PipelineName": "two"}})


def test_importers_say_what_is_missing(tmp_path):
    with pytest.raises(ProfileError, match="add an output called pipeline_name"):
        importers.terraform({"vpc_id": {"value": "vpc-1"}})
    with pytest.raises(ProfileError, match="not the JSON of `terraform output -json`"):
        importers.terraform({"pipeline_name": "release"})
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(ProfileError, match="not JSON"):
        importers.load("cdk", tmp_path / "x.json")
    with pytest.raises(ProfileError, match="unknown import format 'pulumi'"):
        importers.load("pulumi", tmp_path / "x.json")
