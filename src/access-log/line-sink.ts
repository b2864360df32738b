/**
 * @module access-log/line-sink
 * Where access log batches go: a file opened for appending, or stdout ("-"). Every write is asynchronous and never
 * runs on the I/O thread's event loop: file writes go through node:fs/promises (Bun runs them on its worker pool,
 * so a slow or stalled disk stalls that pool, not the thread — measured with a pipe nobody read), stdout writes
 * through process.stdout with a completion callback. Each I/O thread opens the file on its own with O_APPEND, so
 * every batch (whole lines) lands at the end of the file in one write(2) and batches of different threads do not
 * interleave within a line.
 */
import type { FileHandle } from "node:fs/promises";
import { resolve } from "node:path";
import { grocketdError } from "../errors.ts";

export interface LineSink {
  /** Appends `text` (whole lines); resolves once it has been handed to the kernel, rejects on a write error. */
  write(text: string): Promise<void>;
  close(): Promise<void>;
  /** For messages: the absolute path, or "stdout". */
  readonly where: string;
}

class FileSink implements LineSink {
  constructor(
    private readonly fh: FileHandle,
    readonly where: string,
  ) {}

  async write(text: string): Promise<void> {
    const b = Buffer.from(text, "utf8");
    // A regular file takes the whole buffer in one write; the loop only matters on a short write (disk full soon).
    for (let off = 0; off < b.length; ) {
      const { bytesWritten } = await this.fh.write(b, off, b.length - off);
      if (bytesWritten <= 0) throw grocketdError("GRK_ERR_ACCESS_LOG", "shortWrite", { where: this.where });
      off += bytesWritten;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

class StdoutSink implements LineSink {
  readonly where = "stdout";

  write(text: string): Promise<void> {
    return new Promise((res, rej) => {
      process.stdout.write(text, (err) => (err ? rej(err) : res()));
    });
  }

  async close(): Promise<void> {}
}

/** Opens access_log.path: "-" is stdout, anything else a file (relative to the working directory), created if missing. */
export async function openLineSink(path: string): Promise<LineSink> {
  if (path === "-") return new StdoutSink();
  const abs = resolve(path);
  // Required here, not imported: node:fs/promises is ~5 ms of every I/O thread's start (bench/startup.ts), and
  // only a thread with an access log file needs it.
  const { open } = require("node:fs/promises") as typeof import("node:fs/promises");
  return new FileSink(await open(abs, "a"), abs);
}
