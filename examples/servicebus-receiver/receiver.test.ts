/**
 * The Service Bus example's logic over a fake: Service Bus has no emulator here (BRIEF), so test_receiver.py drives
 * receiver.py's Receiver with an in-memory receiver that keeps Service Bus's lock rules, the SDK's real AutoLockRenewer
 * (Debian's python3-azure) and a real SIGTERM. Not covered: the AMQP link, Entra sign-in, the entity's own
 * maxDeliveryCount dead-lettering.
 */
import { beforeAll, expect, it } from "vitest";
import { ensurePythonAzure, INSTALL_TIMEOUT_MS, unittest } from "../support/python";

beforeAll(() => ensurePythonAzure(), INSTALL_TIMEOUT_MS);

it("servicebus-receiver: completes after its work with the lock renewed, dead-letters poison with a reason, abandons on SIGTERM past the grace (test_receiver.py, over a fake)", async () => {
    const r = await unittest(__dirname);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^OK/m);
    // Every test ran: a test that errored at import would not be counted, and "OK" alone would hide it.
    expect(Number(/Ran (\d+) tests/.exec(r.output)?.[1])).toBeGreaterThanOrEqual(17);
});
