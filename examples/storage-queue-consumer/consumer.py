"""One message per run, for a KEDA ScaledJob on a Storage queue (seed 000's queue consumer, secretless).

Receive one message with a visibility timeout, process it while keeping it invisible, store its result, delete it,
exit. A message that can never be processed, or that has been delivered KEDASCALE_MAX_DELIVERY_COUNT times, is parked
on the poison queue with its reason (Storage has no dead-letter queue). A transient failure puts the message back
with a growing delay. SIGTERM lets the message finish within KEDASCALE_GRACE_MS, else puts it back at once.

Exit codes: 0 the message was settled (completed, parked or put back) or the queue stayed empty; 1 the queue could
not be reached or a settle failed (the message reappears when its visibility runs out); 2 bad configuration;
143 stopped by SIGTERM before the message finished (it was put back).
"""
import json
import os
import signal
import sys
import threading
import time
import traceback
from typing import Optional

import config
import work

# Storage messages are at most 64 KiB (Queue service REST API, Put Message); the worker keeps the same margin for the
# framing around the text (consumer/src/broker/park.ts).
MESSAGE_MAX_BYTES = 64 * 1024 - 1024
PREVIEW_BYTES = 2048
# Put-back delays after a failure: 1 s doubling per delivery, at most 60 s (the worker's release backoff's shape).
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1, 60
# Between polls of an empty queue (Storage has no long polling).
POLL_S = (0.05, 0.1, 0.2, 0.4, 0.8)


def log(level: str, msg: str, **fields) -> None:
    print(json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "msg": msg, **fields}), flush=True)


def credential():
    """The pod's Entra identity: workload identity on AKS (the webhook's AZURE_FEDERATED_TOKEN_FILE), else the chain."""
    import azure.identity as identity
    # WorkloadIdentityCredential (azure-identity 1.13.0 and later) reads the webhook's variables. The image's SDK,
    # Debian bookworm's 2023-01 snapshot, predates it: there DefaultAzureCredential's ManagedIdentityCredential
    # exchanges the same projected token (TokenExchangeCredential, picked when the webhook's AZURE_FEDERATED_TOKEN_FILE,
    # AZURE_TENANT_ID and AZURE_AUTHORITY_HOST are set). Without the webhook's variables DefaultAzureCredential falls
    # through to IMDS: the node's identity on AKS, not the workload's.
    if os.environ.get("AZURE_FEDERATED_TOKEN_FILE") and hasattr(identity, "WorkloadIdentityCredential"):
        return identity.WorkloadIdentityCredential()
    return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True)


def clients(cfg: config.Config):
    from azure.storage.queue import ExponentialRetry, QueueClient
    # The SDK's default first retry waits 15 s: too long for a Job that a broken queue should fail quickly.
    retry = dict(retry_policy=ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=3))
    if cfg.connection_string:
        queue = QueueClient.from_connection_string(cfg.connection_string, cfg.queue, **retry)
        poison = QueueClient.from_connection_string(cfg.connection_string, cfg.poison_queue, **retry)
    else:
        url, cred = f"https://{cfg.account}.queue.core.windows.net", credential()
        queue = QueueClient(url, cfg.queue, credential=cred, **retry)
        poison = QueueClient(url, cfg.poison_queue, credential=cred, **retry)
    results = None
    if cfg.writes_results:
        from azure.storage.blob import ContainerClient
        if cfg.results_connection_string:
            results = ContainerClient.from_connection_string(cfg.results_connection_string, cfg.results_container)
        else:
            results = ContainerClient(f"https://{cfg.results_account}.blob.core.windows.net", cfg.results_container, credential=credential())
    return queue, poison, results


class Shutdown:
    """SIGTERM/SIGINT: `stopping` at once (receive nothing more), `abort` when the grace has run out."""

    def __init__(self, grace_s: float):
        self.stopping, self.abort, self.grace_s = threading.Event(), threading.Event(), grace_s
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, _frame):
        if self.stopping.is_set():
            return
        self.stopping.set()
        log("info", "stopping: the message in flight may finish within the grace", signal=signal.Signals(signum).name, graceMs=int(self.grace_s * 1000))
        timer = threading.Timer(self.grace_s, self.abort.set)
        timer.daemon = True
        timer.start()


class Lease:
    """Keeps a received message invisible while it is worked on: Update Message every half visibility window."""

    def __init__(self, queue, message, visibility_s: int):
        self.queue, self.message, self.visibility_s = queue, message, visibility_s
        self.pop_receipt, self.lost = message.pop_receipt, None
        self._lock, self._done = threading.Lock(), threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True)
        self._thread.start()

    def _renew(self):
        while not self._done.wait(max(1, self.visibility_s / 2)):
            with self._lock:
                if self._done.is_set():
                    return
                try:
                    self.pop_receipt = self.queue.update_message(self.message.id, pop_receipt=self.pop_receipt, visibility_timeout=self.visibility_s).pop_receipt
                except Exception as e:  # noqa: BLE001 - logged; the work goes on, a later delete tells
                    self.lost = e
                    log("warn", "could not extend the message's invisibility", messageId=self.message.id, error=str(e))

    def stop(self) -> str:
        """Stops renewing; returns the current pop receipt (Storage changes it on every update)."""
        with self._lock:
            self._done.set()
            return self.pop_receipt


