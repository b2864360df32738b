// The production kit in deploy/ is checked, not just shipped: the Dockerfile, kubernetes.yaml (Bun.YAML) and the
// systemd unit must agree with the kit's grocketd.toml (Bun.TOML) and with the defaults of the key table
// (src/config/keys.ts) on ports, paths, signals and timeouts; grocketd --check must accept the kit's config; and
// deploy/healthcheck.ts, which the Docker HEALTHCHECK and the Kubernetes probes run, must really tell a serving
// grocketd from a stopped one. No container engine or systemd runs here, so the images and units are not started.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { configKeys } from "../../src/config/keys.ts";
import { ROOT, runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { KIT_STATUS_LISTEN } from "../../deploy/healthcheck.ts";

const read = (f: string) => readFileSync(resolve(ROOT, f), "utf8");
const toml = Bun.TOML.parse(read("deploy/grocketd.toml")) as { server: { listen: string[]; drain_ms: number }; status: { listen: string } };
const yamlDocs = Bun.YAML.parse(read("deploy/kubernetes.yaml")) as Array<Record<string, any>>;
const README = read("README.md");

/** The effective drain: the kit's value, which must be the default anyway. */
const drainMs = toml.server.drain_ms;
/** The stop budget every supervisor gets: the drain, plus 5 s for the term hooks and the exit. */
const stopSeconds = Math.ceil(drainMs / 1000) + 5;
const kitPorts = toml.server.listen.map((u) => Number(new URL(u).port)).sort();

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function dockerfile(): Array<{ op: string; args: string }> {
  return read("deploy/Dockerfile")
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))
    .map((l) => {
      const m = /^\s*(\S+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    });
}

/** systemd unit: section → key → value (the last one wins, as in systemd for these keys). */
function unit(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = "";
  for (const l of read("deploy/grocketd.service").split("\n")) {
    const s = /^\[(.+)\]$/.exec(l.trim());
    if (s) out[(section = s[1]!)] = {};
    else if (section !== "" && /^[A-Za-z]+=/.test(l)) out[section]![l.slice(0, l.indexOf("="))] = l.slice(l.indexOf("=") + 1);
  }
  return out;
}

let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

