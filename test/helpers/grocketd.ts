// Starts the real `grocketd` command as a child process (loopback only) and waits until it listens; every test
// stops the processes it started, by PID.
import type { Subprocess } from "bun";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const ENTRY = resolve(ROOT, "src/grocketd.ts");

export interface Running {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly pid: number;
  /** Actual ports, in listen-entry order. */
  readonly ports: number[];
  output(): string;
  /** Resolves with the first match of re in the combined output (waits for it). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GROCKETD_")) env[k] = v;
  return { ...env, ...extra };
}

function collect(proc: Subprocess<"ignore", "pipe", "pipe">): { text: () => string; changed: (cb: () => void) => void } {
  let text = "";
  const listeners: Array<() => void> = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      for (const l of listeners.splice(0)) l();
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return { text: () => text, changed: (cb) => listeners.push(cb) };
}

/** How long startGrocketd waits for the listening lines. */
const START_WAIT_MS = 30_000;

export async function startGrocketd(
  args: string[],
  /** `command`: what to run instead of `bun src/grocketd.ts` (e.g. the single binary). */
  opts: { env?: Record<string, string>; cwd?: string; expectListening?: number; command?: string[] } = {},
): Promise<Running> {
  const proc = Bun.spawn([...(opts.command ?? [process.execPath, ENTRY]), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: cleanEnv(opts.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = collect(proc);
  const waitFor = (re: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${re} in:\n${out.text()}`)), timeoutMs);
      const check = () => {
        const m = out.text().match(re);
        if (m) {
          clearTimeout(timer);
          res(m);
        } else if (proc.exitCode !== null) {
          clearTimeout(timer);
          rej(new Error(`grocketd exited (${proc.exitCode}) before ${re}:\n${out.text()}`));
        } else out.changed(check);
      };
      void proc.exited.then(() => setTimeout(check, 50));
      check();
    });
  const running: Running = {
    proc,
    pid: proc.pid,
    ports: [],
    output: out.text,
    waitFor,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (proc.exitCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const code = await proc.exited;
      clearTimeout(timer);
      return code;
    },
  };
  const expected = opts.expectListening ?? 1;
  try {
    // Bounded, but not tightly: with other work on the machine a start of several processes has taken over 10 s.
    await waitFor(new RegExp(`(listening on \\S+[\\s\\S]*){${expected}}`), START_WAIT_MS);
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  for (const m of out.text().matchAll(/listening on [a-z]+:\/\/[^\s]*:(\d+)/g)) running.ports.push(Number(m[1]));
  return running;
}

/** Runs grocketd to completion (for --check, --help and start-up failures). */
export async function runGrocketd(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}) {
  const proc = Bun.spawn([process.execPath, ENTRY, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: cleanEnv(opts.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 15_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * Counts the lines of `running`'s output that match `re` now; `grew()` waits (3 s at most) until there is one more,
 * and throws naming `re` when there is not (a log line a test expects from what it does next).
 */
export function outputGrowth(running: Running, re: RegExp): { grew(): Promise<void>; added(): number } {
  const global = new RegExp(re.source, re.flags.includes("g") ? re.flags : `${re.flags}g`);
  const seen = () => running.output().match(global)?.length ?? 0;
  const before = seen();
  return {
    async grew() {
      const deadline = performance.now() + 3000;
      while (seen() <= before && performance.now() < deadline) await Bun.sleep(5);
      if (seen() <= before) throw new Error(`no new line matching ${re} in the output:\n${running.output().slice(-2000)}`);
    },
    /** Lines matching `re` written since (no wait). */
    added: () => seen() - before,
  };
}
