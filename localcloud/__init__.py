"""localcloud: an offline AWS for the capstone pipeline.

moto answers the control plane; localcloud's providers answer the operations that must *run*
something (git, builds, deployments, pipeline executions, the ALB data plane, alarms).
"""
from localcloud.server import LocalCloud

__all__ = ["LocalCloud"]
