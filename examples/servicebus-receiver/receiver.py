"""A Service Bus receiver for a KEDA-scaled Deployment (seed 004's receiver, done right).

Seed 004 read a connection string, registered each message with a second AutoLockRenewer besides the receiver's
own, slept with `time.sleep` inside an asyncio loop (blocking every renewal), and never dead-lettered. Here: the
pod's Entra identity (workload identity), one AutoLockRenewer that renews each message's lock while its work runs,
`complete` only after the work succeeded, dead-letter with a reason for a message that can never be processed,
abandon for a failure that may pass (Service Bus dead-letters it itself after the entity's maxDeliveryCount; on the
last delivery we dead-letter it first, with the error), and on SIGTERM: receive nothing more, let the message in
flight finish within KEDASCALE_GRACE_MS, else abandon it, close, exit.

One message at a time, no prefetch: scale with replicas (KEDA). With `--once` (a ScaledJob's args): one message,
then exit. Exit codes: 0 stopped cleanly (or `--once` done); 1 `--once` and the entity could not be read; 2 bad
configuration; 143 SIGTERM cut a message short (it was abandoned).
"""
import json
import os
import signal
import sys
import threading
import time
from typing import Callable, Optional

import config
import work

# Receive retries after an error: 1 s doubling to 30 s, each failure logged (never a silent outage).
RETRY_FIRST_S, RETRY_MAX_S = 1, 30
# Service Bus keeps at most 4,096 chars of a dead-letter description and 256 of a reason (the worker's limits,
# consumer/src/broker/park.ts).
REASON_CHARS, DESCRIPTION_CHARS = 256, 1024


def log(level: str, msg: str, **fields) -> None:
    print(json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "msg": msg, **fields}, default=str), flush=True)


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


class Shutdown:
    """SIGTERM/SIGINT: `stopping` at once (receive nothing more), `abort` when the grace has run out."""

    def __init__(self, grace_s: float):
        self.stopping, self.abort, self.grace_s = threading.Event(), threading.Event(), grace_s

    def install(self) -> "Shutdown":
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        return self

    def on_signal(self, signum, _frame=None):
        if self.stopping.is_set():
            return
        self.stopping.set()
        log("info", "stopping: receiving nothing more; the message in flight may finish within the grace", signal=signal.Signals(signum).name, graceMs=int(self.grace_s * 1000))
        timer = threading.Timer(self.grace_s, self.abort.set)
        timer.daemon = True
        timer.start()


def body_bytes(message) -> bytes:
    """The body as bytes: one or more AMQP data sections (what every SDK sends), or a plain value."""
    body = message.body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    try:
        return b"".join(bytes(part) for part in body)
    except TypeError:
        raise work.BadMessage("UnsupportedBody", f"AMQP body of type {getattr(message, 'body_type', type(body).__name__)}; expected data sections") from None


