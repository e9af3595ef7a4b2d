"""Blue/green traffic rerouting per deployment configuration, AWS's table case by case: the
batches each configuration reroutes in, and where it fails."""
from __future__ import annotations

import pytest

from localcloud.codedeploy.rerouting import RerouteFailed, reroute


def run(kind, min_healthy, outcomes):
    """Reroute to len(outcomes) instances, instance i succeeding iff outcomes[i]; the batches seen."""
    seen = []

    def work(batch):
        seen.append(list(batch))
        return [outcomes[i] for i in batch]
    try:
        reroute(list(range(len(outcomes))), work, kind, min_healthy)
        return "Succeeded", seen
    except RerouteFailed:
        return "Failed", seen


@pytest.mark.parametrize("outcomes, result, batches", [
    ([True, True, True], "Succeeded", [[0], [1], [2]]),
    ([False, True, True], "Failed", [[0]]),            # fails at the very first failure
    ([True, False, True], "Failed", [[0], [1]]),
    ([True, True, False], "Succeeded", [[0], [1], [2]]),  # the last failing still succeeds
    ([False, True], "Failed", [[0]]),
    ([True, False], "Succeeded", [[0], [1]]),
])
def test_one_at_a_time(outcomes, result, batches):
    # OneAtATime reports MOST_CONCURRENCY; min_healthy(total) = total - 1
    assert run("MOST_CONCURRENCY", len(outcomes) - 1, outcomes) == (result, batches)


@pytest.mark.parametrize("outcomes, result, batches", [
    ([True] * 4, "Succeeded", [[0, 1], [2, 3]]),        # up to half at a time
    ([False, True, True, True], "Succeeded", [[0, 1], [2, 3]]),
    ([False, False, True, True], "Succeeded", [[0, 1], [2, 3]]),  # exactly half is enough
    ([False, False, False, True], "Failed", [[0, 1], [2, 3]]),
    ([True, True, True, True, True, False, False, False, False], "Succeeded", None),  # 9: 4 at a time, needs 5
    ([True, True, True, True, False, False, False, False, False], "Failed", None),
])
def test_half_at_a_time(outcomes, result, batches):
    import math

    got = run("FLEET_PERCENT", math.ceil(len(outcomes) * 50 / 100), outcomes)
    assert got[0] == result
    if batches is not None:
        assert got[1] == batches
    if len(outcomes) == 9:
        assert [len(b) for b in got[1]][0] == 4


@pytest.mark.parametrize("outcomes, result", [
    ([True, True], "Succeeded"), ([False, True], "Succeeded"), ([False, False], "Failed"),
])
def test_all_at_once(outcomes, result):
    status, batches = run("HOST_COUNT", 0, outcomes)
    assert status == result and batches == [[0, 1]]


def test_custom_minimum_fails_as_soon_as_it_is_out_of_reach():
    # HOST_COUNT 6 of 9: up to 3 at a time, needs 6
    status, batches = run("HOST_COUNT", 6, [False, False, True, False, False, True, True, True, True])
    assert status == "Failed" and batches == [[0, 1, 2], [3, 4, 5]]
    assert run("HOST_COUNT", 6, [True] * 6 + [False] * 3)[0] == "Succeeded"
