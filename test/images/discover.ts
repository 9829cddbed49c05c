/**
 * The images the stacks build, found the way `pulumi up` finds them: the real index.ts runs under the tests' mocks
 * with each real Pulumi.<stack>.yaml (test/harness/offlineProgram.ts, as `npm run plan` does), and every
 * `docker:index/image:Image` it registers is an image to build — the worker's (components/k8s/workerImage.ts) and each
 * workload's `image: { build }` (components/stackArgs/images.ts) alike, so a new one is rehearsed without a list here.
 * One stack per process (Pulumi's runtime is global state): discoverStack.ts prints one stack's builds.
 */
import { isAbsolute, join, relative } from "node:path";
import type { RecordedResource } from "../harness/programUnderMocks";
import { run } from "./exec";

export interface ImageBuild {
    /** Build context and Dockerfile, relative to the repository root (posix). */
    context: string;
    dockerfile: string;
    target?: string;
    args: Record<string, string>;
    platform?: string;
    /** `<stack>/<resource name>` of every image resource that builds exactly this. */
    builtBy: string[];
}

export const IMAGE_TYPE = "docker:index/image:Image";

/** A build's identity: the same context, Dockerfile, target and args build the same image, whichever stack asks. */
export const buildKey = (b: Pick<ImageBuild, "context" | "dockerfile" | "target" | "args">): string =>
    JSON.stringify([b.context, b.dockerfile, b.target ?? null, Object.entries(b.args).sort(([a], [b]) => a.localeCompare(b))]);

/** The builds of one stack's run; paths outside the repository are refused (the rehearsal builds from its copy). */
export function buildsOf(stack: string, resources: readonly RecordedResource[], repoRoot: string): ImageBuild[] {
    const rel = (p: string, what: string, name: string) => {
        const r = relative(repoRoot, p).split("\\").join("/");
        if (isAbsolute(r) || r.startsWith("..")) throw new Error(`stack ${stack}, image ${name}: its ${what} ${p} is outside the repository; the rehearsal builds from a copy of the repository only`);
        return r === "" ? "." : r;
    };
    return resources
        .filter((r) => r.type === IMAGE_TYPE && r.inputs.build)
        .map((r) => {
            const b = r.inputs.build as { context: string; dockerfile?: string; target?: string; args?: Record<string, string>; platform?: string };
            return {
                context: rel(b.context, "build context", r.name),
                dockerfile: rel(b.dockerfile ?? `${b.context}/Dockerfile`, "Dockerfile", r.name),
                ...(b.target ? { target: b.target } : {}),
                args: { ...(b.args ?? {}) },
                ...(b.platform ? { platform: b.platform } : {}),
                builtBy: [`${stack}/${r.name}`],
            };
        });
}

/** Merges the stacks' builds: one entry per distinct build, naming every stack resource that asks for it. */
export function mergeBuilds(lists: readonly ImageBuild[][]): ImageBuild[] {
    const byKey = new Map<string, ImageBuild>();
    for (const b of lists.flat()) {
        const seen = byKey.get(buildKey(b));
        if (seen) seen.builtBy.push(...b.builtBy.filter((x) => !seen.builtBy.includes(x)));
        else byKey.set(buildKey(b), { ...b, builtBy: [...b.builtBy] });
    }
    return [...byKey.values()];
}

/** Runs test/images/discoverStack.ts for each stack (one process each, two at a time) and merges what they build. */
export async function discoverBuilds(stacks: readonly string[], repoRoot: string): Promise<{ builds: ImageBuild[]; problems: string[] }> {
    const lists: ImageBuild[][] = new Array(stacks.length);
    const problems: string[] = [];
    const one = async (i: number) => {
        const stack = stacks[i];
        const r = await run("npx", ["tsx", join(__dirname, "discoverStack.ts"), stack], { cwd: repoRoot, allowFailure: true, timeoutMs: 300_000 });
        const last = r.stdout.trim().split("\n").at(-1) ?? "";
        let parsed: { builds: ImageBuild[]; error?: string };
        try {
            parsed = JSON.parse(last);
        } catch {
            // The error's own line, not the stack trace under it (`npm run plan -- <stack>` shows it whole).
            const error = r.stderr.split("\n").find((l) => /\b\w*Error\b:/.test(l))?.replace(/^<ref \*\d+> /, "").trim() ?? r.stderr.trim().split("\n").slice(-3).join(" ");
            problems.push(`stack ${stack}: running the program under mocks failed (exit ${r.code}): ${error}; run \`npm run plan -- ${stack}\` for the whole trace`);
            return;
        }
        // A program that refused its config may have registered its images before: those are still rehearsed.
        if (parsed.error) problems.push(`stack ${stack}: the program stopped before it finished (${parsed.error}); its images registered so far are rehearsed`);
        lists[i] = parsed.builds;
    };
    let next = 0;
    await Promise.all([0, 1].map(async () => {
        while (next < stacks.length) await one(next++);
    }));
    return { builds: mergeBuilds(lists.filter(Boolean)), problems };
}

/**
 * The Dockerfiles under examples/ that no stack builds (a handler image is built by a team, not by a stack): rehearsed
 * too, each from its own folder as its header says, after the stacks' images (one may be built FROM the worker's).
 */
export function exampleBuilds(files: readonly string[], stackBuilds: readonly ImageBuild[]): ImageBuild[] {
    const known = new Set(stackBuilds.map((b) => b.dockerfile));
    return files
        .filter((f) => /^examples\/(?:.+\/)?Dockerfile$/.test(f) && !known.has(f))
        .map((f) => ({ context: f.split("/").slice(0, -1).join("/"), dockerfile: f, args: {}, builtBy: ["examples/ (no stack builds it)"] }));
}
