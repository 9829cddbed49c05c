/**
 * CloudEvents metadata of a delivery, for the two transports:
 *
 * - HTTP, binary content mode (CloudEvents HTTP Protocol Binding 1.0, §3.1, github.com/cloudevents/spec
 *   cloudevents/bindings/http-protocol-binding.md): the body is the data, unchanged; `Content-Type` carries
 *   `datacontenttype` (and no `ce-datacontenttype` may be sent); every other attribute is a `ce-<name>` header whose
 *   value is percent-encoded (§3.1.3.2: space, `"`, `%` and everything outside U+0021–U+007E, as UTF-8 bytes, upper-case
 *   hex).
 * - A process (exec): the body on stdin, the attributes in environment variables. CloudEvents has no published binding
 *   for this; a draft "Program Binding" (1.0.3-wip, not part of the spec) names them `CE-<NAME>` with the body on stdin.
 *   We follow it but with `_`: a name with `-` cannot be read from a shell (`$CE-ID` is `$CE` then `-ID`; POSIX
 *   Base Definitions §8.1: portable names are upper-case letters, digits and `_`). `CE_CONTENT_TYPE` as in the draft.
 *
 * Hand-written rather than the `cloudevents` npm package (10.0.0, measured, docs/worker-runtime.md): it does not
 * percent-encode header values (a message id with a space or `%` goes out raw, one with a non-Latin-1 character makes
 * Node refuse the header), it sets `datacontenttype` to application/json for any body, it validates every event with
 * ajv (~17 µs of CPU per message against ~1.5 µs here, of a 150 µs budget), and it adds 69 KiB and 44 packages
 * (~12 ms to load) to an HTTP-handler Job's start.
 */
import type { Delivery } from "./types";

/** CloudEvents `type` of every delivery. */
export const EVENT_TYPE = "kedascale.message";
export const SPEC_VERSION = "1.0";

/** Characters that need no encoding (§3.1.3.2): printable ASCII except `"` and `%`. */
const SAFE = /^[\x21\x23\x24\x26-\x7e]*$/;

/** Percent-encodes a header value as the HTTP binding requires (§3.1.3.2). */
export function percentEncode(value: string): string {
    if (SAFE.test(value)) return value;
    let out = "";
    for (const b of Buffer.from(value, "utf8")) out += b >= 0x21 && b <= 0x7e && b !== 0x22 && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    return out;
}

/** The request headers of a delivery in binary content mode. */
export function httpHeaders(d: Delivery): Record<string, string> {
    const h: Record<string, string> = {
        "ce-specversion": SPEC_VERSION,
        "ce-id": percentEncode(d.id),
        "ce-source": percentEncode(d.source),
        "ce-type": EVENT_TYPE,
        "ce-deliverycount": String(d.deliveryCount),
        "content-type": d.contentType,
        "content-length": String(d.body.length),
    };
    if (d.time) h["ce-time"] = d.time;
    return h;
}

/** The environment variables of a delivery to a process (values as they are; NUL, which no variable can hold, as %00). */
export function processEnv(d: Delivery): Record<string, string> {
    const v = (s: string) => s.replace(/\0/g, "%00");
    const env: Record<string, string> = {
        CE_SPECVERSION: SPEC_VERSION,
        CE_ID: v(d.id),
        CE_SOURCE: v(d.source),
        CE_TYPE: EVENT_TYPE,
        CE_DELIVERYCOUNT: String(d.deliveryCount),
        CE_CONTENT_TYPE: v(d.contentType),
    };
    if (d.time) env.CE_TIME = d.time;
    return env;
}
