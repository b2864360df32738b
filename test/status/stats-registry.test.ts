// Counters in shared memory: a thread's slot (fixed fields, module counters named in the slot), the registry that
// sums groups of threads and keeps their counts when a generation stops, and the Prometheus text made from them.
import { describe, expect, test } from "bun:test";
import { CounterRegistry } from "../../src/module/counters.ts";
import { DURATION_BOUNDS_S, observeDuration } from "../../src/stats/duration-histogram.ts";
import { S_CONN_OPEN, S_CONN_TOTAL, S_HTTP_REQUESTS, S_PACKETS, S_PS_DROP_BROKER, S_PS_DROP_RING, S_UDP_OVERLOADED } from "../../src/stats/stat-fields.ts";
import { StatsRegistry } from "../../src/stats/stats-registry.ts";
import { MODULE_COUNTERS, StatsSlot } from "../../src/stats/stats-slot.ts";
import { sampleProcess } from "../../src/stats/process-sample.ts";
import { metricsText } from "../../src/status/metrics-text.ts";
import { statusJson, type StatusState } from "../../src/status/status-report.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

const state: StatusState = { phase: "ready", generation: 3, processes: 1, startedAt: Date.now() - 1000 };

describe("stats slots and registry", () => {
  test("a thread writes its slot; the registry reads every slot; module counters are named in shared memory", async () => {
    const reg = new StatsRegistry();
    const g = reg.open(2, 1);
    // As a thread would: attach its slot (in a Worker this is the same SharedArrayBuffer).
    const io1 = StatsSlot.attach(g.ref("io", 1));
    io1.fields[S_CONN_TOTAL] += 4;
    io1.fields[S_CONN_OPEN] = 2;
    const counters = new CounterRegistry(io1);
    counters.get("kv.store", "hits.total").add(5); // dots in both names survive
    const h0 = StatsSlot.attach(g.ref("handler", 0));
    h0.fields[S_PACKETS] = 7;
    const snap = reg.snapshot();
    expect(snap.map((t) => `${t.role}/${t.index}`)).toEqual(["io/0", "io/1", "handler/0"]);
    expect(snap[1]!.fields[S_CONN_TOTAL]).toBe(4);
    expect(snap[1]!.modules).toEqual({ "kv.store\thits.total": 5 });
    expect(snap[2]!.fields[S_PACKETS]).toBe(7);
    expect(reg.running()).toEqual({ io: 2, handler: 1 });
  });

  test("in a Worker: increments land in the master's view of the slot", async () => {
    const reg = new StatsRegistry();
    const g = reg.open(1, 0);
    const src = `self.onmessage = (e) => { const f = new Float64Array(e.data.sab, e.data.slot * e.data.bytes, 32); for (let i = 0; i < 1000; i++) f[${S_PACKETS}]++; postMessage("done"); };`;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: "application/javascript" })));
    const { SLOT_BYTES } = await import("../../src/stats/stats-slot.ts");
    await new Promise<void>((res) => {
      w.onmessage = () => res();
      w.postMessage({ ...g.ref("io", 0), bytes: SLOT_BYTES });
    });
    w.terminate();
    expect(reg.snapshot()[0]!.fields[S_PACKETS]).toBe(1000);
  });

  test("a stopped group's counters stay in the totals (gauges do not); the next generation adds to them", () => {
    const reg = new StatsRegistry();
    const g1 = reg.open(1, 0);
    const a = StatsSlot.attach(g1.ref("io", 0));
    a.fields[S_CONN_TOTAL] = 10;
    a.fields[S_CONN_OPEN] = 3;
    new CounterRegistry(a).get("m", "c").add(2);
    const g2 = reg.open(1, 0); // a reload: both generations run for a while
    const b = StatsSlot.attach(g2.ref("io", 0));
    b.fields[S_CONN_TOTAL] = 1;
    b.fields[S_CONN_OPEN] = 1;
    expect(reg.running()).toEqual({ io: 1, handler: 0 });
    expect(reg.snapshot()[0]!.fields[S_CONN_TOTAL]).toBe(11);
    g1.close();
    g1.close(); // idempotent
    const s = reg.snapshot();
    expect(s).toHaveLength(1);
    expect(s[0]!.fields[S_CONN_TOTAL]).toBe(11);
    expect(s[0]!.fields[S_CONN_OPEN]).toBe(1);
    expect(s[0]!.modules).toEqual({ "m\tc": 2 });
  });

  test("a replacement thread takes over its slot: counts and module counter names carry on, gauges restart", () => {
    const reg = new StatsRegistry();
    const g = reg.open(1, 0);
    const dead = StatsSlot.attach(g.ref("io", 0));
    dead.fields[S_CONN_TOTAL] = 5;
    dead.fields[S_CONN_OPEN] = 5;
    new CounterRegistry(dead).get("m", "c").add(4);
    const next = StatsSlot.attach(g.ref("io", 0));
    next.resetGauges();
    new CounterRegistry(next).get("m", "c").add(1);
    const s = reg.snapshot()[0]!;
    expect([s.fields[S_CONN_TOTAL], s.fields[S_CONN_OPEN], s.modules["m\tc"]]).toEqual([5, 0, 5]);
  });

  test("past MODULE_COUNTERS names a counter still counts (for the term log) but is not exported", () => {
    const slot = StatsSlot.detached();
    const reg = new CounterRegistry(slot);
    for (let i = 0; i <= MODULE_COUNTERS; i++) reg.get("m", `c${i}`).add(i);
    expect(reg.snapshot()[`m.c${MODULE_COUNTERS}`]).toBe(MODULE_COUNTERS);
    expect(Object.keys(slot.read().modules)).toHaveLength(MODULE_COUNTERS);
  });

  test("child process snapshots: summed with a process label; kept in the totals when the child goes", () => {
    const reg = new StatsRegistry();
    const fields = (packets: number) => Object.assign(new Array(32).fill(0), { [S_PACKETS]: packets, [S_CONN_OPEN]: 1 });
    reg.setRemote(1000, 0, [{ role: "io", index: 0, fields: fields(3), modules: {} }]);
    reg.setRemote(1001, 1, [{ role: "io", index: 0, fields: fields(4), modules: {} }]);
    expect(reg.running()).toEqual({ io: 2, handler: 0 });
    let text = metricsText({ ...state, processes: 2 }, reg.snapshot(), reg.running());
    let m = parsePrometheus(text);
    expect(sampleValue(m, "grocketd_packets_total", { process: "1", thread: "0" })).toBe(4);
    expect(sampleValue(m, "grocketd_server_packets_total")).toBe(7);
    reg.retireRemote(1001);
    m = parsePrometheus(metricsText(state, reg.snapshot(), reg.running()));
    expect(sampleValue(m, "grocketd_server_packets_total")).toBe(7);
    expect(sampleValue(m, "grocketd_server_connections_open")).toBe(1);
  });

  test("metrics text: strict format with handler threads and module counters; /status JSON agrees", () => {
    const reg = new StatsRegistry();
    const g = reg.open(2, 2);
    StatsSlot.attach(g.ref("io", 0)).fields[S_PACKETS] = 2;
    StatsSlot.attach(g.ref("io", 1)).fields[S_PACKETS] = 3;
    StatsSlot.attach(g.ref("handler", 1)).fields[S_HTTP_REQUESTS] = 9;
    new CounterRegistry(StatsSlot.attach(g.ref("handler", 0))).get("app", "hits:x-y.z").add(1);
    const m = parsePrometheus(metricsText(state, reg.snapshot(), reg.running()));
    expect(sampleValue(m, "grocketd_server_packets_total")).toBe(5);
    expect(sampleValue(m, "grocketd_handler_http_requests_total", { handler: "1" })).toBe(9);
    expect(sampleValue(m, "grocketd_module_counter_total", { module: "app", counter: "hits:x-y.z", role: "handler", thread: "0" })).toBe(1);
    expect(sampleValue(m, "grocketd_generation")).toBe(3);
    const j = statusJson(state, reg.snapshot(), reg.running()) as any;
    expect(j.requests.packets).toBe(5); // handler threads' counts are not added to the I/O sums
    expect(j.threads).toEqual({ io: 2, handler: 2 });
    expect(j.modules).toEqual({ "app.hits:x-y.z": 1 });
    expect(j.per_thread[3]).toEqual({ role: "handler", thread: 1, packets: 0, http_requests: 9, uncaught_errors: 0, modules: {} });
  });

  test("udp overloaded drops: udp_overloaded_total per thread and summed; /status udp.overloaded", () => {
    const reg = new StatsRegistry();
    const g = reg.open(2, 0);
    StatsSlot.attach(g.ref("io", 0)).fields[S_UDP_OVERLOADED] = 4;
    StatsSlot.attach(g.ref("io", 1)).fields[S_UDP_OVERLOADED] = 3;
    const m = parsePrometheus(metricsText(state, reg.snapshot(), reg.running()));
    expect(sampleValue(m, "grocketd_server_udp_overloaded_total")).toBe(7);
    expect(sampleValue(m, "grocketd_udp_overloaded_total", { thread: "1" })).toBe(3);
    const j = statusJson(state, reg.snapshot(), reg.running()) as any;
    expect(j.udp).toEqual({ overloaded: 7 });
    expect(j.per_thread[0].udp).toEqual({ overloaded: 4 });
  });

  test("a process's main thread (topic relay) has a slot of its own: role main in /status, thread=\"main\" in /metrics, in the sums, not a running thread", () => {
    const reg = new StatsRegistry();
    const g = reg.open(1, 1, true);
    StatsSlot.attach(g.ref("io", 0)).fields[S_PS_DROP_RING] = 2;
    const main = StatsSlot.attach(g.ref("main", 0));
    main.fields[S_PS_DROP_RING] = 5;
    main.fields[S_PS_DROP_BROKER] = 1;
    expect(reg.snapshot().map((t) => `${t.role}/${t.index}`)).toEqual(["io/0", "handler/0", "main/0"]);
    expect(reg.running()).toEqual({ io: 1, handler: 1 });
    const j = statusJson(state, reg.snapshot(), reg.running()) as any;
    expect(j.pubsub.dropped).toEqual({ slow_consumer: 0, ring_full: 7, broker_down: 1 });
    expect(j.per_thread[2]).toEqual({ role: "main", pubsub: { dropped: { ring_full: 5, broker_down: 1 } } });
    const m = parsePrometheus(metricsText(state, reg.snapshot(), reg.running()));
    expect(sampleValue(m, "grocketd_pubsub_dropped_total", { thread: "main", reason: "ring_full" })).toBe(5);
    expect(sampleValue(m, "grocketd_pubsub_dropped_total", { thread: "0", reason: "ring_full" })).toBe(2);
    expect(sampleValue(m, "grocketd_server_pubsub_dropped_total", { reason: "ring_full" })).toBe(7);
    expect(m.get("grocketd_connections_total")!.samples.some((x) => x.labels.thread === "main")).toBe(false);
    // A child's snapshot carries its main entry: the master shows it under that process, still not a running thread.
    const master = new StatsRegistry();
    master.setRemote(4242, 1, reg.snapshot());
    expect(master.running()).toEqual({ io: 1, handler: 1 });
    g.close(); // counters of a stopped generation stay in the totals
    expect(reg.snapshot().find((t) => t.role === "main")!.fields[S_PS_DROP_RING]).toBe(5);
  });

  test("request-duration histogram: per listener and status class, cumulative buckets, summed over threads and kept across a reload", () => {
    const reg = new StatsRegistry();
    const g1 = reg.open(2, 0);
    const a = StatsSlot.attach(g1.ref("io", 0));
    const b = StatsSlot.attach(g1.ref("io", 1));
    const la = a.durationListener("http://127.0.0.1:8080");
    const lb = b.durationListener("http://127.0.0.1:8080");
    const other = a.durationListener("http://127.0.0.1:9090");
    expect(a.durationListener("http://127.0.0.1:8080")).toBe(la); // registered once per slot
    observeDuration(a.durations, la, 200, 0.2); // ≤ 0.5 ms
    observeDuration(a.durations, la, 204, 0.5); // exactly on a bound: in that bucket (le is "≤")
    observeDuration(b.durations, lb, 200, 3); // ≤ 5 ms
    observeDuration(b.durations, lb, 503, 20_000); // past 10 s: +Inf only
    observeDuration(a.durations, other, 404, 1);
    observeDuration(a.durations, la, 99, 1); // not a status class: not recorded
    observeDuration(a.durations, -1, 200, 1); // a listener past MAX_LISTENERS: not recorded
    g1.close(); // a reload: the next generation adds to the same series
    const g2 = reg.open(1, 0);
    const c = StatsSlot.attach(g2.ref("io", 0));
    observeDuration(c.durations, c.durationListener("http://127.0.0.1:8080"), 200, 7);
    const m = parsePrometheus(metricsText(state, reg.snapshot(), reg.running()));
    const f = m.get("grocketd_http_request_duration_seconds")!;
    expect(f.type).toBe("histogram");
    const ok = { listener: "http://127.0.0.1:8080", class: "2xx" };
    const bucket = (le: string, l = ok) => sampleValue(m, "grocketd_http_request_duration_seconds_bucket", { ...l, le });
    expect([bucket("0.0005"), bucket("0.001"), bucket("0.005"), bucket("0.01"), bucket("10"), bucket("+Inf")]).toEqual([2, 2, 3, 4, 4, 4]);
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_count", ok)).toBe(4);
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_sum", ok)).toBeCloseTo((0.2 + 0.5 + 3 + 7) / 1000, 9);
    const err = { listener: "http://127.0.0.1:8080", class: "5xx" };
    expect([bucket("10", err), bucket("+Inf", err)]).toEqual([0, 1]);
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_count", { listener: "http://127.0.0.1:9090", class: "4xx" })).toBe(1);
    // Every series has a bucket per bound and +Inf, and classes with nothing recorded are left out.
    const buckets = f.samples.filter((s) => s.name.endsWith("_bucket"));
    expect(buckets.length).toBe(3 * (DURATION_BOUNDS_S.length + 1));
    expect(f.samples.some((s) => s.labels.class === "1xx" || s.labels.class === "3xx")).toBe(false);
    // Buckets never decrease.
    for (const series of [ok, err]) {
      const vals = f.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.class === series.class && s.labels.listener === series.listener).map((s) => s.value);
      expect(vals).toEqual([...vals].sort((x, y) => x - y));
    }
  });

  test("process_* metrics describe the answering process", () => {
    const m = parsePrometheus(metricsText(state, [], { io: 0, handler: 0 }));
    const rss = sampleValue(m, "process_resident_memory_bytes");
    expect(rss).toBeGreaterThan(1024 * 1024);
    expect(Math.abs(rss - process.memoryUsage.rss())).toBeLessThan(256 * 1024 * 1024);
    const cpu = process.cpuUsage();
    expect(sampleValue(m, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(sampleValue(m, "process_cpu_seconds_total")).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6 + 1e-6);
    expect(m.get("process_cpu_seconds_total")!.type).toBe("counter");
    // This test process has at least stdin, stdout and stderr open.
    expect(sampleValue(m, "process_open_fds")).toBeGreaterThanOrEqual(3);
    const start = sampleValue(m, "process_start_time_seconds");
    expect(start).toBeLessThanOrEqual(Date.now() / 1000);
    expect(start).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 5);
    // The only process: no labels, one series per family, as every client library's default registry has it.
    for (const f of ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"]) {
      expect(m.get(f)!.samples.map((x) => x.labels)).toEqual([{}]);
    }
  });

  test("process_* metrics with child processes: one series per process (process, pid), the children's from their pushes, gone with them", () => {
    const reg = new StatsRegistry();
    const child = (pid: number, rss: number, cpu: number) => ({ ...sampleProcess(), pid, residentBytes: rss, cpuSeconds: cpu, openFds: 40, startTimeSeconds: 1_700_000_000 + pid });
    const io = [{ role: "io" as const, index: 0, fields: [], modules: {} }];
    reg.setRemote(5001, 0, io, child(5001, 50e6, 1.5));
    reg.setRemote(5002, 1, io, child(5002, 60e6, 2.5));
    // A reload: the new process 0 serves beside the old one until the old one exits; each keeps its own series.
    reg.setRemote(5003, 0, io, child(5003, 70e6, 0.5));
    const m = parsePrometheus(metricsText({ ...state, processes: 2 }, reg.snapshot(), reg.running(), reg.childProcesses()));
    const rss = m.get("process_resident_memory_bytes")!.samples;
    expect(rss.map((x) => x.labels)).toEqual([
      { process: "master", pid: String(process.pid) },
      { process: "0", pid: "5001" },
      { process: "0", pid: "5003" },
      { process: "1", pid: "5002" },
    ]);
    expect(sampleValue(m, "process_resident_memory_bytes", { pid: "5002" })).toBe(60e6);
    expect(sampleValue(m, "process_cpu_seconds_total", { pid: "5001" })).toBe(1.5);
    expect(sampleValue(m, "process_open_fds", { pid: "5003" })).toBe(40);
    expect(sampleValue(m, "process_start_time_seconds", { pid: "5002" })).toBe(1_700_005_002);
    expect(sampleValue(m, "process_resident_memory_bytes", { process: "master" })).toBeGreaterThan(1024 * 1024);
    // The old process 0 exits: its counters stay in the grocketd_ totals, its process_* series go (they describe a
    // process that no longer exists; Prometheus marks them stale).
    reg.retireRemote(5001);
    const after = parsePrometheus(metricsText({ ...state, processes: 2 }, reg.snapshot(), reg.running(), reg.childProcesses()));
    expect(after.get("process_cpu_seconds_total")!.samples.map((x) => x.labels.pid)).toEqual([String(process.pid), "5003", "5002"]);
  });
});
