"""The receiver's logic over a fake Service Bus receiver (Service Bus has no emulator here), with the SDK's real
AutoLockRenewer: the fake keeps Service Bus's lock rules (a settle or renewal after the lock expired, or of a settled
message, fails), so a message whose work outlasts its lock completes only if the renewer really renewed it.

What this cannot show: the AMQP link, Entra sign-in, and the entity's own maxDeliveryCount dead-lettering.
"""
import os
import signal
import threading
import time
import unittest
from unittest import mock

import config
import receiver as rx
import work
from azure.servicebus import AutoLockRenewer
from fake_servicebus import FakeReceiver, NoRenewal, utc_now


def cfg(argv=(), **env):
    return config.load({"KEDASCALE_SERVICEBUS_FQDN": "team-bus.servicebus.windows.net", "KEDASCALE_QUEUE": "jobs", "RECEIVE_WAIT_MS": "1000", **env}, argv)


class ReceiverTest(unittest.TestCase):
    def setUp(self):
        self.logs = []
        patcher = mock.patch.object(rx, "log", lambda level, msg, **f: self.logs.append({"level": level, "msg": msg, **f}))
        patcher.start()
        self.addCleanup(patcher.stop)
        self.renewer = AutoLockRenewer()
        self.addCleanup(self.renewer.close)

    def receive_all(self, fake, c=None, shutdown=None, renewer=None, stop_when_empty=True, **kw):
        shutdown = shutdown or rx.Shutdown(0)
        r = rx.Receiver(c or cfg(), fake, renewer or self.renewer, shutdown, **kw)
        if stop_when_empty:
            # Continuous mode runs until SIGTERM: stop it once the fake queue is drained.
            original = fake.receive_messages

            def receive(**args):
                if not fake.queue and not fake.receive_errors:
                    shutdown.stopping.set()
                return original(**args)
            fake.receive_messages = receive
        return r.run()

    def test_completes_after_the_work_with_the_lock_renewed_past_its_duration(self):
        # 5 s: Service Bus's shortest lockDuration (the SDK's renewer checks about once a second, so shorter locks
        # than any entity can have would lapse between its checks).
        fake = FakeReceiver(lock_s=5)
        m = fake.add(b'{"id": "slow", "workMs": 8000}')
        done_at = []
        self.receive_all(fake, run_work=lambda *a: (work.run(*a), done_at.append(utc_now())))
        self.assertEqual(fake.actions, [("complete", "m1", {})])
        self.assertGreaterEqual(fake.renewals, 2)
        self.assertTrue(done_at and m._settled)
        self.assertTrue(any(l["msg"] == "completed" for l in self.logs))

    def test_control_without_renewal_the_same_message_loses_its_lock(self):
        fake = FakeReceiver(lock_s=2)
        fake.add(b'{"id": "slow", "workMs": 3000}')
        self.receive_all(fake, renewer=NoRenewal())
        self.assertEqual(fake.actions, [])
        self.assertTrue(any(l["msg"] == "complete failed: the message will be delivered again" for l in self.logs))

    def test_dead_letters_what_can_never_be_processed_with_the_reason(self):
        fake = FakeReceiver()
        fake.add(b"not json", message_id="a")
        fake.add(b"\xff\xfe", message_id="b")
        fake.add(b'{"id": "../x"}', message_id="c")
        fake.add({"a": 1}, message_id="d")  # an AMQP value body, not data sections
        fake.add([b'{"id": ', b'"ok"}'], message_id="e")  # two data sections: one body
        self.assertEqual(self.receive_all(fake), 0)
        reasons = {mid: kw.get("reason") for action, mid, kw in fake.actions}
        self.assertEqual(reasons, {"a": "NotJson", "b": "NotJson", "c": "SchemaViolation", "d": "UnsupportedBody", "e": None})
        self.assertEqual([a for a, mid, _ in fake.actions if mid == "e"], ["complete"])
        self.assertIn("not JSON", fake.actions[0][2]["error_description"])

    def test_a_failure_is_abandoned_then_dead_lettered_on_the_last_delivery(self):
        fake = FakeReceiver()
        fake.add(b'{"id": "x", "failDeliveries": -1}', message_id="first", delivery_count=1)
        fake.add(b'{"id": "x", "failDeliveries": -1}', message_id="last", delivery_count=3)
        self.receive_all(fake, c=cfg(KEDASCALE_MAX_DELIVERY_COUNT="3"))
        self.assertEqual(fake.actions[0][:2], ("abandon", "first"))
        action, mid, kw = fake.actions[1]
        self.assertEqual((action, mid, kw["reason"]), ("dead_letter", "last", "MaxDeliveryCountExceeded"))
        self.assertIn("delivery 3 of 3 failed: TransientFailure", kw["error_description"])

    def test_a_bug_in_the_work_never_crashes_the_receiver(self):
        fake = FakeReceiver()
        fake.add(b'{"id": "a"}', message_id="a")
        fake.add(b'{"id": "b"}', message_id="b")
        calls = []

        def buggy(m, *rest):
            calls.append(m["id"])
            if m["id"] == "a":
                raise KeyError("oops")
        self.receive_all(fake, run_work=buggy)
        self.assertEqual([(a, mid) for a, mid, _ in fake.actions], [("abandon", "a"), ("complete", "b")])
        self.assertEqual(calls, ["a", "b"])

    def test_receive_errors_are_logged_and_retried_then_receiving_goes_on(self):
        fake = FakeReceiver()
        fake.receive_errors = [ConnectionError("link detached")]
        fake.add(b'{"id": "a"}')
        with mock.patch.object(rx, "RETRY_FIRST_S", 0.01):
            self.receive_all(fake)
        self.assertEqual(fake.actions[0][0], "complete")
        err = [l for l in self.logs if l["msg"] == "receive failed"]
        self.assertEqual(len(err), 1)
        self.assertIn("Data Receiver", err[0]["fix"])

    def test_once_mode_takes_one_message_and_exits_and_fails_when_the_entity_cannot_be_read(self):
        fake = FakeReceiver()
        fake.add(b'{"id": "a"}', message_id="a")
        fake.add(b'{"id": "b"}', message_id="b")
        self.assertEqual(self.receive_all(fake, c=cfg(argv=["--once"]), stop_when_empty=False), 0)
        self.assertEqual([mid for _, mid, _ in fake.actions], ["a"])
        fake.receive_errors = [ConnectionError("no route")]
        self.assertEqual(self.receive_all(fake, c=cfg(argv=["--once"]), stop_when_empty=False), 1)


