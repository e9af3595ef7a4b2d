"""Which resources a leak check claims for one environment, when sibling environments (xdist
workers of the same run, same account) are alive beside it."""
from capstone.builders.context import TAG_PREFIX, TAG_RUN_ID
from capstone.leaks import Found, _matches


def test_a_sibling_workers_resource_sharing_the_run_id_is_not_ours():
    sibling_green = Found("autoscaling:group", "CodeDeploy_cap-1-gw1-cap-dg_d-ABCDEFGHI",
                          tags={TAG_PREFIX: "cap-1-gw1", TAG_RUN_ID: "run-1"})
    assert not _matches(sibling_green, "cap-1-gw0", "run-1")
    assert _matches(sibling_green, "cap-1-gw1", "run-1")


def test_the_run_id_claims_only_what_carries_no_prefix_tag():
    untagged_prefix = Found("ec2:instance", "i-0123", tags={TAG_RUN_ID: "run-1"})
    assert _matches(untagged_prefix, "cap-1-gw0", "run-1")
    assert not _matches(untagged_prefix, "cap-1-gw0", "run-2")


def test_a_name_under_the_prefix_is_ours_whatever_its_tags():
    assert _matches(Found("s3:bucket", "cap-1-gw0-artifacts"), "cap-1-gw0", None)
