import * as ipaddr from "ipaddr.js";

/** An IPv4 range as integers, so overlap and containment are plain comparisons. */
export interface Ipv4Range {
    readonly cidr: string;
    readonly prefix: number;
    readonly first: number;
    readonly last: number;
    /** Number of addresses in the range. */
    readonly size: number;
}

function toInt(address: ipaddr.IPv4): number {
    return address.octets.reduce((acc, octet) => acc * 256 + octet, 0);
}

/** Parses "a.b.c.d/n"; returns undefined for anything that is not an IPv4 CIDR whose host bits are zero. */
export function parseCidr(cidr: string): Ipv4Range | undefined {
    if (!ipaddr.IPv4.isValidCIDR(cidr)) return undefined;
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const size = 2 ** (32 - prefix);
    const first = toInt(address);
    if (first % size !== 0) return undefined; // host bits set: Azure rejects "10.0.0.1/16"
    return { cidr, prefix, first, last: first + size - 1, size };
}

/** Parses a dotted IPv4 address into an integer, or undefined. */
export function parseIpv4(address: string): number | undefined {
    return ipaddr.IPv4.isValidFourPartDecimal(address) ? toInt(ipaddr.IPv4.parse(address)) : undefined;
}

export function overlaps(a: Ipv4Range, b: Ipv4Range): boolean {
    return a.first <= b.last && b.first <= a.last;
}

export function contains(outer: Ipv4Range, inner: Ipv4Range): boolean {
    return outer.first <= inner.first && inner.last <= outer.last;
}
