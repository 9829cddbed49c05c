/**
 * Injected by the build for the SDK's `crypto.randomUUID()` (scripts/bundleTweaks.mjs): the HTTP pipeline makes a
 * request id with the global Web Crypto object, and on Node 20 and 22 the first touch of `globalThis.crypto` loads
 * the whole Web Crypto module (~5 ms of a Job's start, issue 15). node:crypto's randomUUID is the same function
 * (RFC 4122 version 4 from the same CSPRNG), without that module.
 */
export { randomUUID as nodeRandomUUID } from "node:crypto";
