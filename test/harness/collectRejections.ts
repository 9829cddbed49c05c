/**
 * A read-time refusal throws inside an Output's apply, so the program fails with an unhandled rejection (the Pulumi
 * language host reports it and exits non-zero). Under vitest those rejections are collected for the whole file instead,
 * and vitest's own listeners are put back afterwards. Call at the top level of a test file; read the returned list.
 */
import { afterAll, beforeAll } from "vitest";

export function collectUnhandledRejections(): string[] {
    const rejections: string[] = [];
    let vitestListeners: NodeJS.UnhandledRejectionListener[] = [];
    beforeAll(() => {
        vitestListeners = process.listeners("unhandledRejection");
        process.removeAllListeners("unhandledRejection");
        process.on("unhandledRejection", (e) => void rejections.push(e instanceof Error ? e.message : String(e)));
    });
    afterAll(() => {
        process.removeAllListeners("unhandledRejection");
        for (const l of vitestListeners) process.on("unhandledRejection", l);
    });
    return rejections;
}
