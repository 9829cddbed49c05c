/**
 * `npm run simulate -- --stack <name> [--messages N] [--workload W] [--work-seconds S] [--seed N]
 *   [--spot-failure-rate R] [--set param=value ...] [--out DIR]`
 * Predicts a burst from the stack's own config before it is paid for: prints a summary naming the knob that bounds
 * it, and writes the HTML timeline and its samples JSON (the format `watch` and the emulation write).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { boundingKnob } from "./model/bounds";
import { modelInputs, readStack } from "./model/fromStack";
import { defaultParams, parseParamOverrides, PARAMS, type ParamName } from "./model/params";
import { summaryLines } from "./model/summary";
import { renderHtml } from "./render/html";
import type { Timeline } from "./samples";

function main(): void {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            messages: { type: "string" },
            workload: { type: "string" },
            "work-seconds": { type: "string" },
            seed: { type: "string", default: "1" },
            "spot-failure-rate": { type: "string" },
            set: { type: "string", multiple: true, default: [] },
            out: { type: "string", default: join(tmpdir(), "kedascale-timeline") },
        },
        strict: true,
    });
    if (!values.stack) throw new Error("--stack <name> is required (a Pulumi.<name>.yaml in the repo)");
    const num = (flag: string, text: string | undefined) => {
        if (text === undefined) return undefined;
        const n = Number(text);
        if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} ${text}: expected a non-negative number`);
        return n;
    };
    const params = { ...defaultParams(), ...parseParamOverrides(values.set!) };
    const rate = num("spot-failure-rate", values["spot-failure-rate"]);
    if (rate !== undefined) {
        if (rate > 1) throw new Error(`--spot-failure-rate ${rate}: expected a fraction between 0 and 1`);
        params.spotFailureRate = rate;
    }
    const seed = num("seed", values.seed)!;
    const m = modelInputs(values.stack, readStack(values.stack), { workload: values.workload, messages: num("messages", values.messages), workSeconds: num("work-seconds", values["work-seconds"]) });
    const report = boundingKnob(m, params, { seed });
    const lines = summaryLines(m, params, report, seed);
    const timeline: Timeline = {
        ...report.base.timeline,
        notes: [
            lines[0],
            ...(report.creationLine ? [report.creationLine] : []),
            lines.find((l) => l.startsWith("bounded by"))!,
            ...Object.entries(PARAMS).map(([k, p]) => `${k} = ${params[k as ParamName]} ${p.unit}: ${p.source}`),
        ],
    };
    const dir = resolve(values.out!);
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `${values.stack}-simulate`);
    writeFileSync(`${base}.json`, JSON.stringify(timeline, null, 1));
    writeFileSync(`${base}.html`, renderHtml(timeline));
    console.log([...lines, `wrote ${base}.html and ${base}.json`].join("\n"));
}

try {
    main();
} catch (e) {
    console.error(`simulate: ${(e as Error).message}`);
    process.exit(1);
}
