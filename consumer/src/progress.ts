/**
 * Progress bars for people: drawn on stderr only when stderr is a terminal. In pods, CI and pipes nothing is drawn,
 * so logs stay one JSON object per line.
 */
import { interop } from "./interop";
import { setProgressLine } from "./log";

export interface Progress {
    update(value: number, extra?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
}

const NONE: Progress = { update() {}, setTotal() {}, stop() {} };

/**
 * `format` uses cli-progress tokens ({bar}, {value}, {total}, {eta}) plus {rate} (per second since start) and any
 * `extra` field. Returns a no-op when stderr is not a TTY.
 */
export async function startProgress(format: string, total: number): Promise<Progress> {
    if (!process.stderr.isTTY) return NONE;
    // Loaded only on a terminal: pods never pay for it.
    const { SingleBar, Presets } = interop(await import("cli-progress"));
    const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 50 }, Presets.shades_classic);
    const started = Date.now();
    bar.start(total, 0, { rate: 0 });
    setProgressLine({ clear: () => process.stderr.write("\r\x1b[2K") });
    let stopped = false;
    return {
        update(value, extra = {}) {
            if (!stopped) bar.update(value, { rate: Math.round(value / Math.max((Date.now() - started) / 1000, 1e-3)), ...extra });
        },
        setTotal(t) {
            if (!stopped) bar.setTotal(t);
        },
        stop() {
            if (stopped) return;
            stopped = true;
            bar.stop();
            setProgressLine(undefined);
        },
    };
}
