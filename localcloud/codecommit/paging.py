"""CodeCommit's continuation tokens (localcloud/paging.py with CodeCommit's error)."""
from __future__ import annotations

import functools

from localcloud import paging

page = functools.partial(paging.page, error_code="InvalidContinuationTokenException",
                         message="The specified continuation token is not valid.")
