/**
 * The burst picture: one self-contained HTML page with an inline SVG (no scripts, fonts or images from anywhere),
 * drawn the same way for every source. Three step series on one time axis — queue depth (left axis, messages),
 * Jobs or replicas and Ready nodes (right axis, count) — and a dashed line at each key moment.
 * Element ids are stable (tests and people's scripts find them): #timeline, #title, #series-queue,
 * #series-workers, #series-nodes, #mark-firstJob, #mark-allJobsCreated, #mark-peakNodes, #mark-drained, #legend.
 */
import { keyMoments, markLabel, type MarkName, type Sample, type Timeline } from "../samples";

export const SERIES = {
    queue: { id: "series-queue", color: "#1f5fbf", label: "queue depth (messages, left axis)" },
    workers: { id: "series-workers", color: "#e6711a", label: "" },
    nodes: { id: "series-nodes", color: "#2a9d3a", label: "Ready nodes (right axis)" },
} as const;
const MARK_COLOR = "#555";
const SOURCE_TITLE = { watch: "watch (real cluster)", emulation: "emulation (KEDA's arithmetic over real workers on Azurite)", simulate: "simulate (model, not a measurement)" } as const;

const W = 960;
const H = 520;
const M = { left: 72, right: 72, top: 112, bottom: 56 };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** 1, 2, 5 × 10^k steps giving about `count` ticks up to `max`. */
export function niceTicks(max: number, count = 5): number[] {
    if (max <= 0) return [0];
    const raw = max / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
    const ticks: number[] = [];
    // The last tick is at or above max, so every value sits inside the plot.
    for (let i = 0; ticks.length === 0 || ticks[ticks.length - 1] < max - step * 1e-9; i++) ticks.push(Math.round(i * step * 1e6) / 1e6);
    return ticks;
}

/** A step path through the defined points; a null value breaks the line (not measured is not zero). */
function stepPath(samples: readonly Sample[], value: (s: Sample) => number | null | undefined, x: (t: number) => number, y: (v: number) => number): string {
    let d = "";
    let prev: number | undefined;
    for (const s of samples) {
        const v = value(s);
        if (v === null || v === undefined) {
            prev = undefined;
            continue;
        }
        const px = x(s.t).toFixed(1);
        d += prev === undefined ? `M${px},${y(v).toFixed(1)}` : `H${px}V${y(v).toFixed(1)}`;
        prev = v;
    }
    return d;
}

