/**
 * A socket stand-in for microbenchmarks of the data path: accepts every write (counting bytes), so what is measured
 * is grocketd's own JavaScript per read event, without the kernel.
 */
export function fakeSocket(): { written: number } & Record<string, unknown> {
  const s = {
    written: 0,
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    localPort: 8000,
    write(b: Uint8Array | string, _off?: number, len?: number): number {
      const n = typeof b === "string" ? b.length : (len ?? b.length);
      s.written += n;
      return n;
    },
    pause() {},
    resume() {},
    end() {},
    terminate() {},
  };
  return s;
}
