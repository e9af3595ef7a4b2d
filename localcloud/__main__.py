"""`python -m localcloud`: the same as the `localcloud` command."""
from localcloud.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
