"""The environment this consumer reads, in one place: renaming a variable is a one-line change.

KEDASCALE_* variables are kedascale's contract, set on every pod (components/plan/contract.ts, CONTRACT_ENV; a
workload's own `env` may not set them). The consumer's own settings have names of their own. Every problem is
reported at once, naming the variable, its value and the fix; the process then exits 2 before touching the queue.
"""
import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional

# kedascale's contract (components/plan/contract.ts)
BROKER = "KEDASCALE_BROKER"
STORAGE_ACCOUNT = "KEDASCALE_STORAGE_ACCOUNT"
QUEUE = "KEDASCALE_QUEUE"
POISON_QUEUE = "KEDASCALE_POISON_QUEUE"
RESULTS_ACCOUNT = "KEDASCALE_RESULTS_ACCOUNT"
RESULTS_CONTAINER = "KEDASCALE_RESULTS_CONTAINER"
MAX_DELIVERY_COUNT = "KEDASCALE_MAX_DELIVERY_COUNT"
# On Storage, the invisibility window per receive and renewal (the contract's "lock duration"), in ms.
LOCK_DURATION_MS = "KEDASCALE_LOCK_DURATION_MS"
GRACE_MS = "KEDASCALE_GRACE_MS"
# This consumer's own settings (a workload's `env`)
WAIT_MS = "RECEIVE_WAIT_MS"
MAX_WORK_MS = "MAX_WORK_MS"
# Only for Azurite (the local stack's Secret): a real account is reached with the pod's identity, never a key.
CONNECTION_STRING = "KEDASCALE_CONNECTION_STRING"
RESULTS_CONNECTION_STRING = "KEDASCALE_RESULTS_CONNECTION_STRING"

# Azure Arc's managed identity (IDENTITY_ENDPOINT with IMDS_ENDPOINT and no IDENTITY_HEADER, as Arc's agent sets them on
# a server; ManagedIdentityCredential picks it from exactly these). Debian bookworm's azure-identity (1.13.0b2, the
# image's) reads whatever file that endpoint names and sends its content back to it: CVE-2024-35255
# (GHSA-m5vv-6r4h-3vj9), fixed in 1.16.1 by checking that path (Azure/azure-sdk-for-python#36010). No kedascale
# placement sets them, so they are refused rather than trusted.
ARC_IDENTITY_ENDPOINT = "IDENTITY_ENDPOINT"
ARC_IMDS_ENDPOINT = "IMDS_ENDPOINT"
IDENTITY_HEADER = "IDENTITY_HEADER"

# Azurite's published development account (learn.microsoft.com "Use the Azurite emulator"): the one account a
# connection string is accepted for. Its key authenticates nothing outside an emulator.
AZURITE_ACCOUNT = "devstoreaccount1"

# Storage queue names: 3-63 chars, lowercase letters, digits and single hyphens, starting and ending with a letter or
# digit ("Naming Queues and Metadata", Queue service REST API).
QUEUE_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
# Blob container names: same shape as queue names ("Naming and Referencing Containers, Blobs, and Metadata").
CONTAINER_NAME = QUEUE_NAME
# Storage account names: 3-24 lowercase letters and digits.
ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")


class ConfigError(Exception):
    """Every problem with the environment, one per line."""


@dataclass(frozen=True)
class Config:
    queue: str
    poison_queue: str
    # identity auth: the account name; Azurite: None (the connection string names the endpoint)
    account: Optional[str]
    connection_string: Optional[str]
    results_account: Optional[str]
    results_connection_string: Optional[str]
    results_container: Optional[str]
    max_delivery_count: int
    visibility_timeout_s: int
    wait_s: float
    grace_s: float
    max_work_s: float

    @property
    def writes_results(self) -> bool:
        return self.results_account is not None or self.results_connection_string is not None


def is_azurite(connection_string: str) -> bool:
    """True for Azurite's development account (explicit or `UseDevelopmentStorage=true`)."""
    fields = dict(p.split("=", 1) for p in connection_string.split(";") if "=" in p)
    return fields.get("UseDevelopmentStorage", "").lower() == "true" or fields.get("AccountName") == AZURITE_ACCOUNT


