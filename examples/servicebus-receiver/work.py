"""The business logic: replace this file with yours. It reads kedascale's work message (consumer/src/message.ts), so
`kedascale send --broker serviceBus` can feed this receiver. (The Storage example's copy also names a result blob;
each example is a folder a team copies whole, so each carries its own.)

A message that can never be processed raises BadMessage (the consumer parks it at once, with the reason); a failure
that may pass raises TransientFailure (the message comes back later, until its deliveries run out).
"""
import json
import re
import threading
from typing import Any, Dict

# consumer/src/message.ts ID: ids become blob-name segments, so no '.'/'..' segments and no trailing dot.
ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,198}[A-Za-z0-9:-])?$")


class BadMessage(Exception):
    def __init__(self, reason: str, description: str):
        super().__init__(f"{reason}: {description}")
        self.reason = reason
        self.description = description


class TransientFailure(Exception):
    pass


class Aborted(Exception):
    """The shutdown's grace ran out while working: the message must go back, unfinished."""


def parse(body: str) -> Dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise BadMessage("NotJson", f"body is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise BadMessage("SchemaViolation", "body must be a JSON object")
    problems = []
    if not (isinstance(value.get("id"), str) and ID.match(value["id"])):
        problems.append("id must be 1-200 chars of [A-Za-z0-9._:-], starting with a letter or digit, not ending with '.'")
    if "runId" in value and not (isinstance(value["runId"], str) and ID.match(value["runId"])):
        problems.append("runId must be like id")
    if "seq" in value and not (type(value["seq"]) is int and value["seq"] >= 0):
        problems.append("seq must be a non-negative integer")
    if ("runId" in value) != ("seq" in value):
        problems.append("runId and seq come together")
    if "workMs" in value and not (type(value["workMs"]) is int and value["workMs"] >= 0):
        problems.append("workMs must be a non-negative integer")
    if "failDeliveries" in value and not (type(value["failDeliveries"]) is int and value["failDeliveries"] >= -1):
        problems.append("failDeliveries must be an integer >= -1")
    if problems:
        raise BadMessage("SchemaViolation", "; ".join(problems))
    return value


def run(m: Dict[str, Any], delivery_count: int, abort: threading.Event, max_work_s: float) -> None:
    """Does the work. `abort` is set when the shutdown's grace has run out."""
    fail = m.get("failDeliveries", 0)
    if fail == -1 or delivery_count <= fail:
        raise TransientFailure(f"simulated failure (failDeliveries={fail}, delivery {delivery_count})")
    if abort.wait(min(m.get("workMs", 0) / 1000, max_work_s)):
        raise Aborted()
