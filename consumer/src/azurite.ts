/**
 * Starts a real Azurite (queue + blob) on free loopback ports in a temp folder, telemetry off: for `npm run demo`
 * and the tests (consumer/test/support/azurite.ts re-exports this). A port taken between picking and binding
 * (another process won the race) makes Azurite exit; that is retried on fresh ports, then reported with its output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface Azurite {
    readonly connectionString: string;
    readonly blobEndpoint: string;
    readonly queueEndpoint: string;
    /** Its data folder (removed by stop). */
    readonly location: string;
    /** Stops Azurite and removes its folder; safe to call twice. */
    stop(): Promise<void>;
}

/** A port the OS just gave out on 127.0.0.1 (free now; a race with another process is possible, see above). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
        });
    });
}

/** Azurite's entry script, from the `azurite` package (a root devDependency), wherever npm hoisted it. */
export function azuriteEntry(): string {
    let pkgPath: string;
    try {
        pkgPath = require.resolve("azurite/package.json", { paths: [process.cwd(), join(__dirname, ".."), join(__dirname, "..", "..")] });
    } catch {
        throw new Error("the azurite package is not installed: run `npm ci` at the repository root (it is a root devDependency)");
    }
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin: string | Record<string, string> };
    return join(dirname(pkgPath), typeof pkg.bin === "string" ? pkg.bin : pkg.bin.azurite);
}

// Azurite's well-known development account (public, documented by Microsoft), never a real credential.
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface StartAzuriteOptions {
    /** How long to wait for both services to listen. Default 30 s. */
    startTimeoutMs?: number;
    /** Fresh-port attempts when a port was taken in the meantime. Default 3. */
    attempts?: number;
    /**
     * Serve HTTPS with this PEM certificate and key (Azurite's --cert/--key). Needed for SAS tokens restricted to
     * HTTPS (`spr=https`, as the stack issues them): Azurite refuses them over HTTP. Default: HTTP.
     */
    tls?: { certPath: string; keyPath: string };
}

export async function startAzurite(o: StartAzuriteOptions = {}): Promise<Azurite> {
    const attempts = o.attempts ?? 3;
    let lastError: Error | undefined;
    for (let i = 0; i < attempts; i++) {
        try {
            return await startOnce(o.startTimeoutMs ?? 30_000, o.tls);
        } catch (e) {
            lastError = e as Error;
            // Only a port clash is worth another try; anything else would fail the same way again.
            if (!/EADDRINUSE/.test(lastError.message)) throw lastError;
        }
    }
    throw lastError!;
}

async function startOnce(startTimeoutMs: number, tls?: StartAzuriteOptions["tls"]): Promise<Azurite> {
    const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
    const location = mkdtempSync(join(tmpdir(), "kedascale-azurite-"));
    const proc: ChildProcess = spawn(
        process.execPath,
        // The SDKs here may be newer than Azurite's API version: --skipApiVersionCheck, or every call is refused.
        [azuriteEntry(), "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", String(blobPort), "--queueHost", "127.0.0.1", "--queuePort", String(queuePort),
            "--tableHost", "127.0.0.1", "--tablePort", String(tablePort), ...(tls ? ["--cert", tls.certPath, "--key", tls.keyPath] : [])],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const stop = async () => {
        proc.removeAllListeners("exit");
        if (proc.exitCode === null && proc.signalCode === null) {
            const exited = new Promise((r) => proc.once("exit", r));
            proc.kill("SIGTERM");
            await exited;
        }
        rmSync(location, { recursive: true, force: true });
    };
    try {
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs);
            const onData = (chunk: Buffer) => {
                output += chunk.toString();
                if (/Blob service is successfully listening/.test(output) && /Queue service is successfully listening/.test(output)) {
                    clearTimeout(timer);
                    resolve();
                }
            };
            proc.stdout!.on("data", onData);
            proc.stderr!.on("data", onData);
            proc.once("error", (e) => (clearTimeout(timer), reject(e)));
            proc.once("exit", (code, signal) => (clearTimeout(timer), reject(new Error(`Azurite exited (${code ?? signal}) before listening on 127.0.0.1:${blobPort}/${queuePort}:\n${output}`))));
        });
    } catch (e) {
        await stop();
        throw e;
    }
    const scheme = tls ? "https" : "http";
    const blobEndpoint = `${scheme}://127.0.0.1:${blobPort}/${DEV_ACCOUNT}`;
    const queueEndpoint = `${scheme}://127.0.0.1:${queuePort}/${DEV_ACCOUNT}`;
    return {
        connectionString: `DefaultEndpointsProtocol=${scheme};AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};`,
        blobEndpoint,
        queueEndpoint,
        location,
        stop,
    };
}
