"""Moved to localcloud.sts.trust (the check belongs to STS's AssumeRole); kept for the callers
that still import it from here."""
from localcloud.sts.trust import role_trusts, trusts  # noqa: F401
