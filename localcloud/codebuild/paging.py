"""nextToken pagination and ordering shared by CodeBuild's List* operations."""
from __future__ import annotations

from localcloud import paging


def page(items: list, next_token: str | None, size: int) -> tuple[list, str | None]:
    return paging.page(items, next_token, size, error_code="InvalidInputException",
                       message=f"Invalid next token: {next_token}")


def sort_listing(items, params: dict, default_sort: str) -> list:
    """Order projects or report groups as ListProjects/ListReportGroups do (`sortBy` NAME,
    CREATED_TIME or LAST_MODIFIED_TIME; `sortOrder` ASCENDING or DESCENDING)."""
    key = {"NAME": lambda x: x.name, "CREATED_TIME": lambda x: x.created,
           "LAST_MODIFIED_TIME": lambda x: x.last_modified}[params.get("sortBy") or default_sort]
    return sorted(items, key=key, reverse=params.get("sortOrder") == "DESCENDING")
