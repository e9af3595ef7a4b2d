"""Drivers: what a developer or an operator does, spoken only in boto3, the git CLI and HTTP.

    push.py         clone, change files, commit, push to main (and revert)
    watch.py        follow the pipeline execution of one commit, stage by stage, with deadlines
    approve.py      take the approval token from GetPipelineState and approve or reject
    probe.py        request the ALB continuously while a deployment may run
    deployments.py  read a CodeDeploy deployment, its rollback and its lifecycle events
    http.py         one GET and the version a page shows
    alarm.py        watch a CloudWatch alarm change state (the ALB's 5XX metric drives it)
    builds.py       a build's log tail and test reports
    fleet.py        Auto Scaling groups, their instances, the target group's view of them
    app.py          changes a developer makes to the sample application
    expect.py       expectations shared by scenarios, phrased as a user checks them
    operator.py     all of the above composed for one environment

Their waits (Backoff, Deadline, WaitTimeout) come from capstone/retry.py, the suite's one
waiting module.

Nothing here imports localcloud: the same code runs against AWS (see capstone/target.py).
"""
