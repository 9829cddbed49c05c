"""An in-memory Service Bus for test_receiver.py: a locked message as the SDK hands it out, and a receiver that keeps
Service Bus's peek-lock rules (a settle or renewal after the lock expired, or of a settled message, fails)."""
import datetime
import time

from azure.servicebus import ServiceBusReceivedMessage
from azure.servicebus.exceptions import MessageAlreadySettled, MessageLockLostError


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


class FakeMessage(ServiceBusReceivedMessage):
    """A locked message as the SDK hands it out, without an AMQP frame (the base __init__ needs one)."""

    def __init__(self, body, fake_receiver, delivery_count=1, message_id="m1"):  # noqa: super().__init__ skipped on purpose
        self._fake_body, self._receiver, self._settled = body, fake_receiver, False
        self._delivery_count, self._message_id = delivery_count, message_id
        self._received_timestamp_utc = utc_now()
        self._until = utc_now() + datetime.timedelta(seconds=fake_receiver.lock_s)
        self.auto_renew_error = None

    body = property(lambda self: self._fake_body)
    delivery_count = property(lambda self: self._delivery_count)
    message_id = property(lambda self: self._message_id)
    locked_until_utc = property(lambda self: self._until)
    _lock_expired = property(lambda self: utc_now() > self._until)


class FakeReceiver:
    """Service Bus's peek-lock rules, in memory: what each call does to the message and when it fails."""

    def __init__(self, lock_s=30.0):
        self.lock_s, self._running = lock_s, True
        self.queue, self.actions, self.renewals, self.receives, self.receive_errors = [], [], 0, 0, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._running = False
        return False

    def add(self, body, **kwargs):
        m = FakeMessage(body, self, **kwargs)
        self.queue.append(m)
        return m

    def receive_messages(self, max_message_count, max_wait_time):
        self.receives += 1
        if self.receive_errors:
            raise self.receive_errors.pop(0)
        if not self.queue:
            time.sleep(min(max_wait_time, 0.05))
            return []
        m = self.queue.pop(0)
        # The lock starts at the receive (Service Bus: locked until now + the entity's lockDuration).
        m._until = utc_now() + datetime.timedelta(seconds=self.lock_s)
        return [m]

    def _check(self, m):
        if m._settled:
            raise MessageAlreadySettled(action="settle")
        if m._lock_expired:
            raise MessageLockLostError(message="lock expired")

    def renew_message_lock(self, m):
        self._check(m)
        m._until = utc_now() + datetime.timedelta(seconds=self.lock_s)
        self.renewals += 1
        return m._until

    def _settle(self, action, m, **kwargs):
        self._check(m)
        m._settled = True
        self.actions.append((action, m.message_id, kwargs))

    def complete_message(self, m):
        self._settle("complete", m)

    def abandon_message(self, m):
        self._settle("abandon", m)

    def dead_letter_message(self, m, reason=None, error_description=None):
        self._settle("dead_letter", m, reason=reason, error_description=error_description)


class NoRenewal:
    """A renewer that never renews: the control showing the fake's lock rules bite."""

    def register(self, *args, **kwargs):
        pass

    def close(self):
        pass
