"""Drivers: what a developer or an operator does, spoken only in boto3, the git CLI and HTTP.

    push.py         clone, change files, commit, push to main (and revert)
    watch.py        follow the pipeline execution of one commit, stage by stage, with deadlines
    approve.py      take the approval token from GetPipelineState and approve or reject
    probe.py        request the ALB continuously while a deployment may run
    deployments.py  read a CodeDeploy deployment, its rollback and its lifecycle events
    http.py         one GET and the version a page shows
    polling.py      adaptive polling with a deadline

Nothing here imports localcloud: the same code runs against AWS (see capstone/target.py).
"""
