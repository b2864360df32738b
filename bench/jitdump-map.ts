// `bun bench/jitdump-map.ts DIR`: turns the JIT dumps Bun wrote into DIR (BUN_JSC_useJITDump=1
// BUN_JSC_jitDumpDirectory=DIR) into /tmp/perf-PID.map files, so `perf report` names JavaScript functions
// ("JSC-FTL: fastScan#…"). perf inject --jit cannot read them: JSC names its dump jit-TID-PID.dump and perf only
// takes jit-PID.dump (docs/platform-notes.md, "Profiling JIT code"). Only JIT_CODE_LOAD records (id 0) are read:
// a code address, its size and its name.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write("usage: bun bench/jitdump-map.ts DIR\n");
  process.exit(2);
}
for (const f of readdirSync(dir).filter((n) => /^jit-.*\.dump$/.test(n))) {
  const d = readFileSync(join(dir, f));
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  // Header: magic, version, total_size, elf_mach, pad, pid (u32 each), timestamp, flags (u64).
  const pid = v.getUint32(20, true);
  const lines: string[] = [];
  for (let off = v.getUint32(8, true); off + 16 <= d.length; ) {
    const id = v.getUint32(off, true);
    const size = v.getUint32(off + 4, true);
    if (size === 0) break;
    if (id === 0) {
      // JIT_CODE_LOAD after the record header: pid, tid (u32), vma, code_addr, code_size, code_index (u64), name.
      const addr = v.getBigUint64(off + 16 + 16, true);
      const codeSize = v.getBigUint64(off + 16 + 24, true);
      const from = off + 16 + 40;
      const name = d.subarray(from, d.indexOf(0, from)).toString("latin1");
      lines.push(`${addr.toString(16)} ${codeSize.toString(16)} ${name}`);
    }
    off += size;
  }
  writeFileSync(`/tmp/perf-${pid}.map`, `${lines.join("\n")}\n`);
  console.log(`${f}: ${lines.length} functions -> /tmp/perf-${pid}.map`);
}
