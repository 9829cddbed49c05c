/** Starts a real Azurite (queue + blob) on free loopback ports in a temp folder, telemetry off. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface Azurite {
    readonly connectionString: string;
    stop(): Promise<void>;
}

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

function azuriteEntry(): string {
    const pkgPath = require.resolve("azurite/package.json", { paths: [join(__dirname, "..", "..", "..")] });
    const pkg = require(pkgPath) as { bin: Record<string, string> };
    return join(dirname(pkgPath), pkg.bin.azurite);
}

export async function startAzurite(): Promise<Azurite> {
    const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
    const location = mkdtempSync(join(tmpdir(), "kedascale-azurite-"));
    const proc: ChildProcess = spawn(
        process.execPath,
        [azuriteEntry(), "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", String(blobPort), "--queueHost", "127.0.0.1", "--queuePort", String(queuePort), "--tablePort", String(tablePort)],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Azurite did not start in 30 s:\n${output}`)), 30_000);
        const onData = (chunk: Buffer) => {
            output += chunk.toString();
            if (/Blob service is successfully listening/.test(output) && /Queue service is successfully listening/.test(output)) {
                clearTimeout(timer);
                resolve();
            }
        };
        proc.stdout!.on("data", onData);
        proc.stderr!.on("data", onData);
        proc.once("exit", (code) => (clearTimeout(timer), reject(new Error(`Azurite exited (${code}):\n${output}`))));
    });
    // Azurite's well-known development account (public, documented by Microsoft), never a real credential.
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${queuePort}/devstoreaccount1;`;
    return {
        connectionString,
        async stop() {
            proc.removeAllListeners("exit");
            if (proc.exitCode === null) {
                const exited = new Promise((r) => proc.once("exit", r));
                proc.kill("SIGTERM");
                await exited;
            }
            rmSync(location, { recursive: true, force: true });
        },
    };
}