class Receiver:
    """The receive → work → settle loop over an SDK receiver and an AutoLockRenewer (fakes in test_receiver.py)."""

    def __init__(self, cfg: config.Config, receiver, renewer, shutdown: Shutdown, run_work: Callable = work.run):
        self.cfg, self.receiver, self.renewer, self.shutdown, self.run_work = cfg, receiver, renewer, shutdown, run_work
        self.cut_short = False

    def run(self) -> int:
        failures = 0
        while not self.shutdown.stopping.is_set():
            try:
                messages = self.receiver.receive_messages(max_message_count=1, max_wait_time=self.cfg.wait_s)
                failures = 0
            except Exception as e:  # noqa: BLE001 - the broker is unreachable or refuses: say so, back off, retry
                failures += 1
                log("error", "receive failed", entity=self.cfg.entity, attempt=failures, error=f"{type(e).__name__}: {e}",
                    fix="check the namespace, the entity's existence and the identity's role on it (Azure Service Bus Data Receiver)")
                if self.cfg.once:
                    return 1
                self.shutdown.stopping.wait(min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (failures - 1)))
                continue
            for message in messages:
                self.handle(message)
            if self.cfg.once:
                break
        return 143 if self.cut_short else 0

    def settle(self, action: str, message, **kwargs) -> bool:
        """Completes, abandons or dead-letters; a lost lock is logged (the message comes back; the work is idempotent)."""
        try:
            getattr(self.receiver, f"{action}_message")(message, **kwargs)
            return True
        except Exception as e:  # noqa: BLE001 - MessageLockLostError, MessageAlreadySettled, a dropped link
            log("warn", f"{action} failed: the message will be delivered again", messageId=message.message_id, error=f"{type(e).__name__}: {e}")
            return False

    def dead_letter(self, message, reason: str, description: str) -> None:
        if self.settle("dead_letter", message, reason=reason[:REASON_CHARS], error_description=description[:DESCRIPTION_CHARS]):
            log("warn", "dead-lettered", messageId=message.message_id, reason=reason, description=description[:DESCRIPTION_CHARS], deliveryCount=message.delivery_count)

    def handle(self, message) -> None:
        # Once received, a message is in flight, SIGTERM or not: it gets the grace (the work watches `abort`); an
        # abandon now would only spend one of its deliveries.
        n = message.delivery_count or 1
        log("info", "received", messageId=message.message_id, deliveryCount=n)
        try:
            m = work.parse(body_bytes(message).decode("utf-8"))
        except UnicodeDecodeError as e:
            self.dead_letter(message, "NotJson", f"body is not UTF-8 text: {e}")
            return
        except work.BadMessage as e:
            self.dead_letter(message, e.reason, e.description)
            return
        lost: list = []
        # Renew the lock while the work runs, up to MAX_RENEW_MS; settling the message ends the renewal.
        self.renewer.register(self.receiver, message, max_lock_renewal_duration=self.cfg.max_renew_s,
                              on_lock_renew_failure=lambda _m, error: lost.append(error))
        try:
            self.run_work(m, n, self.shutdown.abort, self.cfg.max_work_s)
        except work.Aborted:
            self.cut_short = True
            self.settle("abandon", message)
            log("warn", "grace ran out: message abandoned unfinished", messageId=message.message_id)
            return
        except Exception as e:  # noqa: BLE001 - any failure of the work (a bug too) is retried, never a crash
            error = f"{type(e).__name__}: {e}"
            if n >= self.cfg.max_delivery_count:
                self.dead_letter(message, "MaxDeliveryCountExceeded", f"delivery {n} of {self.cfg.max_delivery_count} failed: {error}")
            elif self.settle("abandon", message):
                log("warn", "work failed: message abandoned", messageId=message.message_id, deliveryCount=n, error=error)
            return
        if lost:
            log("warn", "lock renewal failed during the work: the message may be delivered again", messageId=message.message_id, error=str(lost[0]))
        if self.settle("complete", message):
            log("info", "completed", messageId=message.message_id, deliveryCount=n)


def main(env=os.environ, argv=()) -> int:
    try:
        cfg = config.load(env, argv)
    except config.ConfigError as e:
        for line in str(e).splitlines():
            log("error", line)
        return 2
    from azure.servicebus import AutoLockRenewer, ServiceBusClient
    shutdown = Shutdown(cfg.grace_s).install()
    renewer = AutoLockRenewer(max_lock_renewal_duration=cfg.max_renew_s)
    log("info", "receiving", namespace=cfg.fqdn, entity=cfg.entity)
    try:
        with ServiceBusClient(cfg.fqdn, credential()) as client:
            receiver = (client.get_queue_receiver(cfg.queue, prefetch_count=0) if cfg.queue
                        else client.get_subscription_receiver(cfg.topic, cfg.subscription, prefetch_count=0))
            with receiver:
                return Receiver(cfg, receiver, renewer, shutdown).run()
    finally:
        renewer.close()
        log("info", "stopped")


if __name__ == "__main__":
    sys.exit(main(argv=sys.argv[1:]))
