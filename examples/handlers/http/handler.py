"""An HTTP handler for the kedascale worker (`work --handler http`), Python standard library only.

The worker receives, renews locks, retries and parks; this process does only the business logic. Each message comes
as `POST <HANDLER_PATH>`, a CloudEvent in HTTP binary content mode (CloudEvents HTTP binding 1.0, §3.1): the body is
the message body unchanged, its attributes are headers (`ce-id` the broker's message id, also the idempotency key;
`ce-source`, `ce-type`, `ce-time`, `ce-specversion`, `ce-deliverycount`), values percent-encoded (§3.1.3.2).
The answer decides what the worker does with the message (consumer/src/runtime/http.ts):

- 2xx: done, the message is completed;
- 4xx other than 408/429: it can never be processed, the worker parks it with this response's body as the reason;
- 408, 429, 5xx (or no answer): a failure that may pass, the worker retries with a growing backoff (Retry-After is
  honoured).

The business logic here reads kedascale's work message (consumer/src/message.ts): a JSON object with an `id`,
optional `workMs` (simulated work) and `failDeliveries` (fail the first N deliveries: 503). With RESULTS_DIR set it
stores one result file per message, named by `ce-id` and written create-only: a redelivery finds it and answers 200.

GET <HEALTH_PATH> answers 200 once the server takes messages (the worker receives nothing before). On SIGTERM the
server stops accepting connections, finishes the requests in flight, and exits 0.

Environment: PORT (8080), HOST (0.0.0.0: the kubelet's probes come to the pod's IP, not loopback; 127.0.0.1 keeps it
to the pod), HANDLER_PATH (/), HEALTH_PATH (/healthz): the defaults are the worker's --handler-port, --handler-path,
--handler-health-path. RESULTS_DIR (unset: no result files), MAX_WORK_MS (300000).
"""
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

# consumer/src/message.ts ID: ids become file names here, so no '.'/'..', no '/', no trailing dot.
ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,198}[A-Za-z0-9:-])?$")
# Storage message ids are GUIDs, Service Bus ids up to 128 chars: anything else is refused as a file name.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_BODY_BYTES = 1024 * 1024


def log(level: str, msg: str, **fields) -> None:
    print(json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "msg": msg, **fields}), flush=True)


class Reject(Exception):
    """The message can never be processed: 422 with the reason (the worker parks it)."""


class Transient(Exception):
    """A failure that may pass: 503 (the worker retries it later)."""


