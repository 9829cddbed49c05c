/**
 * What the rehearsal needs from the machine, installed from Debian's packages when missing (CI starts from a fresh
 * machine and runs as root; elsewhere passwordless sudo is used if there is one): buildah builds, podman runs, runc
 * is the OCI runtime (crun refuses this machine's cgroup setup), debootstrap makes the Debian stand-in bases.
 */
import { existsSync } from "node:fs";
import { RehearsalError, onPath, run } from "./exec";

/** Command → Debian package. */
export const TOOLS: Readonly<Record<string, string>> = { buildah: "buildah", podman: "podman", runc: "runc", debootstrap: "debootstrap" };

async function asRoot(args: string[]): Promise<string[]> {
    if (process.getuid?.() === 0) return args;
    if (await onPath("sudo")) return ["sudo", "-n", ...args];
    throw new RehearsalError("installing the image tools", "not root and no sudo: run as root, or install buildah podman runc debootstrap first");
}

/** Installs the missing tools; returns the packages it installed (none when all were there). */
export async function ensureTools(log: (msg: string) => void): Promise<string[]> {
    const missing: string[] = [];
    for (const [cmd, pkg] of Object.entries(TOOLS)) if (!(await onPath(cmd))) missing.push(pkg);
    // debootstrap checks Debian's Release signatures with this keyring (not on Ubuntu by default).
    if (!existsSync("/usr/share/keyrings/debian-archive-keyring.gpg")) missing.push("debian-archive-keyring");
    if (missing.length === 0) return [];
    if (!(await onPath("apt-get"))) throw new RehearsalError("installing the image tools", `missing ${missing.join(", ")} and no apt-get to install them`);
    log(`installing ${missing.join(", ")} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    // Another apt-get may hold dpkg's lock (a machine's own start-up, another job): wait for it instead of failing.
    const lock = ["-o", "DPkg::Lock::Timeout=600"];
    const [cmd, ...pre] = await asRoot(["apt-get"]);
    await run(cmd, [...pre, ...lock, "update", "-q"], { env, timeoutMs: 900_000 });
    await run(cmd, [...pre, ...lock, "install", "-y", "-q", ...missing], { env, timeoutMs: 1_200_000 });
    for (const [c, pkg] of Object.entries(TOOLS)) if (!(await onPath(c))) throw new RehearsalError("installing the image tools", `apt-get installed ${pkg}, but ${c} is still not on PATH`);
    return missing;
}
