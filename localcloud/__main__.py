"""`python -m localcloud` serves localcloud standalone (same as `capstone cloud`)."""
from capstone.commands.cloud import main

if __name__ == "__main__":
    raise SystemExit(main())
