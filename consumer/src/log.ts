/**
 * One JSON object per line on **stderr**: what log collectors (Container Insights, Loki) parse without config, and
 * out of the way of the JSON summaries `send` and `verify` print on stdout (`… | jq` sees only the summary).
 */
export type Fields = Record<string, unknown>;

let quiet = false;
export function setQuiet(value: boolean): void {
    quiet = value;
}

/** A progress bar drawn on stderr: a line written under it must clear it first, and it redraws on its next tick. */
let progressLine: { clear(): void } | undefined;
export function setProgressLine(line: { clear(): void } | undefined): void {
    progressLine = line;
}

function write(level: "info" | "warn" | "error", msg: string, fields: Fields): void {
    // While a bar is shown (a TTY only), per-message info lines would scroll it away; warnings and errors still print.
    if ((quiet || progressLine) && level === "info") return;
    progressLine?.clear();
    process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }) + "\n");
}

export const log = {
    info: (msg: string, fields: Fields = {}) => write("info", msg, fields),
    warn: (msg: string, fields: Fields = {}) => write("warn", msg, fields),
    error: (msg: string, fields: Fields = {}) => write("error", msg, fields),
};

/**
 * An error as text for a log field. The message, never the class name: in the minified bundle our own classes'
 * names are two letters ("FM: …"); SDK errors keep their codes, which say more.
 */
export function errorText(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    const code = (e as { code?: unknown }).code;
    const status = (e as { statusCode?: unknown }).statusCode;
    const tag = [status, typeof code === "string" && !e.message.includes(code) ? code : undefined].filter((x) => x !== undefined).join(" ");
    const message = e.message.split("\n")[0] || e.name;
    return tag ? `${message} (${tag})` : message;
}
