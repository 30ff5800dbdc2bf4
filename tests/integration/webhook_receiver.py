"""A webhook receiver for the delivery tests, run as its own process on a loopback
port: it writes every request it gets to a log (one JSON line, flushed to disk before
it answers) and answers with a chosen status. ``--die-after N`` makes it exit at once,
without answering, when the N-th request has been logged: the moment a test controls.

    python -m tests.integration.webhook_receiver PORT LOG [--die-after N] [--status S]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("log")
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--status", type=int, default=204)
    options = parser.parse_args()
    received = 0

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            nonlocal received
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            line = {name: self.headers.get(name) for name in self.headers}
            line = {k.lower(): v for k, v in line.items()}
            line["body"] = body.decode()
            line["path"] = self.path
            with open(options.log, "a") as log:
                log.write(json.dumps(line) + "\n")
                log.flush()
                os.fsync(log.fileno())
            received += 1
            if options.die_after and received >= options.die_after:
                os._exit(3)  # logged, never answered: the sender must try again
            self.send_response(options.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
