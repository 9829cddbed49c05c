/** One rehearsal at a time per cache folder: two would race on the image store and on the stand-ins being made. */
import { openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
};

/** Waits (up to `timeoutMs`) for the cache's lock; returns its release. A lock left by a dead process is taken over. */
export async function lockCache(cache: string, timeoutMs: number, log: (m: string) => void): Promise<() => void> {
    const file = join(cache, "rehearsal.lock");
    const deadline = Date.now() + timeoutMs;
    let told = false;
    for (;;) {
        try {
            const fd = openSync(file, "wx");
            writeFileSync(fd, String(process.pid));
            closeSync(fd);
            return () => rmSync(file, { force: true });
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        const holder = Number(readFileSync(file, "utf8").trim() || "0");
        if (!holder || !alive(holder)) {
            rmSync(file, { force: true });
            continue;
        }
        if (Date.now() > deadline) throw new Error(`another rehearsal (pid ${holder}) has held ${file} for over ${timeoutMs / 1000} s`);
        if (!told) log(`waiting for another rehearsal (pid ${holder}) to finish`);
        told = true;
        await new Promise((r) => setTimeout(r, 1000));
    }
}
