// A prewarmed I/O thread is told the validated modules before its start message ("preload", io/messages.ts) and
// imports them at once; its start takes those imports. These tests drive the thread directly, as the master does:
// the start uses the module as it was imported on the preload (not a second import after the start message), a
// module that fails to import in the thread fails the start with the same report whether or not it was preloaded,
// and a start naming other modules than the preload imports those.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defaultConfig } from "../../src/config/keys.ts";
import { parseListenUrl, type ListenEntry } from "../../src/config/listen-url.ts";
import type { FromThread, ToThread } from "../../src/io/messages.ts";
import { ROOT } from "../helpers/grocketd.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-preload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A TCP module answering `reply` to every line; on import in a Worker it says so to whoever started the Worker. A
 * plain definition object (what defineModule returns), so the file needs no "grocketd" package where it lies.
 */
function writeModule(file: string, reply: string, extra = ""): void {
  writeFileSync(
    file,
    `${extra}\n` +
      `if (!Bun.isMainThread) postMessage({ t: "fixture-imported", reply: ${JSON.stringify(reply)} });\n` +
      `export default ({ name: "pre", version: "1.0.0", grocketd: "^0.1.0", check: (b, s, e) => { const i = b.indexOf(10, s); return i < 0 || i >= e ? 0 : i - s + 1; }, proc: () => ${JSON.stringify(reply + "\n")} });\n`,
  );
}

function startMessage(file: string, name = "pre"): ToThread {
  const config = defaultConfig();
  config.log.level = "silent";
  return { t: "start", index: 0, proc: null, config, pool: null, modules: [{ file, name }], bindings: [{ entry: parseListenUrl("tcp://127.0.0.1:0") as ListenEntry, module: name }] };
}

/** The next message of `t` from the thread (bounded wait). */
function next(worker: Worker, t: string): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no ${t} message within 10 s`)), 10_000);
    const on = (e: MessageEvent) => {
      const m = e.data as Record<string, unknown>;
      if (m.t !== t && !(t === "listening" && m.t === "start-failed")) return;
      clearTimeout(timer);
      worker.removeEventListener("message", on);
      res(m);
    };
    worker.addEventListener("message", on);
  });
}

async function ask(port: number): Promise<string> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error("no reply within 5 s")), 5000);
    let got = "";
    void Bun.connect({
      hostname: "127.0.0.1", port,
      socket: {
        open: (s) => void s.write("hi\n"),
        data: (s, d) => {
          got += d.toString();
          if (got.endsWith("\n")) {
            clearTimeout(timer);
            s.end();
            res(got);
          }
        },
        error: (_s, e) => rej(e),
      },
    });
  });
}

async function stop(worker: Worker): Promise<void> {
  const done = next(worker, "stopped").catch(() => null);
  worker.postMessage({ t: "stop", drainMs: 0, mode: "stop" } satisfies ToThread);
  await done;
  worker.terminate();
}

describe("I/O thread preload", () => {
  test("the start serves the module as the preload imported it (the file changed in between: not imported again)", async () => {
    const file = join(dir, "changes.ts");
    writeModule(file, "preloaded");
    const worker = new Worker(resolve(ROOT, "src/thread/io-thread.ts"));
    try {
      const imported = next(worker, "fixture-imported");
      worker.postMessage({ t: "preload", modules: [{ file, name: "pre" }] } satisfies ToThread);
      expect(await imported).toMatchObject({ reply: "preloaded" });
      writeModule(file, "imported after the start message");
      const listening = next(worker, "listening");
      worker.postMessage(startMessage(file));
      const m = await listening;
      expect(m).toMatchObject({ t: "listening" });
      expect(await ask((m.ports as number[])[0]!)).toBe("preloaded\n");
      await stop(worker);
    } finally {
      worker.terminate();
    }
  }, 30_000);

  test("a module that fails to import in the thread fails the start with the same report, preloaded or not", async () => {
    const file = join(dir, "throws-in-thread.ts");
    writeModule(file, "never", 'if (!Bun.isMainThread) throw new Error("no thread for me");');
    const reports: unknown[] = [];
    for (const preload of [false, true]) {
      const worker = new Worker(resolve(ROOT, "src/thread/io-thread.ts"));
      try {
        if (preload) worker.postMessage({ t: "preload", modules: [{ file, name: "pre" }] } satisfies ToThread);
        const failed = next(worker, "listening");
        worker.postMessage(startMessage(file));
        reports.push(await failed);
      } finally {
        worker.terminate();
      }
    }
    expect(reports[0]).toMatchObject({ t: "start-failed", code: "GRK_ERR_MODULE_IMPORT" });
    expect((reports[0] as { message: string }).message).toContain("no thread for me");
    expect(reports[1]).toEqual(reports[0]);
  }, 30_000);

  test("a start naming another module than the preload imports the one it names", async () => {
    const a = join(dir, "a.ts");
    const b = join(dir, "b.ts");
    writeModule(a, "from a");
    writeModule(b, "from b");
    const worker = new Worker(resolve(ROOT, "src/thread/io-thread.ts"));
    try {
      worker.postMessage({ t: "preload", modules: [{ file: a, name: "pre" }] } satisfies ToThread);
      const listening = next(worker, "listening");
      worker.postMessage(startMessage(b));
      const m = await listening;
      expect(m).toMatchObject({ t: "listening" });
      expect(await ask((m.ports as number[])[0]!)).toBe("from b\n");
      await stop(worker);
    } finally {
      worker.terminate();
    }
  }, 30_000);
});
