"""The environment (and arguments) this receiver reads, in one place: renaming a variable is a one-line change.

KEDASCALE_* variables are kedascale's contract, set on every pod (components/plan/contract.ts, CONTRACT_ENV; a
workload's own `env` may not set them). The receiver's own settings have names of their own, and `--once` (a
ScaledJob's `args`) is an argument. Every problem is reported at once, naming the variable, its value and the fix;
the process then exits 2 before connecting.
"""
import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

# kedascale's contract (components/plan/contract.ts)
BROKER = "KEDASCALE_BROKER"
FQDN = "KEDASCALE_SERVICEBUS_FQDN"
NAMESPACE = "KEDASCALE_SERVICEBUS_NAMESPACE"
QUEUE = "KEDASCALE_QUEUE"
TOPIC = "KEDASCALE_TOPIC"
SUBSCRIPTION = "KEDASCALE_SUBSCRIPTION"
MAX_DELIVERY_COUNT = "KEDASCALE_MAX_DELIVERY_COUNT"
GRACE_MS = "KEDASCALE_GRACE_MS"
# This receiver's own settings (a workload's `env`)
MAX_RENEW_MS = "MAX_RENEW_MS"
WAIT_MS = "RECEIVE_WAIT_MS"
MAX_WORK_MS = "MAX_WORK_MS"
ONCE = "--once"
# Refused: this receiver reaches Service Bus with the pod's Entra identity only (seed 004 used a connection string).
CONNECTION_STRING = "KEDASCALE_CONNECTION_STRING"

# Namespace names: 6-50 letters, digits and hyphens, starting with a letter, not ending with a hyphen (Service Bus
# naming rules, learn.microsoft.com azure-resource-manager/management/resource-name-rules#microsoftservicebus).
NAMESPACE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$")
# Queue and topic names: up to 260 chars of letters, digits, '.', '-', '_' and '/', starting and ending with a letter
# or digit; subscriptions: up to 50, no '/' (same page).
ENTITY_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?$")
SUBSCRIPTION_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9])?$")
PUBLIC_CLOUD_SUFFIX = ".servicebus.windows.net"



# Azure Arc's managed identity (IDENTITY_ENDPOINT with IMDS_ENDPOINT and no IDENTITY_HEADER, as Arc's agent sets them on
# a server; ManagedIdentityCredential picks it from exactly these). Debian bookworm's azure-identity (1.13.0b2, the
# image's) reads whatever file that endpoint names and sends its content back to it: CVE-2024-35255
# (GHSA-m5vv-6r4h-3vj9), fixed in 1.16.1 by checking that path (Azure/azure-sdk-for-python#36010). No kedascale
# placement sets them, so they are refused rather than trusted.
ARC_IDENTITY_ENDPOINT = "IDENTITY_ENDPOINT"
ARC_IMDS_ENDPOINT = "IMDS_ENDPOINT"
IDENTITY_HEADER = "IDENTITY_HEADER"


class ConfigError(Exception):
    """Every problem with the environment, one per line."""


@dataclass(frozen=True)
class Config:
    fqdn: str
    queue: Optional[str]
    topic: Optional[str]
    subscription: Optional[str]
    max_delivery_count: int
    max_renew_s: float
    wait_s: float
    grace_s: float
    max_work_s: float
    once: bool

    @property
    def entity(self) -> str:
        return self.queue if self.queue else f"{self.topic}/subscriptions/{self.subscription}"


