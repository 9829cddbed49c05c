/**
 * buildah and podman as this machine lets them run (no Docker engine): as root, images in the rehearsal's own storage
 * (never the machine's default store, so a stand-in tagged `node:…` can never be mistaken for the real image outside
 * the rehearsal), builds with `--isolation chroot`, containers with runc and the cgroupfs manager (crun refuses this
 * machine's cgroup setup), and modest ulimits (podman's raised defaults are refused: "error setting rlimit type 6").
 * Storage: overlay where the kernel mounts it for us (one probe mount), vfs otherwise — vfs copies the whole image per
 * container (~5 s each for the worker), overlay does not.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { run, type Ran, type RunOptions } from "./exec";

/** Where stand-in bases, downloads and the image store live between runs. KEDASCALE_REHEARSAL_CACHE overrides. */
export function cacheDir(): string {
    if (process.env.KEDASCALE_REHEARSAL_CACHE) return process.env.KEDASCALE_REHEARSAL_CACHE;
    const system = "/var/cache/kedascale-rehearsal";
    if (process.getuid?.() === 0) return system;
    return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "kedascale-rehearsal");
}

export type StorageDriver = "overlay" | "vfs";

/** Mounts one overlay in the cache's file system: if the kernel allows it, containers use overlay storage. */
async function overlayWorks(root: string): Promise<boolean> {
    const dir = mkdtempSync(join(root, "overlay-probe-"));
    for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(join(dir, d));
    try {
        const m = await run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`, `${dir}/merged`], { allowFailure: true, timeoutMs: 10_000 });
        if (m.code !== 0) return false;
        await run("umount", [`${dir}/merged`], { timeoutMs: 10_000 });
        return true;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

export class Engine {
    private constructor(
        readonly cache: string,
        readonly driver: StorageDriver,
    ) {}

    static async open(cache = cacheDir()): Promise<Engine> {
        mkdirSync(cache, { recursive: true });
        const forced = process.env.KEDASCALE_REHEARSAL_STORAGE as StorageDriver | undefined;
        const driver = forced ?? ((await overlayWorks(cache)) ? "overlay" : "vfs");
        // Containers' configuration: no registry is reachable, and nothing here may reach one by accident.
        const conf = join(cache, "registries.conf");
        writeFileSync(conf, 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n');
        return new Engine(cache, driver);
    }

    /** One store per driver: a store made by one cannot be read by the other. */
    get storageArgs(): string[] {
        return ["--root", join(this.cache, `storage-${this.driver}`), "--runroot", join(this.cache, `run-${this.driver}`), "--storage-driver", this.driver];
    }

    /** The environment buildah and podman run with. */
    get env(): NodeJS.ProcessEnv {
        return { ...process.env, CONTAINERS_REGISTRIES_CONF: join(this.cache, "registries.conf"), BUILDAH_ISOLATION: "chroot", TMPDIR: this.tmp };
    }

    /** Big temporary files (layer tarballs) beside the store, not in a small /tmp. */
    get tmp(): string {
        const t = join(this.cache, "tmp");
        mkdirSync(t, { recursive: true });
        return t;
    }

    buildah(args: string[], o: RunOptions = {}): Promise<Ran> {
        return run("buildah", [...this.storageArgs, ...args], { ...o, env: { ...this.env, ...o.env } });
    }

    /** podman's whole argument list for `args`: this store, runc, cgroupfs, events in a file (no journald here). */
    podmanArgv(args: string[]): string[] {
        return [...this.storageArgs, "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file", ...args];
    }

    podman(args: string[], o: RunOptions = {}): Promise<Ran> {
        return run("podman", this.podmanArgv(args), { ...o, env: { ...this.env, ...o.env } });
    }

    /** `podman run` flags every rehearsal container gets: runc-compatible ulimits, removed on exit. */
    static readonly RUN_FLAGS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"];

    async imageExists(ref: string): Promise<boolean> {
        return (await this.buildah(["inspect", "--type", "image", ref], { allowFailure: true })).code === 0;
    }

    async inspectImage(ref: string): Promise<ImageInspect> {
        const r = await this.podman(["image", "inspect", ref]);
        return (JSON.parse(r.stdout) as ImageInspect[])[0];
    }

    /** Removes earlier runs' images (untagged once a new build took their name): the store keeps only what is tagged. */
    async pruneDangling(): Promise<void> {
        await this.podman(["image", "prune", "--force"], { allowFailure: true, timeoutMs: 300_000 });
    }

    /** Stops anything this store still runs, from a killed earlier rehearsal. */
    async removeStaleContainers(): Promise<void> {
        await this.podman(["rm", "--all", "--force", "--time", "0"], { allowFailure: true });
        await this.buildah(["rm", "--all"], { allowFailure: true });
    }
}

export interface ImageInspect {
    Id: string;
    Size: number;
    Labels: Record<string, string> | null;
    Config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; Labels?: Record<string, string> | null };
    RootFS: { Layers: string[] };
}

export const exists = (p: string): boolean => existsSync(p);
export const sizeOf = (p: string): number => statSync(p).size;