def load(env: Mapping[str, str] = os.environ) -> Config:
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

    broker = get(BROKER) or "storageQueue"
    if broker != "storageQueue":
        problems.append(f"{BROKER}={broker!r}: this consumer reads a Storage queue; set it to storageQueue, or run the Service Bus example (examples/servicebus-receiver)")

    queue = get(QUEUE)
    if queue is None:
        problems.append(f"{QUEUE} is required: the Storage queue to read (kedascale sets it to the workload's queue)")
    elif not QUEUE_NAME.match(queue):
        problems.append(f"{QUEUE}={queue!r} is not a Storage queue name: 3-63 lowercase letters, digits and single hyphens")
    poison = get(POISON_QUEUE) or (f"{queue}-poison" if queue else None)
    if poison is not None and not QUEUE_NAME.match(poison):
        problems.append(f"{POISON_QUEUE}={poison!r} is not a Storage queue name: 3-63 lowercase letters, digits and single hyphens")
    if poison is not None and poison == queue:
        problems.append(f"{POISON_QUEUE}={poison!r} is the queue itself: poison messages would come straight back; name another queue")

    account, connection = get(STORAGE_ACCOUNT), get(CONNECTION_STRING)
    if connection is not None and not is_azurite(connection):
        problems.append(f"{CONNECTION_STRING} is set to a connection string for a real account: this consumer connects to Azure with its identity only; unset it and set {STORAGE_ACCOUNT}")
    if connection is not None and account is not None:
        problems.append(f"{STORAGE_ACCOUNT}={account!r} and {CONNECTION_STRING} are both set: set {STORAGE_ACCOUNT} for Azure, the connection string for Azurite only")
    if connection is None and account is None:
        problems.append(f"{STORAGE_ACCOUNT} is required: the storage account of the queue (identity auth)")
    if account is not None and not ACCOUNT_NAME.match(account):
        problems.append(f"{STORAGE_ACCOUNT}={account!r} is not a storage account name: 3-24 lowercase letters and digits")

    results_account, results_connection = get(RESULTS_ACCOUNT), get(RESULTS_CONNECTION_STRING)
    container = get(RESULTS_CONTAINER)
    if results_connection is not None and not is_azurite(results_connection):
        problems.append(f"{RESULTS_CONNECTION_STRING} is set to a connection string for a real account: unset it and set {RESULTS_ACCOUNT} (identity auth)")
    if results_connection is not None and results_account is not None:
        problems.append(f"{RESULTS_ACCOUNT}={results_account!r} and {RESULTS_CONNECTION_STRING} are both set: set one")
    if results_account is not None and not ACCOUNT_NAME.match(results_account):
        problems.append(f"{RESULTS_ACCOUNT}={results_account!r} is not a storage account name: 3-24 lowercase letters and digits")
    writes_results = results_account is not None or results_connection is not None
    if writes_results:
        container = container or "results"
        if not CONTAINER_NAME.match(container):
            problems.append(f"{RESULTS_CONTAINER}={container!r} is not a blob container name: 3-63 lowercase letters, digits and single hyphens")
    elif container is not None:
        # A setting with no effect is an error: it would suggest results are written when they are not.
        problems.append(f"{RESULTS_CONTAINER}={container!r} has no effect without {RESULTS_ACCOUNT} (or {RESULTS_CONNECTION_STRING} for Azurite): set the account or unset it")

    if get(ARC_IDENTITY_ENDPOINT) is not None and get(ARC_IMDS_ENDPOINT) is not None and get(IDENTITY_HEADER) is None:
        problems.append(f"{ARC_IDENTITY_ENDPOINT}={get(ARC_IDENTITY_ENDPOINT)!r} with {ARC_IMDS_ENDPOINT} selects Azure Arc's managed identity, which this image's azure-identity 1.13.0b2 handles unsafely (CVE-2024-35255) and no kedascale placement uses: unset both (AKS workload identity and Container Apps' identity need neither)")

    max_delivery = integer(MAX_DELIVERY_COUNT, 5, 1)
    # Get Messages and Update Message take a visibility timeout of 1 s .. 7 days, in whole seconds (Queue service REST API).
    lock_ms = integer(LOCK_DURATION_MS, 30_000, 1000)
    visibility = -(-lock_ms // 1000)
    if visibility > 7 * 24 * 3600:
        problems.append(f"{LOCK_DURATION_MS}={lock_ms} is invalid: at most 604800000 ms (7 days, the Queue service's limit)")
    wait_ms = integer(WAIT_MS, 5000, 0)
    grace_ms = integer(GRACE_MS, 10_000, 0)
    max_work_ms = integer(MAX_WORK_MS, 300_000, 0)

    if problems:
        raise ConfigError("\n".join(problems))
    return Config(
        queue=queue, poison_queue=poison, account=account, connection_string=connection,
        results_account=results_account, results_connection_string=results_connection,
        results_container=container if writes_results else None,
        max_delivery_count=max_delivery, visibility_timeout_s=visibility,
        wait_s=wait_ms / 1000, grace_s=grace_ms / 1000, max_work_s=max_work_ms / 1000,
    )
