/**
 * @module cli/reload-record
 * How `grocketd reload` learns what its SIGHUP came to. A signal carries no reply, so the master keeps a small JSON
 * file next to its pid file, `<server.pid_file>.reload`, with its pid and its last few SIGHUP reloads: a sequence
 * number, "running" once the signal is taken, then "done" with the outcome (the new generation, or the reasons it was
 * refused). The command reads the last sequence number, signals, and waits for a newer record to be done. This works
 * wherever `grocketd reload` can work at all (it needs the pid file anyway), with or without a status listener, and
 * needs no socket. The file is replaced atomically (pid-file.ts), so a reader never sees half of it. Signals
 * arriving together may be merged by the kernel into one reload; every command waiting then reports that reload.
 */
import { readFileSync } from "node:fs";
import { removeIfOurs, replaceFileSafely } from "./pid-file.ts";

/** What a reload came to (master.ts ReloadOutcome, restated here so this file does not import the master). */
export type RecordedOutcome =
  | { ok: true; generation: number; draining: number }
  | { ok: false; reason: string; problems: string[] };

export interface ReloadRecord {
  readonly seq: number;
  state: "running" | "done";
  /** How long the command should wait for "done" (milliseconds): the start timeout plus time to plan. */
  readonly wait_ms: number;
  outcome?: RecordedOutcome;
}

export interface ReloadFile {
  readonly pid: number;
  readonly records: ReloadRecord[];
}

const KEEP = 8;

/** The file beside `pidFile`. */
export function reloadFileOf(pidFile: string): string {
  return `${pidFile}.reload`;
}

/** The master's side: one record per SIGHUP. */
export class ReloadRecords {
  private seq = 0;
  private readonly records: ReloadRecord[] = [];

  constructor(
    readonly path: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** A SIGHUP was taken; call the function returned with the outcome. */
  started(startTimeoutMs: number): (o: RecordedOutcome) => void {
    const rec: ReloadRecord = { seq: ++this.seq, state: "running", wait_ms: Math.max(startTimeoutMs, 60_000) + 30_000 };
    this.records.push(rec);
    if (this.records.length > KEEP) this.records.shift();
    this.write();
    return (outcome) => {
      rec.state = "done";
      rec.outcome = outcome;
      this.write();
    };
  }

  private write(): void {
    try {
      replaceFileSafely(this.path, JSON.stringify({ pid: process.pid, records: this.records } satisfies ReloadFile) + "\n");
    } catch (err) {
      this.onError(err);
    }
  }

  remove(): void {
    removeIfOurs(this.path, (text) => (JSON.parse(text) as ReloadFile).pid === process.pid);
  }
}

/** The command's side: `pid`'s records, [] when the file is missing, unreadable or another process's. */
export function readReloadRecords(path: string, pid: number): ReloadRecord[] {
  try {
    const f = JSON.parse(readFileSync(path, "utf8")) as ReloadFile;
    return f.pid === pid && Array.isArray(f.records) ? f.records : [];
  } catch {
    return [];
  }
}
