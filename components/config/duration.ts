/** Seconds in an ISO-8601 duration of the form the schema accepts (PnDTnHnMnS). */
export function isoDurationSeconds(duration: string): number {
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
    if (!m) throw new Error(`not an ISO-8601 duration: ${duration}`);
    const [d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0));
    return ((d * 24 + h) * 60 + min) * 60 + s;
}
