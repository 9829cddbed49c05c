/** One JSON object per line on stdout: what log collectors (Container Insights, Loki) parse without config. */
export type Fields = Record<string, unknown>;

let quiet = false;
export function setQuiet(value: boolean): void {
    quiet = value;
}

function write(level: "info" | "warn" | "error", msg: string, fields: Fields): void {
    if (quiet && level === "info") return;
    process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }) + "\n");
}

export const log = {
    info: (msg: string, fields: Fields = {}) => write("info", msg, fields),
    warn: (msg: string, fields: Fields = {}) => write("warn", msg, fields),
    error: (msg: string, fields: Fields = {}) => write("error", msg, fields),
};

export function errorText(e: unknown): string {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
