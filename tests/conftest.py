"""The project's own tests run on the suite's localcloud (fixtures/cloud.py) with its IAM
propagation delay off: they create a role and use it at once to test something else, which on
AWS would need a retry they are not about. The delay itself is tested with its own clouds
(tests/localcloud/iam/test_propagation.py, marked `iam_propagation` to keep it), and the e2e
scenarios keep it on."""
import pytest


@pytest.fixture(autouse=True)
def _iam_changes_seen_at_once(request):
    if "localcloud" not in request.fixturenames or request.node.get_closest_marker("iam_propagation"):
        yield
        return
    iam = request.getfixturevalue("localcloud").settings.iam
    saved, iam.propagation_delay = iam.propagation_delay, 0.0
    yield
    iam.propagation_delay = saved
