/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The picture is read by a person: the scale1000 simulation, rendered by the shared renderer, opened in headless
 * Debian Chromium (installed by apt in CI when missing and running as root; otherwise skipped, saying why), must
 * draw something (not a blank page) and show the three series and the four marks.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { modelInputs, readStack } from "../timeline/model/fromStack";
import { defaultParams } from "../timeline/model/params";
import { simulate } from "../timeline/model/simulate";
import { ensureChromium, openInChromium } from "../timeline/render/chromium";
import { renderHtml } from "../timeline/render/html";
import { renderTerminal } from "../timeline/render/terminal";
import { TIMELINE_FORMAT, type Timeline } from "../timeline/samples";

// Decided at collection time (vitest names skipped tests then): installs Chromium once if it is missing.
const chromium = ensureChromium((line) => console.log(`[chromium] ${line}`));
const title = chromium.path ? "in headless Chromium" : `in headless Chromium — SKIPPED: ${chromium.reason}`;

const scale1000 = simulate(modelInputs("scale1000", readStack("scale1000")), defaultParams(), { seed: 1 }).timeline;

/** Pixel statistics of a PNG, decoded by Chromium itself (no PNG decoder dependency). */
async function pixelStats(png: Buffer) {
    const shot = await openInChromium(`<img id="i" src="data:image/png;base64,${png.toString("base64")}">`, { width: 50, height: 50 }, chromium.path);
    try {
        await shot.evaluate(() => (document.getElementById("i") as HTMLImageElement).decode());
        return await shot.evaluate(() => {
            const img = document.getElementById("i") as HTMLImageElement;
            const c = document.createElement("canvas");
            c.width = img.naturalWidth;
            c.height = img.naturalHeight;
            const ctx = c.getContext("2d")!;
            ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let nonWhite = 0;
            let sum = 0;
            let sq = 0;
            const colours = { blue: 0, orange: 0, green: 0, queueArea: 0 };
            for (let i = 0; i < d.length; i += 4) {
                const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
                const l = (r + g + b) / 3;
                sum += l;
                sq += l * l;
                if (l < 245) nonWhite++;
                // The series' strokes: #1f5fbf, #e6711a, #2a9d3a.
                if (b > 150 && r < 80 && g < 130) colours.blue++;
                if (r > 200 && g > 90 && g < 140 && b < 60) colours.orange++;
                if (g > 130 && r < 80 && b < 90) colours.green++;
                // The queue's area: #1f5fbf at 13 % over white ≈ rgb(226, 234, 247).
                if (Math.abs(r - 226) < 8 && Math.abs(g - 234) < 8 && Math.abs(b - 247) < 6) colours.queueArea++;
            }
            const n = d.length / 4;
            return { width: c.width, height: c.height, nonWhiteFraction: nonWhite / n, variance: sq / n - (sum / n) ** 2, colours };
        });
    } finally {
        await shot.close();
    }
}

describe.skipIf(!chromium.path)(`the burst picture ${title}`, () => {
    it("is not blank, shows queue depth, Jobs and Ready nodes as drawn lines and marks first Job, all Jobs created, peak nodes, drained", async () => {
        const shot = await openInChromium(renderHtml(scale1000), { width: 1000, height: 600 }, chromium.path);
        let dom;
        try {
            dom = await shot.evaluate(() => {
                const box = (id: string) => {
                    const el = document.getElementById(id) as unknown as SVGGraphicsElement | null;
                    if (!el) return null;
                    const b = el.getBBox();
                    return { width: b.width, height: b.height, d: el.getAttribute("d")?.length ?? 0, t: el.getAttribute("data-t"), text: el.textContent };
                };
                return {
                    title: document.getElementById("title")?.textContent,
                    series: ["series-queue", "series-workers", "series-nodes"].map(box),
                    marks: ["mark-firstJob", "mark-allJobsCreated", "mark-peakNodes", "mark-drained"].map(box),
                    external: [...document.querySelectorAll("[src],[href],link,script")].length,
                };
            });
        } finally {
            writeFileSync(join(tmpdir(), "kedascale-timeline-render-test.png"), shot.png);
            await shot.close();
        }
        expect(dom.title).toContain("simulate");
        expect(dom.title).toContain("scale1000");
        for (const s of dom.series) {
            expect(s).not.toBeNull();
            expect(s!.width).toBeGreaterThan(300);
            expect(s!.height).toBeGreaterThan(100);
        }
        const marks = scale1000.marks!;
        expect(dom.marks.map((m) => Number(m!.t))).toEqual([marks.firstJob, marks.allJobsCreated, marks.peakNodes, marks.drained]);
        expect(dom.marks.map((m) => m!.text)).toEqual([
            expect.stringContaining("first Job"),
            expect.stringContaining("all Jobs created"),
            expect.stringContaining("peak nodes"),
            expect.stringContaining("drained"),
        ]);
        expect(dom.external).toBe(0);

        const px = await pixelStats(shot.png);
        expect(px.width).toBe(1000);
        expect(px.nonWhiteFraction).toBeGreaterThan(0.05);
        expect(px.variance).toBeGreaterThan(100);
        // Each series' colour is actually painted, not just present in the DOM.
        // The queue's line often runs under the Jobs line (in-flight messages count), so its area is what shows.
        expect(px.colours.queueArea).toBeGreaterThan(20_000);
        expect(px.colours.orange).toBeGreaterThan(500);
        expect(px.colours.green).toBeGreaterThan(500);
    });

    it("an emulation run (no nodes) says Ready nodes were not measured instead of drawing zero", async () => {
        const emulation: Timeline = {
            format: TIMELINE_FORMAT,
            source: "emulation",
            stack: "scale1000",
            workload: { name: "burst", kind: "job" },
            samples: [
                { t: 0, queueDepth: 20, running: 0, created: 0 },
                { t: 3, queueDepth: 20, running: 20, created: 20 },
                { t: 9, queueDepth: 0, running: 0, created: 20 },
            ],
        };
        const shot = await openInChromium(renderHtml(emulation), undefined, chromium.path);
        try {
            const dom = await shot.evaluate(() => ({ nodes: document.getElementById("series-nodes"), legend: document.getElementById("legend")?.textContent, marks: [...document.querySelectorAll("[id^=mark-]")].map((m) => m.id) }));
            expect(dom.nodes).toBeNull();
            expect(dom.legend).toContain("Ready nodes: not measured by emulation");
            expect(dom.marks).toEqual(["mark-firstJob", "mark-allJobsCreated", "mark-drained"]);
        } finally {
            await shot.close();
        }
    });
});

describe("the live terminal chart", () => {
    it("draws one sparkline per series with current values and the marks reached", () => {
        const text = renderTerminal(scale1000, 40, false);
        const lines = text.split("\n");
        expect(lines[0]).toContain("simulate · scale1000 · burst");
        expect(lines[1]).toMatch(/^queue .{40} 0 \(max 998\)$/u);
        expect(lines[2]).toMatch(/^Jobs {2}.{40} 0 \(max 998\)$/u);
        expect(lines[3]).toMatch(/^nodes .{40} \d+ \(max 998\)$/u);
        expect(lines[1]).toContain("█");
        expect(lines[4]).toMatch(/first Job 19 s · all Jobs created 28 s · drained \d+ s · peak nodes \d+ s/);
    });
});