export function renderSvg(tl: Timeline): string {
    const s = tl.samples;
    const kind = tl.workload.kind;
    const workersLabel = kind === "job" ? "Jobs not finished (right axis)" : "replicas (right axis)";
    const tMax = Math.max(1, s[s.length - 1].t);
    const qMax = Math.max(1, ...s.map((x) => x.queueDepth ?? 0));
    const hasNodes = s.some((x) => typeof x.readyNodes === "number");
    const cMax = Math.max(1, ...s.map((x) => Math.max(x.running ?? 0, hasNodes ? (x.readyNodes ?? 0) : 0)));
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const tEnd = niceTicks(tMax, 8).at(-1)!;
    const x = (t: number) => M.left + (t / tEnd) * pw;
    const yq = (v: number) => M.top + ph - (v / niceTicks(qMax).at(-1)!) * ph;
    const yc = (v: number) => M.top + ph - (v / niceTicks(cMax).at(-1)!) * ph;
    const parts: string[] = [];
    parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
    // Grid and axes.
    for (const t of niceTicks(tMax, 8)) {
        parts.push(`<line x1="${x(t).toFixed(1)}" y1="${M.top}" x2="${x(t).toFixed(1)}" y2="${M.top + ph}" stroke="#eee"/>`);
        parts.push(`<text x="${x(t).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle" class="tick">${fmt(t)}</text>`);
    }
    for (const v of niceTicks(qMax)) {
        parts.push(`<line x1="${M.left}" y1="${yq(v).toFixed(1)}" x2="${M.left + pw}" y2="${yq(v).toFixed(1)}" stroke="#f2f2f2"/>`);
        parts.push(`<text x="${M.left - 8}" y="${(yq(v) + 4).toFixed(1)}" text-anchor="end" class="tick" fill="${SERIES.queue.color}">${fmt(v)}</text>`);
    }
    for (const v of niceTicks(cMax)) parts.push(`<text x="${M.left + pw + 8}" y="${(yc(v) + 4).toFixed(1)}" class="tick">${fmt(v)}</text>`);
    parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    parts.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle" class="axis">seconds since the burst</text>`);
    parts.push(`<text transform="translate(18,${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis" fill="${SERIES.queue.color}">messages on the queue</text>`);
    parts.push(`<text transform="translate(${W - 16},${M.top + ph / 2}) rotate(90)" text-anchor="middle" class="axis">${kind === "job" ? "Jobs" : "replicas"} / nodes</text>`);
    // Series.
    const series = (id: string, color: string, d: string, dash = "") =>
        d ? `<path id="${id}" d="${d}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ""}/>` : "";
    // The queue as a light area under its line: it often runs along the Jobs line (in-flight messages count), so the
    // area keeps it visible underneath.
    const queueLine = stepPath(s, (v) => v.queueDepth, x, yq);
    if (queueLine) {
        const pts = s.filter((v) => v.queueDepth !== null);
        parts.push(`<path id="area-queue" d="${queueLine}V${(M.top + ph).toFixed(1)}H${x(pts[0].t).toFixed(1)}Z" fill="${SERIES.queue.color}" fill-opacity="0.13" stroke="none"/>`);
    }
    parts.push(series(SERIES.queue.id, SERIES.queue.color, queueLine));
    parts.push(series(SERIES.workers.id, SERIES.workers.color, stepPath(s, (v) => v.running, x, yc)));
    if (hasNodes) parts.push(series(SERIES.nodes.id, SERIES.nodes.color, stepPath(s, (v) => v.readyNodes, x, yc), "7 3"));
    // Marks: labels staggered over three rows so close moments stay readable.
    const marks = keyMoments(tl);
    const order: MarkName[] = ["firstJob", "allJobsCreated", "peakNodes", "drained"];
    order
        .filter((k) => marks[k] !== undefined)
        .sort((a, b) => marks[a]! - marks[b]!)
        .forEach((k, i) => {
            const t = marks[k]!;
            const px = x(Math.min(t, tEnd)).toFixed(1);
            const ly = M.top - 10 - (i % 4) * 15;
            const anchor = x(t) > M.left + pw * 0.85 ? "end" : "start";
            parts.push(
                `<g id="mark-${k}" data-t="${t}"><line x1="${px}" y1="${ly + 4}" x2="${px}" y2="${M.top + ph}" stroke="${MARK_COLOR}" stroke-width="1.2" stroke-dasharray="4 4"/>` +
                    `<circle cx="${px}" cy="${ly + 4}" r="3" fill="${MARK_COLOR}"/><text x="${px}" dx="${anchor === "end" ? -5 : 5}" y="${ly}" text-anchor="${anchor}" class="mark">${esc(markLabel(k, kind))} ${fmt(t)} s</text></g>`,
            );
        });
    // Legend.
    const legend = [
        [SERIES.queue.color, SERIES.queue.label, ""],
        [SERIES.workers.color, workersLabel, ""],
        [SERIES.nodes.color, hasNodes ? SERIES.nodes.label : `Ready nodes: not measured by ${tl.source}`, "7 3"],
    ];
    parts.push(
        `<g id="legend">${legend
            .map(([c, l, dash], i) => {
                const lx = M.left + i * 290;
                return `<line x1="${lx}" y1="24" x2="${lx + 26}" y2="24" stroke="${c}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ""}/><text x="${lx + 32}" y="28" class="legend">${esc(l)}</text>`;
            })
            .join("")}</g>`,
    );
    const title = `Burst timeline — ${SOURCE_TITLE[tl.source]} — stack ${tl.stack}, ${kind === "job" ? "ScaledJob" : "ScaledObject"} ${tl.workload.name}${tl.messages !== undefined ? `, ${tl.messages} messages` : ""}`;
    return [
        `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" data-source="${tl.source}" data-stack="${esc(tl.stack)}">`,
        `<style>text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;font-size:12px;fill:#222}.tick{font-size:11px;fill:#555}.axis{font-size:12px}.mark{font-size:12px;font-weight:600}.legend{font-size:12px}</style>`,
        `<title>${esc(title)}</title>`,
        ...parts.filter(Boolean),
        `</svg>`,
    ].join("\n");
}

/** The whole page: title, the SVG, the key moments as a table and the source's notes. */
export function renderHtml(tl: Timeline): string {
    const marks = keyMoments(tl);
    const title = `Burst timeline — ${tl.source} — ${tl.stack}`;
    const rows = (Object.keys(marks) as MarkName[]).map((k) => `<tr><td>${esc(markLabel(k, tl.workload.kind))}</td><td>${fmt(marks[k]!)} s</td></tr>`).join("");
    const notes = (tl.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join("");
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{margin:16px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;background:#fff}h1{font-size:18px;margin:0 0 8px}table{border-collapse:collapse;margin:8px 0}td{padding:2px 12px 2px 0}li{font-size:13px;margin:2px 0}</style>
</head><body>
<h1 id="title">Burst timeline — ${esc(SOURCE_TITLE[tl.source])} — stack ${esc(tl.stack)}</h1>
${renderSvg(tl)}
<table id="moments">${rows}</table>
${tl.startedAt ? `<p>t = 0 at ${esc(tl.startedAt)}</p>` : ""}
${notes ? `<ul id="notes">${notes}</ul>` : ""}
</body></html>
`;
}
