/** One verdict of the rehearsal: what was checked on which image, passed or not, and what was seen (precise on failure). */
export interface Verdict {
    image: string;
    check: string;
    ok: boolean;
    detail: string;
    ms: number;
}

/** Collects verdicts; a check that throws fails with its message, and the checks after it still run. */
export class Verdicts {
    readonly all: Verdict[] = [];
    constructor(private readonly print: (v: Verdict) => void) {}

    async check(image: string, check: string, body: () => Promise<string>): Promise<boolean> {
        const started = performance.now();
        let v: Verdict;
        try {
            v = { image, check, ok: true, detail: await body(), ms: 0 };
        } catch (e) {
            v = { image, check, ok: false, detail: e instanceof Error ? e.message : String(e), ms: 0 };
        }
        v.ms = Math.round(performance.now() - started);
        this.all.push(v);
        this.print(v);
        return v.ok;
    }
}

/** Throws `detail` unless `cond`: a check's assertion, worded as what was expected and what was seen. */
export function expectThat(cond: unknown, detail: string): asserts cond {
    if (!cond) throw new Error(detail);
}
