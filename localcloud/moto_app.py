"""moto's server application, configured for the capstone's control plane.

moto keeps its state in module globals, so there is one moto (and so one LocalCloud) per process;
the suite runs one per pytest-xdist worker process.
"""
from __future__ import annotations

import os

# AWS-managed policies (AWSCodeDeployRole, ...) must be attachable; moto only loads them when
# this is set before its IAM backend is first created.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
# Instances launched by Auto Scaling must start running at once, as EC2 reports them.
os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")


def create_moto_app():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    def backend_app(service):
        # moto builds each service's app on its first request: the moment to patch a service
        # whose moto module is too costly to import up front
        if service == "cloudformation":
            from localcloud.cloudformation import owned_resources

            owned_resources.install()
        return create_backend_app(service)

    return DomainDispatcherApplication(backend_app)


def reset_moto() -> None:
    from moto.backends import get_backend  # noqa: F401  (import side effect: registry ready)
    from moto.core.models import base_decorator  # noqa: F401
    from moto.moto_api import _internal

    _internal.moto_api_backend.reset()
