"""`#{namespace.variable}` resolution in action configuration (https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-variables.html).

Namespaces: `codepipeline` (PipelineExecutionId), `variables` (pipeline-level V2 variables) and
each action's `namespace` once that action has succeeded. A reference that cannot be resolved
fails the action (it would otherwise run with a literal `#{...}` in its configuration).
"""
from __future__ import annotations

import re

REFERENCE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_.]+)\}")


class UnresolvedVariable(Exception):
    def __init__(self, reference: str):
        super().__init__(reference)
        self.reference = reference


def resolve_text(text: str, namespaces: dict[str, dict[str, str]]) -> str:
    def substitute(match: re.Match) -> str:
        namespace, key = match.group(1), match.group(2)
        values = namespaces.get(namespace)
        if values is None or key not in values:
            raise UnresolvedVariable(match.group(0))
        return values[key]

    return REFERENCE.sub(substitute, text)


def resolve_configuration(configuration: dict[str, str], namespaces: dict[str, dict[str, str]]) -> dict[str, str]:
    return {key: resolve_text(value, namespaces) for key, value in configuration.items()}
