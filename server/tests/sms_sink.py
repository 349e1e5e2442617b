"""A stand-in SMS provider for the tests: accepts POST {"to","body"} as JSON
and saves each as a file in FOLDER. Usage: python3 sms_sink.py PORT FOLDER"""
import http.server
import json
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        message = json.loads(body)
        assert set(message) == {"to", "body"}, message
        name = os.path.join(self.server.folder, f"{time.time_ns()}.json")
        with open(name + ".part", "w") as f:
            json.dump(message, f)
        os.rename(name + ".part", name)
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.folder = folder
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
