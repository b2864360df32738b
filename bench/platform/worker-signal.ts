/**
 * Platform probe (docs/platform-notes.md "Signals and Workers"): does a Worker's process.on("SIGTERM") run? The probe
 * starts itself as a child process whose Worker (only) installs a SIGTERM handler, sends the child SIGTERM, and
 * prints the child's exit code and output. Then the same with the handler on the child's main thread.
 *
 *   bun bench/platform/worker-signal.ts
 */
import { isMainThread } from "node:worker_threads";
import { writeSync } from "node:fs";

const role = process.argv[2];
if (!isMainThread) {
  process.on("SIGTERM", () => {
    writeSync(1, "worker: SIGTERM handler ran\n");
    process.exit(0);
  });
  postMessage("ready");
} else if (role === "child-worker") {
  const w = new Worker(new URL(import.meta.url).href);
  w.addEventListener("message", () => writeSync(1, "ready\n"));
  setInterval(() => {}, 1000);
} else if (role === "child-main") {
  process.on("SIGTERM", () => {
    writeSync(1, "main: SIGTERM handler ran\n");
    process.exit(0);
  });
  writeSync(1, "ready\n");
  setInterval(() => {}, 1000);
} else {
  for (const where of ["child-worker", "child-main"]) {
    const child = Bun.spawn([process.execPath, import.meta.path, where], { stdout: "pipe", stderr: "inherit" });
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    child.kill("SIGTERM");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    const code = await child.exited;
    console.log(`handler in ${where === "child-worker" ? "a Worker" : "the main thread"}: exit ${code}` +
      `${child.signalCode ? ` (${child.signalCode})` : ""}, output ${JSON.stringify(out.replace("ready\n", ""))}`);
  }
}
