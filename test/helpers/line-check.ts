// The framing most test modules use: one packet per line (LF included).
export const lineCheck = (b: Uint8Array, s: number, e: number): number => {
  const i = b.indexOf(10, s);
  return i < 0 || i >= e ? 0 : i - s + 1;
};