def process(event_id: str, delivery_count: int, body: bytes, results_dir, max_work_s: float) -> str:
    """The business logic. Returns what was done; raises Reject or Transient."""
    try:
        m = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise Reject(f"NotJson: body is not JSON: {e}") from None
    if not isinstance(m, dict) or not (isinstance(m.get("id"), str) and ID.match(m["id"])):
        raise Reject("SchemaViolation: body must be a JSON object with an id of 1-200 chars of [A-Za-z0-9._:-]")
    work_ms = m.get("workMs", 0)
    fail = m.get("failDeliveries", 0)
    if type(work_ms) is not int or work_ms < 0 or type(fail) is not int or fail < -1:
        raise Reject("SchemaViolation: workMs must be an integer >= 0 and failDeliveries an integer >= -1")
    if fail == -1 or delivery_count <= fail:
        raise Transient(f"simulated failure (failDeliveries={fail}, delivery {delivery_count})")
    time.sleep(min(work_ms / 1000, max_work_s))
    if results_dir is None:
        return "done"
    if not SAFE_NAME.match(event_id):
        raise Reject(f"ce-id {event_id!r} cannot name a result file")
    result = json.dumps({"id": m["id"], "eventId": event_id, "deliveryCount": delivery_count}).encode()
    try:
        # Create-only: at-least-once delivery may bring the same event again; its result is already there.
        fd = os.open(os.path.join(results_dir, f"{event_id}.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return "already done"
    except OSError as e:
        raise Transient(f"cannot write the result: {e}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(result)
    return "done"


class Handler(BaseHTTPRequestHandler):
    server_version = "kedascale-example-handler"
    protocol_version = "HTTP/1.1"  # keep-alive: the worker reuses its connections
    timeout = 30  # an idle keep-alive connection is closed after this long (the worker reconnects)
    busy = False

    def setup(self):
        super().setup()
        self.server.track(self, True)

    def finish(self):
        self.server.track(self, False)
        super().finish()

    def handle_one_request(self):
        try:
            super().handle_one_request()
        finally:
            self.busy = False
            # Stopping: answer what is in flight, then close, so the worker takes no more requests here.
            if self.server.stopping:
                self.close_connection = True

    def answer(self, status: int, text: str, headers=None) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.server.stopping:
            self.send_header("Connection", "close")  # the worker's agent does not reuse this connection
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.busy = True
        if self.path == self.server.health_path:
            self.answer(200, "ok")
        else:
            self.answer(404, "not found")

    def do_POST(self):
        self.busy = True
        if self.path != self.server.handler_path:
            # The body must still be read, or it would be taken for the next request on this connection.
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.answer(404, f"messages are POSTed to {self.server.handler_path}")
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.answer(411, "Content-Length required")
            self.close_connection = True
            return
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True  # the body is not read: this connection cannot carry another request
            self.answer(413, f"body is {length} bytes, over this handler's {MAX_BODY_BYTES}")
            return
        body = self.rfile.read(int(length))
        event_id = unquote(self.headers.get("ce-id") or "")
        if not event_id or self.headers.get("ce-specversion") != "1.0":
            self.answer(400, "not a CloudEvent 1.0 in binary content mode: ce-id and ce-specversion: 1.0 are required")
            return
        try:
            delivery_count = int(self.headers.get("ce-deliverycount") or 1)
        except ValueError:
            delivery_count = 1
        started = time.monotonic()
        try:
            done = process(event_id, delivery_count, body, self.server.results_dir, self.server.max_work_s)
        except Reject as e:
            log("warn", "rejected: the worker parks it", eventId=event_id, reason=str(e))
            self.answer(422, str(e))
            return
        except Transient as e:
            log("warn", "failed: the worker retries it", eventId=event_id, deliveryCount=delivery_count, error=str(e))
            self.answer(503, str(e))
            return
        except Exception as e:  # noqa: BLE001 - a bug is a 500 (retried), never a dead server
            log("error", "handler error", eventId=event_id, error=f"{type(e).__name__}: {e}")
            self.answer(500, f"{type(e).__name__}: {e}")
            return
        log("info", done, eventId=event_id, source=unquote(self.headers.get("ce-source") or ""), deliveryCount=delivery_count,
            ms=int((time.monotonic() - started) * 1000))
        self.answer(200, done)

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature; access logs off (JSON logs above)
        pass


class Server(ThreadingHTTPServer):
    # Request threads are joined on close (server_close): in-flight requests finish before the process exits.
    daemon_threads = False
    block_on_close = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopping, self._conns, self._lock = False, set(), threading.Lock()

    def track(self, handler: Handler, open_: bool) -> None:
        with self._lock:
            (self._conns.add if open_ else self._conns.discard)(handler)

    def drain(self) -> None:
        """Stops taking requests: idle keep-alive connections are closed now, busy ones after their answer."""
        self.stopping = True
        with self._lock:
            idle = [h for h in self._conns if not h.busy]
        for h in idle:
            try:
                h.connection.shutdown(socket.SHUT_RD)  # its readline returns at once: the thread ends
            except OSError:
                pass


def main(env=os.environ) -> int:
    port = env.get("PORT", "8080")
    if not port.isdigit() or not 0 <= int(port) <= 65535:  # 0: any free port (tests)
        log("error", f"PORT={port!r} is not a TCP port: set 1-65535")
        return 2
    server = Server((env.get("HOST", "0.0.0.0"), int(port)), Handler)
    server.handler_path = env.get("HANDLER_PATH", "/")
    server.health_path = env.get("HEALTH_PATH", "/healthz")
    server.results_dir = env.get("RESULTS_DIR") or None
    server.max_work_s = int(env.get("MAX_WORK_MS", "300000")) / 1000

    def stop(signum, _frame):
        log("info", "stopping: no new connections; finishing the requests in flight", signal=signal.Signals(signum).name)
        # shutdown() waits for serve_forever to return: call it off the thread that runs serve_forever (this one).
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("info", "listening", port=server.server_address[1], path=server.handler_path, healthPath=server.health_path)
    server.serve_forever(poll_interval=0.2)
    server.socket.close()  # no new connections from here on (they are refused, not queued)
    server.drain()
    server.server_close()  # joins the request threads: the requests in flight finish first
    log("info", "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
