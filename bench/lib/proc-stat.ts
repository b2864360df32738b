// Server CPU time from /proc/PID/stat (utime + stime, all threads of the process): requests per server-CPU-second is the
// figure the bench scripts compare, since on a shared machine wall-clock rates move with the neighbours' load.

export interface CpuTicks {
  user: number;
  system: number;
}

let ticksPerSecond: number | null = null;

/** USER_HZ for /proc/PID/stat; `getconf CLK_TCK` is 100 on Linux, and 100 is the fallback if getconf is missing. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    ticksPerSecond = 100;
    try {
      const r = Bun.spawnSync(["getconf", "CLK_TCK"]);
      const n = Number(r.stdout.toString().trim());
      if (r.exitCode === 0 && Number.isInteger(n) && n > 0) ticksPerSecond = n;
    } catch {
      // keep 100
    }
  }
  return ticksPerSecond;
}

/** utime and stime of `pid` in clock ticks; with `tid`, of that one thread of it only. */
export async function readCpuTicks(pid: number, tid?: number): Promise<CpuTicks> {
  // /proc/TID/stat of a thread that is not the leader reports the whole process: the task directory is per thread.
  const stat = await Bun.file(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`).text();
  // comm (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return { user: Number(rest[11]), system: Number(rest[12]) };
}

/** The thread ids of `pid` (/proc/PID/task), none once it is gone. */
function threadIds(pid: number): string[] {
  try {
    return [...new Bun.Glob("*").scanSync({ cwd: `/proc/${pid}/task`, onlyFiles: false })];
  } catch {
    return [];
  }
}

/**
 * utime and stime of every thread of `pid` but those in `skip`, summed by thread name (/proc/PID/task/TID/comm, as
 * the runtime names them: JIT workers, GC helpers, ...): where a process's CPU goes outside the threads one counts.
 */
export async function readOtherThreadsByName(pid: number, skip: ReadonlySet<number>): Promise<Map<string, CpuTicks>> {
  const out = new Map<string, CpuTicks>();
  for (const tid of threadIds(pid)) {
    if (skip.has(Number(tid))) continue;
    try {
      const name = (await Bun.file(`/proc/${pid}/task/${tid}/comm`).text()).trim();
      const t = await readCpuTicks(pid, Number(tid));
      const sum = out.get(name) ?? { user: 0, system: 0 };
      sum.user += t.user;
      sum.system += t.system;
      out.set(name, sum);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Direct children of `pid` (over all of its threads), from /proc/PID/task/TID/children. */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const tid of threadIds(pid)) {
    try {
      const text = await Bun.file(`/proc/${pid}/task/${tid}/children`).text();
      for (const w of text.split(" ")) if (w) out.push(Number(w));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * utime and stime of `pid` plus its live descendants, so a server that forks worker processes
 * (grocketd's `server.processes`) is measured whole, as nginx's master + worker are.
 */
export async function readTreeCpuTicks(pid: number): Promise<CpuTicks> {
  const total: CpuTicks = { user: 0, system: 0 };
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    try {
      const t = await readCpuTicks(p);
      total.user += t.user;
      total.system += t.system;
    } catch {
      if (p === pid) throw new Error(`process ${pid} is gone`);
      continue;
    }
    queue.push(...(await childrenOf(p)));
  }
  return total;
}

/** `pid` and its live descendants (a server.processes master and its children), parents first. */
export async function treePids(pid: number): Promise<number[]> {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(await childrenOf(p)));
  }
  return out;
}

/** CPU seconds spent between two readings. */
export function cpuSecondsBetween(a: CpuTicks, b: CpuTicks): { user: number; system: number; total: number } {
  const hz = clockTicksPerSecond();
  const user = (b.user - a.user) / hz;
  const system = (b.system - a.system) / hz;
  return { user, system, total: user + system };
}

/** Polls of a process tree's CPU while waiting for it to go quiet, and how many polls it may take. */
const QUIET_POLL_MS = 50;
const QUIET_MAX_POLLS = 60;

/**
 * Waits until `pid` and its descendants use no CPU for two polls in a row (at most QUIET_MAX_POLLS × QUIET_POLL_MS):
 * a server with nothing to do that still spends CPU is finishing earlier work (JIT compiles, GC), which must not land
 * in the window measured next.
 */
export async function untilQuiet(pid: number): Promise<void> {
  let last = await readTreeCpuTicks(pid);
  let quiet = 0;
  for (let i = 0; i < QUIET_MAX_POLLS && quiet < 2; i++) {
    await Bun.sleep(QUIET_POLL_MS);
    const now = await readTreeCpuTicks(pid);
    quiet = now.user + now.system === last.user + last.system ? quiet + 1 : 0;
    last = now;
  }
}
