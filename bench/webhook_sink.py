#!/usr/bin/env python3
"""A webhook receiver for benchmarks: answers every POST 204 and counts them.

    python3 bench/webhook_sink.py PORT   (prints the count on SIGTERM)
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = 0


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as presenced's sender expects

    def do_POST(self):
        global received
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    print(f"webhook sink: {received} deliveries", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
