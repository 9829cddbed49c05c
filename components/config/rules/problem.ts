/** A preflight finding: which config keys, what is wrong with which value, and how to fix it. */
export interface Problem {
    readonly severity: "error" | "warning";
    /** Config keys involved, as `kedascale:<key>.<path>`. */
    readonly keys: readonly string[];
    /** What is wrong, naming the offending value. */
    readonly message: string;
    /** What to change. */
    readonly fix: string;
}

export const error = (keys: string[], message: string, fix: string): Problem => ({ severity: "error", keys, message, fix });
export const warning = (keys: string[], message: string, fix: string): Problem => ({ severity: "warning", keys, message, fix });

export function formatProblem(p: Problem): string {
    return `${p.keys.join(", ")}: ${p.message}. Fix: ${p.fix}`;
}

/** Thrown when config is invalid; its message lists every error so one preview shows them all. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly Problem[]) {
        super(
            `kedascale config is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}), nothing was deployed:\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** `kedascale:` prefix plus a dotted path, the way users write keys in `pulumi config set --path`. */
export const key = (...path: (string | number)[]): string =>
    "kedascale:" + path.map((p, i) => (typeof p === "number" ? `[${p}]` : (i > 0 ? "." : "") + p)).join("");
