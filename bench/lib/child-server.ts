// Starting and stopping a server under test as a child process: wait for its "listening … <port>" line, keep its
// output drained (a full pipe would stall it), and stop it by PID with SIGTERM, then SIGKILL.

import type { Subprocess } from "bun";

export interface ChildServer {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** The last few KiB of stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM (or the `stopSignal` option), then SIGKILL after `graceMs`; resolves with the exit code or signal name. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface StartOptions {
  cwd?: string;
  /** The child's environment (default: this process's). */
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
  /** Finds the port in a line; the default matches "listening 1234" and "listening on tcp://127.0.0.1:1234". */
  readyPattern?: RegExp;
  /**
   * For a server that prints no listening line (nginx): the port it was told to use, and a probe polled every 25 ms
   * until it returns true. Replaces `readyPattern`.
   */
  ready?: { port: number; probe: () => boolean | Promise<boolean> };
  /** The signal `stop()` sends first (default SIGTERM; nginx's graceful stop is SIGQUIT). SIGKILL follows after the grace. */
  stopSignal?: NodeJS.Signals;
  /** Called with every piece of output as it arrives (stdout and stderr), beyond the tail kept for errors. */
  onOutput?: (text: string) => void;
}

const DEFAULT_READY = /listening\s+(?:on\s+)?(?:[a-z]+:\/\/\S*:)?(\d+)\b/;
const TAIL = 8192;
const live = new Set<ChildServer>();

/** Servers started and not stopped yet (for cleanup on SIGINT). */
export function liveServers(): ChildServer[] {
  return [...live];
}

export async function startServer(name: string, cmd: string[], opts: StartOptions = {}): Promise<ChildServer> {
  const pattern = opts.readyPattern ?? DEFAULT_READY;
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: opts.env ?? process.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let tail = "";
  let lineBuf = "";
  let onPort: ((port: number) => void) | null = null;
  const portFound = new Promise<number>((res) => {
    onPort = res;
  });
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const bytes of stream) {
      const text = dec.decode(bytes, { stream: true });
      tail = (tail + text).slice(-TAIL);
      opts.onOutput?.(text);
      if (!onPort) continue;
      lineBuf += text;
      let nl: number;
      while (onPort && (nl = lineBuf.indexOf("\n")) >= 0) {
        const m = pattern.exec(lineBuf.slice(0, nl));
        lineBuf = lineBuf.slice(nl + 1);
        const port = m ? Number(m[1]) : 0;
        if (port > 0) {
          const found: (port: number) => void = onPort;
          onPort = null;
          found(port);
        }
      }
    }
  };
  void pump(proc.stdout).catch(() => {});
  void pump(proc.stderr).catch(() => {});

  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  const stop = async (graceMs = 3000): Promise<number | string> => {
    live.delete(server);
    if (!exited) {
      proc.kill(opts.stopSignal ?? "SIGTERM");
      const timer = setTimeout(() => {
        if (!exited) proc.kill("SIGKILL");
      }, graceMs);
      await proc.exited;
      clearTimeout(timer);
    }
    return proc.signalCode ?? proc.exitCode ?? -1;
  };
  const server: ChildServer = { name, pid: proc.pid, port: 0, proc, output: () => tail, stop };
  live.add(server);

  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let probing = true;
  if (opts.ready) {
    const { port, probe } = opts.ready;
    void (async () => {
      while (probing && !exited) {
        if (await Promise.resolve(probe()).catch(() => false)) {
          const found = onPort as ((port: number) => void) | null;
          onPort = null;
          found?.(port);
          return;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
  }
  const outcome = await Promise.race([
    portFound.then((port) => ({ port })),
    proc.exited.then((code) => ({ exit: code })),
    new Promise<{ timeout: true }>((res) => {
      timer = setTimeout(() => res({ timeout: true }), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  probing = false;
  if ("port" in outcome) return Object.assign(server, { port: outcome.port });
  await stop(500);
  const why =
    "exit" in outcome
      ? `exited with ${outcome.exit}`
      : opts.ready
        ? `was not ready on port ${opts.ready.port} within ${timeoutMs} ms`
        : `did not print a listening line within ${timeoutMs} ms`;
  throw new Error(`${name} (${cmd.join(" ")}) ${why}; output:\n${tail}`);
}