def receive(queue, cfg: config.Config, shutdown: Shutdown):
    deadline = time.monotonic() + cfg.wait_s
    for attempt in range(sys.maxsize):
        message = queue.receive_message(visibility_timeout=cfg.visibility_timeout_s)
        if message is not None or shutdown.stopping.is_set():
            return message
        left = deadline - time.monotonic()
        if left <= 0 or shutdown.stopping.wait(min(POLL_S[min(attempt, len(POLL_S) - 1)], left)):
            return None


def park(cfg, queue, poison, results, message, pop_receipt: str, reason: str, description: str) -> None:
    """Poison queue first, then delete: a crash in between leaves a duplicate parked, never a loss."""
    head = {"reason": reason, "description": description[:1024], "deliveryCount": message.dequeue_count, "brokerId": message.id}
    body = message.content or ""
    parked = json.dumps({**head, "body": body})
    if len(parked.encode()) > MESSAGE_MAX_BYTES:
        # Too big to park whole (JSON escaping grows it): keep the body aside in the results container when there is
        # one (the worker's `_parked/<queue>/<id>`), and park a preview that says where it is.
        extra = {"bodyPreview": body.encode()[:PREVIEW_BYTES].decode(errors="ignore"), "truncated": True, "originalBytes": len(body.encode())}
        if results is not None:
            ref = f"_parked/{cfg.queue}/{message.id}"
            results.upload_blob(ref, body.encode(), overwrite=True)
            extra["bodyRef"] = ref
        else:
            extra["bodyStoreError"] = "no results container configured to keep oversize bodies"
        parked = json.dumps({**head, **extra})
    poison.send_message(parked, time_to_live=-1)
    queue.delete_message(message.id, pop_receipt)
    log("warn", "parked on the poison queue", messageId=message.id, poisonQueue=cfg.poison_queue, reason=reason, description=description[:1024], deliveryCount=message.dequeue_count)


def write_result(results, name: str, content: bytes) -> None:
    """Create-only, as the worker writes (consumer/src/results.ts): a redelivery finds its result and completes."""
    from azure.core.exceptions import ResourceExistsError
    try:
        results.upload_blob(name, content, overwrite=False)
    except ResourceExistsError:
        log("info", "result already written by an earlier delivery", blob=name)


def handle(cfg, queue, poison, results, message, shutdown: Shutdown) -> int:
    # Once received, a message is in flight, SIGTERM or not: it gets the grace (work.run watches `abort`).
    n = message.dequeue_count
    log("info", "received", messageId=message.id, deliveryCount=n)
    if n > cfg.max_delivery_count:
        # A delivery that crashed or was killed each time never reached the failure path below.
        park(cfg, queue, poison, results, message, message.pop_receipt, "MaxDeliveryCountExceeded", f"received {n} times, limit {cfg.max_delivery_count}")
        return 0
    try:
        m = work.parse(message.content or "")
    except work.BadMessage as e:
        park(cfg, queue, poison, results, message, message.pop_receipt, e.reason, e.description)
        return 0
    lease = Lease(queue, message, cfg.visibility_timeout_s)
    try:
        result = work.run(m, n, shutdown.abort, cfg.max_work_s)
        if results is not None:
            write_result(results, work.result_blob_name(m), result)
    except work.Aborted:
        queue.update_message(message.id, pop_receipt=lease.stop(), visibility_timeout=0)
        log("warn", "grace ran out: message put back unfinished", messageId=message.id)
        return 143
    except Exception as e:  # noqa: BLE001 - any failure of the work (a bug too) is retried, never a crash
        pop_receipt = lease.stop()
        error = f"{type(e).__name__}: {e}"
        if n >= cfg.max_delivery_count:
            park(cfg, queue, poison, results, message, pop_receipt, "MaxDeliveryCountExceeded", f"delivery {n} of {cfg.max_delivery_count} failed: {error}")
            return 0
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (n - 1))
        queue.update_message(message.id, pop_receipt=pop_receipt, visibility_timeout=delay)
        log("warn", "work failed: message put back", messageId=message.id, deliveryCount=n, retryInS=delay, error=error,
            trace=None if isinstance(e, work.TransientFailure) else traceback.format_exc(limit=5))
        return 0
    queue.delete_message(message.id, lease.stop())
    log("info", "completed", messageId=message.id, deliveryCount=n)
    return 0


def main(env=os.environ) -> int:
    try:
        cfg = config.load(env)
    except config.ConfigError as e:
        for line in str(e).splitlines():
            log("error", line)
        return 2
    shutdown = Shutdown(cfg.grace_s)
    try:
        queue, poison, results = clients(cfg)
        message = receive(queue, cfg, shutdown)
        if message is None:
            log("info", "no message", queue=cfg.queue, waitedMs=int(cfg.wait_s * 1000))
            return 0
        return handle(cfg, queue, poison, results, message, shutdown)
    except Exception as e:  # noqa: BLE001 - the broker or results store failed: say what, exit non-zero
        log("error", "queue or results store unreachable or refused the call", queue=cfg.queue, error=f"{type(e).__name__}: {e}",
            fix="check the account, the queue's existence and the identity's roles on it (Storage Queue Data Contributor on the queue, Message Sender on the poison queue)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
