/**
 * `npm run watch -- --stack <name> [--workload W] [--interval 2] [--duration S] [--out DIR]
 *   [--servicebus-namespace NS | --storage-account A | --connection-string CS] [--context CTX]`
 * Watches a real burst: queue depth (Azure SDK, the worker's identity rules), the workload's Jobs or replicas and
 * Ready nodes per pool (Kubernetes list + watch, current kubeconfig), a live terminal chart; Ctrl-C (or --duration)
 * ends it and writes the HTML timeline and the samples JSON.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeEntity, isQueue, workloadEntity } from "../components/plan/entities";
import { modelInputs, readStack } from "./model/fromStack";
import { renderHtml } from "./render/html";
import { renderTerminal } from "./render/terminal";
import { KubeSampler } from "./watch/kube";
import { queueDepthReader } from "./watch/queue";
import { Recorder } from "./watch/recorder";

/** The stack's broker output (`pulumi stack output broker`), when the Pulumi CLI is there. */
function stackBroker(stack: string): { resource?: string } {
    const out = spawnSync("pulumi", ["stack", "output", "broker", "--json", "--stack", stack], { encoding: "utf8" });
    if (out.status !== 0) return {};
    try {
        return { resource: (JSON.parse(out.stdout) as { resource?: string }).resource };
    } catch {
        return {};
    }
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            workload: { type: "string" },
            interval: { type: "string", default: "2" },
            duration: { type: "string" },
            out: { type: "string", default: join(tmpdir(), "kedascale-timeline") },
            "servicebus-namespace": { type: "string" },
            "storage-account": { type: "string" },
            "connection-string": { type: "string" },
            context: { type: "string" },
        },
        strict: true,
    });
    if (!values.stack) throw new Error("--stack <name> is required (a Pulumi.<name>.yaml in the repo)");
    const stack = values.stack;
    const cfg = readStack(stack);
    const w = values.workload ? cfg.workloads.find((x) => x.name === values.workload) : cfg.workloads[0];
    if (!w) throw new Error(`stack ${stack} has no workload ${values.workload ?? "(none defined)"}`);
    const inputs = modelInputs(stack, cfg, { workload: w.name, messages: w.loadTest?.messages ?? 0 });
    const intervalMs = Number(values.interval) * 1000;
    if (!(intervalMs >= 500)) throw new Error(`--interval ${values.interval}: expected seconds ≥ 0.5`);

    const broker = cfg.messaging.broker;
    const resource = values["servicebus-namespace"] ?? values["storage-account"] ?? (values["connection-string"] ? undefined : stackBroker(stack).resource);
    // Each workload reads its own queue or subscription (components/plan/entities.ts workloadEntity).
    const entity = workloadEntity(w);
    const readQueue = await queueDepthReader({ broker, ...(isQueue(entity) ? { queue: entity.queue } : { queue: entity.topic, subscription: entity.subscription }), resource, connectionString: values["connection-string"] });

    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    if (values.context) kc.setCurrentContext(values.context);
    const errors: string[] = [];
    const sampler = new KubeSampler(kc, { namespace: w.namespace, workload: w.name, kind: w.kind, pools: [inputs.pool.name], onError: (what, e) => errors.push(`${what}: ${(e as Error).message ?? e}`) });
    await sampler.start();

    const recorder = new Recorder({ stack, workload: { name: w.name, kind: w.kind } }, [
        `context ${kc.getCurrentContext()}, namespace ${w.namespace}; ${describeEntity(entity)} on ${broker} ${resource ?? "(connection string)"}`,
        `Ready nodes counted in pool ${inputs.pool.name}; queue depth is KEDA's count (in-flight messages included)`,
    ]);
    const tty = process.stdout.isTTY;
    let stopping = false;
    const tick = async () => {
        let queueDepth: number | undefined;
        try {
            queueDepth = await readQueue();
        } catch (e) {
            errors.push(`queue: ${(e as Error).message}`);
        }
        recorder.add({ at: Date.now(), queueDepth, kube: sampler.counts() });
        const tl = recorder.timeline()!;
        const chart = renderTerminal(tl, Math.max(20, Math.min(120, (process.stdout.columns ?? 80) - 24)), tty);
        if (tty) process.stdout.write(`\x1b[H\x1b[2J${chart}\n${errors.slice(-2).join("\n")}\nCtrl-C to stop and write the timeline\n`);
        else console.log(chart.split("\n").slice(1, 4).join(" | "));
    };
    const finish = async () => {
        if (stopping) return;
        stopping = true;
        clearInterval(timer);
        await sampler.stop();
        const tl = recorder.timeline();
        if (!tl) return console.log("no samples taken");
        for (const e of [...new Set(errors)].slice(0, 20)) recorder.note(`error during the run: ${e}`);
        const dir = resolve(values.out!);
        mkdirSync(dir, { recursive: true });
        const base = join(dir, `${stack}-watch-${tl.startedAt!.replace(/[:.]/g, "-")}`);
        const final = recorder.timeline()!;
        writeFileSync(`${base}.json`, JSON.stringify(final, null, 1));
        writeFileSync(`${base}.html`, renderHtml(final));
        console.log(`\nwrote ${base}.html and ${base}.json (${final.samples.length} samples)`);
    };
    const timer = setInterval(() => void tick(), intervalMs);
    await tick();
    process.once("SIGINT", () => void finish().then(() => process.exit(0)));
    process.once("SIGTERM", () => void finish().then(() => process.exit(0)));
    if (values.duration) setTimeout(() => void finish().then(() => process.exit(0)), Number(values.duration) * 1000);
}

main().catch((e) => {
    console.error(`watch: ${(e as Error).message}`);
    process.exit(1);
});
