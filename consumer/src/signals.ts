/**
 * SIGTERM/SIGINT handling from the first line of the program, before any module that does I/O is loaded.
 *
 * Kubernetes may SIGTERM a pod at any moment, also while the worker is still loading or running its preflight
 * (a scale-in right after a scale-out, a Job deleted). Without a handler Node dies of the signal (no exit code),
 * which a Job counts as a failure and a test as a crash. Until a command claims the signals, a signal ends the
 * process at once and cleanly: for `work` with exit 0, since nothing can be in flight before its loop started;
 * for the other commands with the conventional 128 + signal number (130 for Ctrl-C, as `send` documents).
 */

type SignalHandler = (signal: NodeJS.Signals) => void;

const SIGNALS = ["SIGTERM", "SIGINT"] as const;
const NUMBERS: Record<(typeof SIGNALS)[number], number> = { SIGTERM: 15, SIGINT: 2 };

/**
 * Process-wide, kept on globalThis: the launcher (dist/worker.cjs) and the CLI (dist/cli.cjs) are separate bundles,
 * each with its own copy of this module, and must share one set of handlers.
 */
interface SignalState {
    installed: boolean;
    claimed?: SignalHandler;
    earlyExitCode: (signal: NodeJS.Signals) => number;
}
const KEY = Symbol.for("kedascale.signals");
const state: SignalState = ((globalThis as Record<symbol, SignalState>)[KEY] ??= {
    installed: false,
    earlyExitCode: (s) => 128 + (NUMBERS[s as keyof typeof NUMBERS] ?? 15),
});

function onSignal(signal: NodeJS.Signals): void {
    if (state.claimed) return state.claimed(signal);
    const code = state.earlyExitCode(signal);
    process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level: "info", msg: "stopped before start: nothing was in flight", signal, exitCode: code }) + "\n");
    process.exit(code);
}

/** Installs the process-wide handlers (once). `exitCode` decides the exit code of a signal that comes before claimSignals(). */
export function installSignalHandlers(exitCode?: (signal: NodeJS.Signals) => number): void {
    if (exitCode) state.earlyExitCode = exitCode;
    if (state.installed) return;
    state.installed = true;
    for (const s of SIGNALS) process.on(s, onSignal);
}

/** From now on `handler` receives every SIGTERM/SIGINT (the command takes over: graceful stop, Ctrl-C twice, …). */
export function claimSignals(handler: SignalHandler): void {
    state.claimed = handler;
}