def load(env: Mapping[str, str] = os.environ, argv: Sequence[str] = ()) -> Config:
    problems = []

    def get(name: str) -> Optional[str]:
        value = env.get(name, "")
        return value if value != "" else None

    def integer(name: str, default: int, minimum: int) -> int:
        raw = get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            problems.append(f"{name}={raw!r} is invalid: must be an integer >= {minimum}")
            return default
        return value

    broker = get(BROKER) or "serviceBus"
    if broker != "serviceBus":
        problems.append(f"{BROKER}={broker!r}: this receiver reads Service Bus; set it to serviceBus, or run the Storage example (examples/storage-queue-consumer)")
    if get(CONNECTION_STRING) is not None:
        problems.append(f"{CONNECTION_STRING} is set: this receiver connects with the pod's identity only (workload identity, Azure Service Bus Data Receiver on its entity); it cannot run where kedascale gives a connection string (virtual nodes)")

    # The FQDN as the SDKs take it; else the namespace's short name in Azure's public cloud.
    namespace, fqdn = get(NAMESPACE), get(FQDN) or ""
    if not fqdn and namespace is not None:
        fqdn = namespace if "." in namespace else namespace + PUBLIC_CLOUD_SUFFIX
    if not fqdn:
        problems.append(f"{FQDN} (or {NAMESPACE}) is required: the Service Bus namespace (kedascale sets both)")
    elif not NAMESPACE_NAME.match(fqdn.split(".", 1)[0]) or "." not in fqdn or any(not part for part in fqdn.split(".")):
        name = FQDN if get(FQDN) else NAMESPACE
        problems.append(f"{name}={get(name)!r} is not a namespace FQDN or name: 6-50 letters, digits and hyphens, starting with a letter (e.g. team-bus.servicebus.windows.net)")

    queue, topic, subscription = get(QUEUE), get(TOPIC), get(SUBSCRIPTION)
    if queue is not None and (topic is not None or subscription is not None):
        problems.append(f"{QUEUE}={queue!r} and {TOPIC}/{SUBSCRIPTION} are both set: a receiver reads one queue or one topic subscription; unset one")
    elif queue is None and (topic is None or subscription is None):
        problems.append(f"set {QUEUE}, or {TOPIC} and {SUBSCRIPTION} together (got {TOPIC}={topic!r}, {SUBSCRIPTION}={subscription!r})")
    for name, value, rule, text in [(QUEUE, queue, ENTITY_NAME, "a queue name"), (TOPIC, topic, ENTITY_NAME, "a topic name"),
                                    (SUBSCRIPTION, subscription, SUBSCRIPTION_NAME, "a subscription name (at most 50 chars, no '/')")]:
        if value is not None and not rule.match(value):
            problems.append(f"{name}={value!r} is not {text}: letters, digits, '.', '-', '_', starting and ending with a letter or digit")

    unknown = [a for a in argv if a != ONCE]
    if unknown:
        problems.append(f"unknown arguments {unknown}: the only one is {ONCE} (one message, then exit: a ScaledJob's args)")
    max_delivery = integer(MAX_DELIVERY_COUNT, 10, 1)
    max_renew_ms = integer(MAX_RENEW_MS, 600_000, 1000)
    wait_ms = integer(WAIT_MS, 5000, 1000)
    grace_ms = integer(GRACE_MS, 10_000, 0)
    max_work_ms = integer(MAX_WORK_MS, 300_000, 0)
    if max_work_ms > max_renew_ms:
        problems.append(f"{MAX_WORK_MS}={max_work_ms} is longer than {MAX_RENEW_MS}={max_renew_ms}: the lock would lapse mid-work and the message be processed twice; raise {MAX_RENEW_MS}")

    if get(ARC_IDENTITY_ENDPOINT) is not None and get(ARC_IMDS_ENDPOINT) is not None and get(IDENTITY_HEADER) is None:
        problems.append(f"{ARC_IDENTITY_ENDPOINT}={get(ARC_IDENTITY_ENDPOINT)!r} with {ARC_IMDS_ENDPOINT} selects Azure Arc's managed identity, which this image's azure-identity 1.13.0b2 handles unsafely (CVE-2024-35255) and no kedascale placement uses: unset both (AKS workload identity and Container Apps' identity need neither)")

    if problems:
        raise ConfigError("\n".join(problems))
    return Config(fqdn=fqdn, queue=queue, topic=topic, subscription=subscription, max_delivery_count=max_delivery,
                  max_renew_s=max_renew_ms / 1000, wait_s=wait_ms / 1000, grace_s=grace_ms / 1000,
                  max_work_s=max_work_ms / 1000, once=ONCE in argv)
