"""Root conftest: the suite's pytest wiring lives in fixtures/ (the layers: docs/architecture.md)."""
pytest_plugins = [
    "fixtures.options",
    "fixtures.cloud",
    "fixtures.evidence",
    "fixtures.scenario",
    "fixtures.lifecycle",
    "fixtures.environment",
]