describe("deploy kit", () => {
  test("grocketd.toml: the defaults where the kit relies on them, accepted by grocketd --check", async () => {
    expect(toml.server.listen).toEqual(configKeys.server.listen.default as string[]);
    expect(drainMs).toBe(configKeys.server.drain_ms.default as number);
    expect(new URL(toml.status.listen).hostname).toBe("127.0.0.1"); // loopback: no status.token needed
    expect(KIT_STATUS_LISTEN).toBe(toml.status.listen);
    const check = await runGrocketd(["--check", "--config", resolve(ROOT, "deploy/grocketd.toml")]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    for (const u of toml.server.listen) expect(check.stdout).toContain(`listen ${u} -> echo`);
  });

  test("Dockerfile: multi-stage, npm ci --omit=dev brings Bun, non-root, HEALTHCHECK /healthz, STOPSIGNAL SIGTERM, the kit's ports and paths", () => {
    const ins = dockerfile();
    const from = ins.filter((i) => i.op === "FROM");
    expect(from.length).toBeGreaterThanOrEqual(2);
    expect(ins.some((i) => i.op === "RUN" && i.args.includes("npm ci --omit=dev"))).toBe(true);
    expect(ins.some((i) => i.op === "COPY" && i.args.startsWith("--from=deps /app/node_modules"))).toBe(true);
    const user = ins.filter((i) => i.op === "USER").at(-1)!.args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(ins.find((i) => i.op === "STOPSIGNAL")!.args).toBe("SIGTERM");
    const health = ins.find((i) => i.op === "HEALTHCHECK")!.args;
    expect(health).toContain('"/app/deploy/healthcheck.ts", "/healthz"]');
    expect(ins.find((i) => i.op === "EXPOSE")!.args.split(/\s+/).map(Number).sort()).toEqual(kitPorts);
    // Every file the image runs is copied in, and exists in the repository.
    const copied = ins.filter((i) => i.op === "COPY" && !i.args.startsWith("--from")).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const f of copied) expect(existsSync(resolve(ROOT, f))).toBe(true);
    expect(copied).toEqual(expect.arrayContaining(["bin", "src", "modules", "package.json", "deploy/grocketd.toml", "deploy/healthcheck.ts"]));
    expect(ins.find((i) => i.op === "ENTRYPOINT")!.args).toBe('["/app/bin/grocketd"]');
    expect(ins.find((i) => i.op === "CMD")!.args).toBe('["--config", "/app/deploy/grocketd.toml"]');
    // docker stop's budget, said in the file's own usage line and in the README.
    expect(read("deploy/Dockerfile")).toContain(`docker run --rm --stop-timeout ${stopSeconds} `);
  });

  test("kubernetes.yaml: probes on the status listener, preStop + grace from drain_ms, ports, a Service, the Redis note", () => {
    const dep = yamlDocs.find((d) => d.kind === "Deployment")!;
    const svc = yamlDocs.find((d) => d.kind === "Service")!;
    expect(dep).toBeDefined();
    expect(svc).toBeDefined();
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.args).toEqual(["--config", "/app/deploy/grocketd.toml"]);
    expect(c.ports.map((p: { containerPort: number }) => p.containerPort).sort()).toEqual(kitPorts);
    expect(c.readinessProbe.exec.command).toEqual(["/app/node_modules/.bin/bun", "/app/deploy/healthcheck.ts", "/readyz"]);
    expect(c.livenessProbe.exec.command).toEqual(["/app/node_modules/.bin/bun", "/app/deploy/healthcheck.ts", "/healthz"]);
    const pause = c.lifecycle.preStop.exec.command;
    expect(pause[0]).toBe("sleep");
    expect(pod.terminationGracePeriodSeconds).toBe(Number(pause[1]) + stopSeconds);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(String(pod.securityContext.runAsUser)).toBe(dockerfile().filter((i) => i.op === "USER").at(-1)!.args.split(":")[0]!);
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    const named = new Map(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    expect(svc.spec.ports.map((p: { targetPort: string }) => named.get(p.targetPort)).sort()).toEqual(kitPorts);
    expect(read("deploy/kubernetes.yaml")).toContain("[pubsub] redis");
    // The variable the manifest names for it is that key's (config/env.ts: GROCKETD_<SECTION>_<KEY>).
    expect((configKeys as unknown as Record<string, Record<string, unknown>>).pubsub!.redis).toBeDefined();
    expect(read("deploy/kubernetes.yaml")).toContain("GROCKETD_PUBSUB_REDIS");
  });

  test("grocketd.service: ExecReload sends SIGHUP to the master, KillSignal=SIGTERM, TimeoutStopSec from drain_ms", () => {
    const s = unit().Service!;
    expect(s.ExecReload).toBe("/bin/kill -HUP $MAINPID");
    expect(s.KillSignal).toBe("SIGTERM");
    expect(s.KillMode).toBe("mixed");
    expect(Number(s.TimeoutStopSec)).toBe(stopSeconds);
    expect(s.ExecStart).toBe("/opt/grocketd/node_modules/.bin/grocketd --config /etc/grocketd/grocketd.toml");
    expect(s.User).not.toBe("root");
    expect(unit().Install!.WantedBy).toBe("multi-user.target");
  });

  test("README Deploy section shows the same commands and numbers", () => {
    const deploy = README.slice(README.indexOf("\n## Deploy"), README.indexOf("\n## ", README.indexOf("\n## Deploy") + 5));
    expect(deploy.length).toBeGreaterThan(100);
    expect(deploy).toContain("docker build -f deploy/Dockerfile -t grocketd:0.1.0 .");
    expect(deploy).toContain(`--stop-timeout ${stopSeconds}`);
    expect(deploy).toContain("kubectl apply -f deploy/kubernetes.yaml");
    expect(deploy).toContain("systemctl reload grocketd");
    expect(deploy).toContain(`terminationGracePeriodSeconds: ${yamlDocs[0]!.spec.template.spec.terminationGracePeriodSeconds}`);
    expect(deploy).toContain(`TimeoutStopSec=${stopSeconds}`);
  });

  test("healthcheck.ts: 0 for /healthz and /readyz of a serving grocketd, 1 once it is gone", async () => {
    running = await startGrocketd(["--listen", "tcp://127.0.0.1:0", "--threads", "1"], { env: { GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" } });
    const status = (await running.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const probe = (path: string) =>
      Bun.spawnSync([process.execPath, resolve(ROOT, "deploy/healthcheck.ts"), path], { env: { PATH: process.env.PATH ?? "", GROCKETD_STATUS_LISTEN: status } });
    expect(probe("/healthz").exitCode).toBe(0);
    await running.waitFor(/listening on/);
    expect(probe("/readyz").exitCode).toBe(0);
    expect(await running.stop("SIGTERM")).toBe(0);
    running = undefined;
    const gone = probe("/healthz");
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr.toString()).toContain("did not answer");
  });
});
