"""CodeArtifact: the domain and the repository the build installs the app's internal package
from, and that package published into it (built from sample_app/packages/, uploaded with twine)
so the pipeline's first run finds it. Deleting the repository deletes its packages; a domain can
only be deleted once it holds no repository, which the reverse order of teardown guarantees.
Both names carry the prefix, and the domain owner is always the target's account: the suite's
own domain, never a shared one."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.builders.repository import SAMPLE_APP
from capstone.drivers.packages import InternalPackages
from capstone.retry import call, is_not_found

NAME = "codeartifact"
DOMAIN = "codeartifact:domain"
REPOSITORY = "codeartifact:repository"
TYPES = (DOMAIN, REPOSITORY)


def create(ctx: BuildContext) -> None:
    n = ctx.names
    ca = ctx.client("codeartifact")
    entry = ctx.record(DOMAIN, n.codeartifact_domain, builder=NAME)
    domain = ca.create_domain(domain=n.codeartifact_domain, tags=ctx.tag_list_lower())["domain"]
    ctx.created(entry, arn=domain["arn"], attrs={"owner": domain["owner"]})

    entry = ctx.record(REPOSITORY, n.codeartifact_repository, builder=NAME, domain=n.codeartifact_domain)
    repository = ca.create_repository(domain=n.codeartifact_domain, domainOwner=n.account_id,
                                      repository=n.codeartifact_repository,
                                      description=f"capstone {n.prefix}: the demo app's internal packages",
                                      tags=ctx.tag_list_lower())["repository"]
    ctx.created(entry, arn=repository["arn"])

    published = InternalPackages(ctx.target, n, log=ctx.say).publish(SAMPLE_APP)
    # what the cost estimate counts (storage) and the audit lists (the versions published)
    ctx.created(entry, attrs={"published": [published]})
    ctx.outputs["internal_package"] = published


def delete(ctx: BuildContext, record: dict) -> None:
    ca = ctx.client("codeartifact")
    owner = ctx.names.account_id
    name = record["name"]
    try:
        if record["type"] == REPOSITORY:
            domain = (record.get("attrs") or {}).get("domain") or ctx.names.codeartifact_domain
            call(ca.delete_repository, domain=domain, domainOwner=owner, repository=name,
                 what=f"delete CodeArtifact repository {domain}/{name}")
        else:
            call(ca.delete_domain, domain=name, domainOwner=owner, what=f"delete CodeArtifact domain {name}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