class SigtermTest(unittest.TestCase):
    """A real SIGTERM to this process, handled by the receiver's own handler."""

    def setUp(self):
        self.logs = []
        patcher = mock.patch.object(rx, "log", lambda level, msg, **f: self.logs.append({"level": level, "msg": msg, **f}))
        patcher.start()
        self.addCleanup(patcher.stop)
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.addCleanup(signal.signal, sig, signal.getsignal(sig))
        self.renewer = AutoLockRenewer()
        self.addCleanup(self.renewer.close)

    def run_with_sigterm(self, grace_ms, work_ms, after_s=0.3):
        fake = FakeReceiver(lock_s=5)
        fake.add(b'{"id": "inflight", "workMs": %d}' % work_ms, message_id="inflight")
        fake.add(b'{"id": "next"}', message_id="next")
        c = cfg(KEDASCALE_GRACE_MS=str(grace_ms))
        shutdown = rx.Shutdown(c.grace_s).install()
        threading.Timer(after_s, os.kill, (os.getpid(), signal.SIGTERM)).start()
        code = rx.Receiver(c, fake, self.renewer, shutdown).run()
        return code, fake

    def test_sigterm_lets_the_message_in_flight_finish_within_the_grace_and_receives_nothing_more(self):
        code, fake = self.run_with_sigterm(grace_ms=10_000, work_ms=2500)
        self.assertEqual(code, 0)
        self.assertEqual([(a, mid) for a, mid, _ in fake.actions], [("complete", "inflight")])
        self.assertEqual(fake.receives, 1)
        self.assertEqual([m.message_id for m in fake.queue], ["next"])

    def test_sigterm_past_the_grace_abandons_the_message_in_flight_and_exits_143(self):
        started = time.monotonic()
        code, fake = self.run_with_sigterm(grace_ms=200, work_ms=600_000)
        self.assertEqual(code, 143)
        self.assertEqual([(a, mid) for a, mid, _ in fake.actions], [("abandon", "inflight")])
        self.assertLess(time.monotonic() - started, 30)  # bounded: not the 600 s of work

    def test_a_message_received_as_sigterm_arrives_is_in_flight_worked_within_the_grace(self):
        fake = FakeReceiver()
        m = fake.add(b'{"id": "late"}', message_id="late")
        shutdown = rx.Shutdown(10).install()
        worked = []
        r = rx.Receiver(cfg(), fake, self.renewer, shutdown, run_work=lambda *a: worked.append(a[0]["id"]))
        received = fake.receive_messages(max_message_count=1, max_wait_time=1)[0]
        os.kill(os.getpid(), signal.SIGTERM)
        r.handle(received)
        self.assertEqual((worked, fake.actions[0][:2]), (["late"], ("complete", "late")))
        self.assertTrue(shutdown.stopping.is_set() and m._settled)


