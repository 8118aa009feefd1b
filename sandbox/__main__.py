"""`python -m sandbox`: the sandbox server alone, without the project's CLI and settings."""

from __future__ import annotations

import argparse
import logging

from sandbox.runner import run_standalone


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's flood limits")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run_standalone(args.host, args.port, args.limits)


if __name__ == "__main__":
    main()
