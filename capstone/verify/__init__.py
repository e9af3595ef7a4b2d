"""`capstone verify`: conformance of a pipeline built elsewhere (Terraform, CDK, CloudFormation,
a script), read-only.

    profile.py     the profile: a YAML file naming the pipeline (and optionally stages, app URL,
                   alarms, roles), validated field by field
    importers.py   profiles from `terraform output -json`, CloudFormation stack outputs and
                   `cdk deploy --outputs-file`
    readonly.py    the guard that makes read-only structural: every boto3 client verify uses
                   refuses any operation that is not a read before it is sent
    topology.py    discovery: from the pipeline's declaration to its repository, build projects,
                   deployment group, Auto Scaling groups, target groups, load balancers, alarms,
                   roles, artifact bucket, trigger rules and notification topics
    checks.py      the checks: each a MUST sentence with an id, a verdict and its API evidence
    report.py      the evidence of a verify run: JUnit XML, Allure results, audit.json/html

docs/verify.md describes the checks and what each reads.
"""