class MainTest(unittest.TestCase):
    def test_bad_configuration_exits_2_naming_every_variable(self):
        logs = []
        with mock.patch.object(rx, "log", lambda level, msg, **f: logs.append(msg)):
            code = rx.main({"KEDASCALE_CONNECTION_STRING": "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=s",
                            "KEDASCALE_TOPIC": "orders", "KEDASCALE_SERVICEBUS_NAMESPACE": "x"})
        self.assertEqual(code, 2)
        text = "\n".join(logs)
        self.assertIn("KEDASCALE_CONNECTION_STRING is set", text)
        self.assertIn("KEDASCALE_SUBSCRIPTION", text)
        self.assertIn("KEDASCALE_SERVICEBUS_NAMESPACE='x'", text)
        with mock.patch.object(rx, "log", lambda level, msg, **f: logs.append(msg)):
            self.assertEqual(rx.main({"KEDASCALE_SERVICEBUS_NAMESPACE": "team-bus", "KEDASCALE_QUEUE": "q"}, ["--twice"]), 2)
        self.assertIn("unknown arguments ['--twice']", logs[-1])

    def test_a_topic_subscription_is_read_with_the_identity_at_the_namespace_fqdn(self):
        fake = FakeReceiver()
        fake.add(b'{"id": "a"}')
        opened = {}

        class Client:
            def __init__(self, fqdn, credential):
                opened.update(fqdn=fqdn, credential=credential)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def get_subscription_receiver(self, topic, subscription, prefetch_count):
                opened.update(topic=topic, subscription=subscription, prefetch=prefetch_count)
                return fake

        with mock.patch("azure.servicebus.ServiceBusClient", Client), mock.patch.object(rx, "credential", lambda: "the-pod-identity"), \
                mock.patch.object(rx, "log", lambda *a, **f: None):
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.addCleanup(signal.signal, sig, signal.getsignal(sig))
            code = rx.main({"KEDASCALE_SERVICEBUS_NAMESPACE": "team-bus", "KEDASCALE_SERVICEBUS_FQDN": "team-bus.servicebus.windows.net",
                            "KEDASCALE_TOPIC": "orders", "KEDASCALE_SUBSCRIPTION": "billing"}, ["--once"])
        self.assertEqual(code, 0)
        self.assertEqual(opened, {"fqdn": "team-bus.servicebus.windows.net", "credential": "the-pod-identity", "topic": "orders", "subscription": "billing", "prefetch": 0})
        self.assertEqual(fake.actions[0][0], "complete")


class ConfigTest(unittest.TestCase):
    def test_defaults_and_fqdn(self):
        c = cfg()
        self.assertEqual((c.fqdn, c.entity, c.max_delivery_count, c.once), ("team-bus.servicebus.windows.net", "jobs", 10, False))
        self.assertEqual(config.load({"KEDASCALE_SERVICEBUS_NAMESPACE": "team-bus", "KEDASCALE_QUEUE": "q"}).fqdn, "team-bus.servicebus.windows.net")
        self.assertEqual(config.load({"KEDASCALE_SERVICEBUS_NAMESPACE": "team-bus.servicebus.usgovcloudapi.net", "KEDASCALE_QUEUE": "q"}).fqdn,
                         "team-bus.servicebus.usgovcloudapi.net")

    def test_subscription_entity(self):
        c = config.load({"KEDASCALE_SERVICEBUS_NAMESPACE": "team-bus", "KEDASCALE_TOPIC": "orders", "KEDASCALE_SUBSCRIPTION": "billing"})
        self.assertEqual(c.entity, "orders/subscriptions/billing")

    def test_every_problem_at_once(self):
        with self.assertRaises(config.ConfigError) as ctx:
            config.load({"KEDASCALE_BROKER": "storageQueue", "KEDASCALE_SERVICEBUS_NAMESPACE": "1bus", "KEDASCALE_QUEUE": "jobs",
                         "KEDASCALE_TOPIC": "t", "MAX_WORK_MS": "900000"}, ["--forever"])
        text = str(ctx.exception)
        for fragment in ["KEDASCALE_BROKER='storageQueue'", "KEDASCALE_SERVICEBUS_NAMESPACE='1bus'", "are both set",
                         "unknown arguments ['--forever']", "MAX_WORK_MS=900000 is longer than MAX_RENEW_MS=600000"]:
            self.assertIn(fragment, text)


    def test_azure_arc_identity_variables_are_refused_and_container_apps_identity_is_not(self):
        import os
        from unittest import mock
        from azure.identity import ManagedIdentityCredential
        arc = {"IDENTITY_ENDPOINT": "http://localhost:40342/metadata/identity/oauth2/token", "IMDS_ENDPOINT": "http://localhost:40342"}
        with self.assertRaises(config.ConfigError) as ctx:
            cfg(**arc)
        self.assertIn("IDENTITY_ENDPOINT='http://localhost:40342/metadata/identity/oauth2/token' with IMDS_ENDPOINT", str(ctx.exception))
        self.assertIn("CVE-2024-35255", str(ctx.exception))
        cfg(IDENTITY_ENDPOINT="http://localhost:42356/msi/token", IDENTITY_HEADER="h")  # Container Apps' identity
        # Exactly what makes the SDK this runs with pick Azure Arc (ManagedIdentityCredential reads them at construction).
        with mock.patch.dict(os.environ, arc, clear=True):
            self.assertEqual(type(ManagedIdentityCredential()._credential).__name__, "AzureArcCredential")
    def test_entity_name_rules(self):
        for good in ["jobs", "a.b-c_d", "team/orders", "x" * 260]:
            self.assertTrue(config.ENTITY_NAME.match(good), good)
        for bad in ["-a", "a-", "x" * 261, "a b"]:
            self.assertFalse(config.ENTITY_NAME.match(bad), bad)
        self.assertFalse(config.SUBSCRIPTION_NAME.match("a/b"))
        self.assertFalse(config.SUBSCRIPTION_NAME.match("s" * 51))


if __name__ == "__main__":
    unittest.main()
