"""Status values AWS documents, grouped by what a client does with them.

Both the builders (teardown stops what is still running) and the drivers (a wait ends when
nothing more will happen) read these, so they live in neither.

CodeDeploy DeploymentStatus:
https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html
CodePipeline PipelineExecutionStatus:
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineExecution.html
"""
from __future__ import annotations

#: DeploymentStatus values after which a deployment does nothing more
DEPLOYMENT_DONE = frozenset({"Succeeded", "Failed", "Stopped"})
#: DeploymentStatus values of a deployment still under way (ListDeployments includeOnlyStatuses)
DEPLOYMENT_ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
#: PipelineExecutionStatus values after which nothing more happens to an execution
EXECUTION_ENDED = frozenset({"Succeeded", "Failed", "Stopped", "Superseded", "Cancelled"})
