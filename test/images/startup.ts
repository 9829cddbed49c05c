/**
 * Start times of a Node image's entry point inside the image against the host (issue 25 point 4), interleaved as the
 * bench measures (bench/stats.ts): the same Node binary and the same built files, copied out of the image, run on the
 * host; inside, the same loop runs in one container. What differs is only where the process starts: the image's file
 * system (overlay or vfs) and the container's namespaces and cgroup. Also the whole `podman run` of the image, which
 * adds creating and removing a container — what a Job pays on top of its process, here with runc (a node's containerd
 * differs).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Built } from "./build";
import { runContainer } from "./containers";
import type { Engine } from "./engine";
import { RehearsalError, run } from "./exec";

export interface Spread {
    median: number;
    min: number;
    max: number;
    trials: number;
}

export const spread = (xs: number[]): Spread => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    const r = (x: number) => Math.round(x * 10) / 10;
    return { median: r(mid), min: r(s[0]), max: r(s.at(-1)!), trials: s.length };
};

/** Runs `node <entry> <args>` `n` times and prints each wall time in ms (one JSON array): the same loop on both sides. */
const LOOP = `const {spawnSync}=require("node:child_process");const [entry,n,...args]=process.argv.slice(1);const t=[];for(let i=0;i<+n;i++){const s=process.hrtime.bigint();const r=spawnSync(process.execPath,[entry,...args],{stdio:"ignore"});if(r.status!==0)throw new Error("exit "+r.status);t.push(Number(process.hrtime.bigint()-s)/1e6)}console.log(JSON.stringify(t))`;

export interface StartTimes {
    command: string;
    /** The process, started inside one running container. */
    insideMs: Spread;
    /** The same process with the same node and files on the host. */
    hostMs: Spread;
    /** inside / host, per interleaved round. */
    ratio: Spread;
    /** A whole `podman run --rm` of the image with that command (container created, started, removed). */
    podmanRunMs: Spread;
}

export async function measureStart(engine: Engine, image: Built, entry: string, args: string[], rounds = 5, perRound = 4): Promise<StartTimes> {
    // The image's node and built files, on the host.
    const out = join(engine.tmp, `startup-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const ctr = (await engine.podman(["create", image.ref])).stdout.trim();
    try {
        await engine.podman(["cp", `${ctr}:/usr/local/bin/node`, join(out, "node")]);
        await engine.podman(["cp", `${ctr}:${entry.split("/").slice(0, -1).join("/")}`, join(out, "app")]);
    } finally {
        await engine.podman(["rm", "--force", ctr], { allowFailure: true });
    }
    const hostEntry = join(out, "app", entry.split("/").at(-1)!);
    const inside: number[] = [];
    const host: number[] = [];
    const ratios: number[] = [];
    const podmanRun: number[] = [];
    try {
        for (let i = 0; i < rounds; i++) {
            const c = await runContainer(engine, image.ref, ["-e", LOOP, entry, String(perRound), ...args], { entrypoint: "node" });
            if (c.code !== 0) throw new RehearsalError(`timing ${image.name} inside its image`, `exit ${c.code}: ${c.stderr.trim().split("\n").slice(-3).join(" ")}`);
            const h = await run(join(out, "node"), ["-e", LOOP, hostEntry, String(perRound), ...args]);
            const ins = JSON.parse(c.lines.at(-1)!) as number[];
            const hos = JSON.parse(h.stdout.trim()) as number[];
            inside.push(...ins);
            host.push(...hos);
            ratios.push(spread(ins).median / spread(hos).median);
            const started = performance.now();
            const p = await runContainer(engine, image.ref, args);
            if (p.code !== 0) throw new RehearsalError(`timing podman run of ${image.name}`, `exit ${p.code}`);
            podmanRun.push(performance.now() - started);
        }
    } finally {
        rmSync(out, { recursive: true, force: true });
    }
    // Ratios to two decimals: spread() rounds to one, so it is given hundredths.
    const pct = spread(ratios.map((x) => x * 100));
    const ratio: Spread = { median: pct.median / 100, min: pct.min / 100, max: pct.max / 100, trials: pct.trials };
    return { command: `node ${entry} ${args.join(" ")}`, insideMs: spread(inside), hostMs: spread(host), ratio, podmanRunMs: spread(podmanRun) };
}
