"""CodeBuild's report group, report and test case operations."""
from __future__ import annotations

import copy

from localcloud.aws import RequestContext
from localcloud.codebuild.models import ReportGroup, now, report_group_arn
from localcloud.codebuild.paging import page, sort_listing
from localcloud.codebuild.shapes import report_group_shape, report_shape, test_case_shape
from localcloud.codebuild.exceptions import InvalidInputException, ResourceAlreadyExistsException, ResourceNotFoundException


class ReportAPI:
    def __init__(self, provider):
        self.backend = provider.backend

    def operations(self) -> dict:
        return {
            "CreateReportGroup": self.create_report_group, "UpdateReportGroup": self.update_report_group,
            "DeleteReportGroup": self.delete_report_group, "ListReportGroups": self.list_report_groups,
            "BatchGetReportGroups": self.batch_get_report_groups,
            "ListReportsForReportGroup": self.list_reports_for_report_group, "ListReports": self.list_reports,
            "BatchGetReports": self.batch_get_reports, "DescribeTestCases": self.describe_test_cases,
            "DeleteReport": self.delete_report,
        }

    # -- report groups ------------------------------------------------------------------------
    def create_report_group(self, params: dict, ctx: RequestContext) -> dict:
        name = params["name"]
        arn = report_group_arn(ctx.region, ctx.account_id, name)
        _check_export(params["exportConfig"])
        with self.backend.lock:
            groups = self.backend.region(ctx.region).report_groups
            if arn in groups:
                raise ResourceAlreadyExistsException(f"Report group {arn} already exists")
            group = groups[arn] = ReportGroup(name=name, arn=arn, type=params["type"],
                                              export_config=copy.deepcopy(params["exportConfig"]),
                                              tags=copy.deepcopy(params.get("tags") or []))
            return {"reportGroup": report_group_shape(group)}

    def update_report_group(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            group = self._group(ctx, params["arn"])
            if params.get("exportConfig") is not None:
                _check_export(params["exportConfig"])
                group.export_config = copy.deepcopy(params["exportConfig"])
            if params.get("tags") is not None:
                group.tags = copy.deepcopy(params["tags"])
            group.last_modified = now()
            return {"reportGroup": report_group_shape(group)}

    def delete_report_group(self, params: dict, ctx: RequestContext) -> dict:
        arn = params["arn"]
        with self.backend.lock:
            store = self.backend.region(ctx.region)
            if arn not in store.report_groups:
                return {}  # deleting what is gone succeeds, as AWS's idempotent deletes do
            reports = [r for r in store.reports.values() if r.report_group_arn == arn]
            if reports and not params.get("deleteReports"):
                # DeleteReportGroup docs: with deleteReports false the group must be empty
                raise InvalidInputException(f"Cannot delete report group {arn}: it still has {len(reports)} report(s); "
                              "delete them first or set deleteReports")
            for report in reports:
                del store.reports[report.arn]
            del store.report_groups[arn]
        return {}

    def list_report_groups(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            groups = sort_listing(self.backend.region(ctx.region).report_groups.values(), params, "CREATED_TIME")
        arns, token = page([g.arn for g in groups], params.get("nextToken"), params.get("maxResults") or 100)
        return {"reportGroups": arns, "nextToken": token}

    def batch_get_report_groups(self, params: dict, ctx: RequestContext) -> dict:
        arns = params["reportGroupArns"]
        if not 1 <= len(arns) <= 100:
            raise InvalidInputException("Number of report group ARNs must be between 1 and 100")
        with self.backend.lock:
            groups = self.backend.region(ctx.region).report_groups
            return {"reportGroups": [report_group_shape(groups[a]) for a in arns if a in groups],
                    "reportGroupsNotFound": [a for a in arns if a not in groups]}

    def _group(self, ctx: RequestContext, arn: str) -> ReportGroup:
        group = self.backend.region(ctx.region).report_groups.get(arn)
        if group is None:
            raise ResourceNotFoundException(f"Report group {arn} does not exist")
        return group

    # -- reports --------------------------------------------------------------------------------
    def list_reports_for_report_group(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            group = self._group(ctx, params["reportGroupArn"])
            reports = [r for r in self.backend.region(ctx.region).reports.values() if r.report_group_arn == group.arn]
        return self._list(reports, params)

    def list_reports(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            reports = list(self.backend.region(ctx.region).reports.values())
        return self._list(reports, params)

    @staticmethod
    def _list(reports: list, params: dict) -> dict:
        wanted = (params.get("filter") or {}).get("status")
        if wanted:
            reports = [r for r in reports if r.status == wanted]
        if params.get("sortOrder", "DESCENDING") == "DESCENDING":
            reports = list(reversed(reports))
        arns, token = page([r.arn for r in reports], params.get("nextToken"), params.get("maxResults") or 100)
        return {"reports": arns, "nextToken": token}

    def batch_get_reports(self, params: dict, ctx: RequestContext) -> dict:
        arns = params["reportArns"]
        if not 1 <= len(arns) <= 100:
            raise InvalidInputException("Number of report ARNs must be between 1 and 100")
        with self.backend.lock:
            reports = self.backend.region(ctx.region).reports
            return {"reports": [report_shape(reports[a]) for a in arns if a in reports],
                    "reportsNotFound": [a for a in arns if a not in reports]}

    def describe_test_cases(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            report = self.backend.region(ctx.region).reports.get(params["reportArn"])
            if report is None:
                raise ResourceNotFoundException(f"Report {params['reportArn']} does not exist")
            cases = list(report.test_cases)
        flt = params.get("filter") or {}
        if flt.get("status"):
            cases = [c for c in cases if c.status == flt["status"]]
        if flt.get("keyword"):
            word = flt["keyword"].lower()
            cases = [c for c in cases if word in (c.name or "").lower() or word in (c.prefix or "").lower()]
        chosen, token = page(cases, params.get("nextToken"), params.get("maxResults") or 50)
        return {"testCases": [test_case_shape(c) for c in chosen], "nextToken": token}

    def delete_report(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            self.backend.region(ctx.region).reports.pop(params["arn"], None)
        return {}


def _check_export(config: dict) -> None:
    kind = config.get("exportConfigType")
    if kind == "S3" and not (config.get("s3Destination") or {}).get("bucket"):
        raise InvalidInputException("Invalid export config: s3Destination.bucket is required when exportConfigType is S3")
