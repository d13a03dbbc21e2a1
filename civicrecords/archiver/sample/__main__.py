"""Run the sample platform in the foreground: ``python -m civicrecords.archiver.sample``.

Prints the base URL (first line, so scripts can read it) and the tokens, then serves until
interrupted. Steer it from another process with the ``/_sample/`` admin endpoints.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from civicrecords.archiver.sample.server import SamplePlatform


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve until SIGINT/SIGTERM, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m civicrecords.archiver.sample",
                                     description="Serve the sample City of Lakeside, MN "
                                     "platform (Mastodon API) on loopback.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--posts", type=int, default=300, help="number of city posts")
    parser.add_argument("--seed", default="1", help="world seed")
    parser.add_argument("--token", default="sample-token-lakeside",
                        help="access token of the city account (the mayor's is TOKEN-mayor)")
    parser.add_argument("--state", choices=("initial", "later"), default="initial")
    args = parser.parse_args(argv)
    seed: int | str = int(args.seed) if args.seed.isdigit() else args.seed
    platform = SamplePlatform(seed=seed, posts=args.posts, token=args.token, host=args.host,
                              port=args.port, state=args.state)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with platform:
        print(platform.base_url, flush=True)
        for token, user in platform.tokens.items():
            print(f"token {user}: {token}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
