import { describe, expect, it } from "vitest";
import { BadMessage, parseWorkMessage, resultBlobName } from "../src/message";
import { buildMessage } from "../src/send";

const reason = (body: string, max = 1024) => {
    try {
        parseWorkMessage(body, max);
        return "valid";
    } catch (e) {
        return (e as BadMessage).reason;
    }
};

describe("parseWorkMessage", () => {
    it.each([
        ["not json", "{nope", "NotJson"],
        ["an array", "[1]", "SchemaViolation"],
        ["a missing id", "{}", "SchemaViolation"],
        ["a runId without seq", '{"id":"a","runId":"r"}', "SchemaViolation"],
        ["a negative workMs", '{"id":"a","workMs":-1}', "SchemaViolation"],
        ["too many bytes", JSON.stringify({ id: "a", payload: "é".repeat(600) }), "Oversize"],
        ["a minimal message", '{"id":"a"}', "valid"],
    ])("classifies %s", (_what, body, expected) => expect(reason(body)).toBe(expected));

    it("round-trips what send builds, at the requested size", () => {
        const m = buildMessage("run1", 7, 300);
        expect(m.body.length).toBe(300);
        const parsed = parseWorkMessage(m.body, 1024);
        expect(resultBlobName(parsed)).toBe("run1/7.json");
        expect(parsed.id).toBe(m.id);
    });
});
