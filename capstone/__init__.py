"""capstone: the conformance suite's library (builders, drivers, evidence) and its CLI."""
__version__ = "0.1.0"
