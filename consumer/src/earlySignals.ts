/**
 * Imported first by the CLI entry, so its handlers are in place before anything else loads (see signals.ts).
 * The command is the first argument that is not an option (the program has no global options taking values).
 */
import { installSignalHandlers } from "./signals";

const command = process.argv.slice(2).find((a) => !a.startsWith("-"));
installSignalHandlers(command === "work" ? () => 0 : undefined);
