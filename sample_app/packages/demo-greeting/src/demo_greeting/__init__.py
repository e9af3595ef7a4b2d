"""The greeting the demo app's page shows. Its version is the package's (pyproject.toml reads it
from here), so a new version of the package renders a new greeting."""

__version__ = "1.0.0"


def greeting() -> str:
    return f"Hello from demo-greeting {__version__}"
