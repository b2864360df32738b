// The phases of one grocketd start, from the `grocketd-startup <where> <phase> <epoch ms>` marks that
// GROCKETD_STARTUP_TRACE=1 makes it write to stderr (src/log/startup-trace.ts), placed against the benchmark's own
// spawn time and the time the first request was answered.

export interface Mark {
  where: string;
  phase: string;
  at: number;
}

const MARK = /^grocketd-startup (.+) (\S+) (\d+(?:\.\d+)?)$/;

/** Every mark line in `text` (other lines are ignored). */
export function parseMarks(text: string): Mark[] {
  const out: Mark[] = [];
  for (const line of text.split("\n")) {
    const m = MARK.exec(line.trim());
    if (m) out.push({ where: m[1]!, phase: m[2]!, at: Number(m[3]) });
  }
  return out;
}

/** The phase names in report order, with what each one spans. */
export const PHASES: ReadonlyArray<readonly [string, string]> = [
  ["process start", "spawn → Bun's time origin in the master"],
  ["bundle check", "→ src/launch.ts checked dist/bundle/ against the sources (bin/grocketd only)"],
  ["master modules", "→ the command's module graph is evaluated"],
  ["validation", "→ config, modules imported and checked, llhttp verified (includes its compile)"],
  ["wasm compile", "llhttp read, SHA-256, compile: summed over every thread that compiled it"],
  ["master init", "→ master init hooks done"],
  ["worker start", "→ the last I/O thread got its start message (Worker created, its module graph evaluated)"],
  ["thread modules", "→ the last I/O thread imported and initialised the modules"],
  ["listen", "→ the last I/O thread listens"],
  ["serving", "→ the master heard every thread listen"],
  ["first answer", "spawn → the first answered request (the whole start)"],
];

/** ms per phase of one start; a phase whose marks are missing is absent. */
export function phasesOf(marks: readonly Mark[], spawnAt: number, answerAt: number): Record<string, number> {
  const one = (where: string, phase: string) => marks.find((m) => m.where === where && m.phase === phase)?.at;
  const last = (phase: string, prefix: string) => {
    const xs = marks.filter((m) => m.phase === phase && m.where.startsWith(prefix)).map((m) => m.at);
    return xs.length ? Math.max(...xs) : undefined;
  };
  const points: Array<[string, number | undefined]> = [
    ["process start", one("master", "process-start")],
    ["bundle check", one("master", "bundle-checked")],
    ["master modules", one("master", "entry-loaded")],
    ["validation", one("master", "plan-validated")],
    ["master init", one("master", "master-init-done")],
    ["worker start", last("start-message", "I/O thread ")],
    ["thread modules", last("modules-init-done", "I/O thread ")],
    ["listen", last("listening", "I/O thread ")],
    ["serving", one("master", "serving")],
  ];
  const out: Record<string, number> = {};
  let prev = spawnAt;
  for (const [name, at] of points) {
    if (at === undefined) continue;
    out[name] = at - prev;
    prev = at;
  }
  const starts = marks.filter((m) => m.where === "wasm" && m.phase === "compile-start");
  const dones = marks.filter((m) => m.where === "wasm" && m.phase === "compile-done");
  out["wasm compile"] = starts.reduce((s, m, i) => s + ((dones[i]?.at ?? m.at) - m.at), 0);
  out["first answer"] = answerAt - spawnAt;
  return out;
}

/** What src/launch.ts started: "bundle" (dist/bundle/), "sources", or "sources" without a launcher mark at all. */
export function launchedFrom(marks: readonly Mark[]): "bundle" | "sources" {
  return marks.some((m) => m.where === "launch" && m.phase === "bundle") ? "bundle" : "sources";
}
