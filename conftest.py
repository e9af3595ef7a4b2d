"""Root conftest: the suite's pytest wiring lives in fixtures/ (see DESIGN.md layers)."""
pytest_plugins = [
    "fixtures.options",
    "fixtures.cloud",
    "fixtures.evidence",
    "fixtures.scenario",
    "fixtures.lifecycle",
    "fixtures.environment",
]
