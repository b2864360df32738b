// The 44-byte "kiss" packet of the original grocket test client: decimal id, a space, a NUL byte, 'A' padding.
export const KISS_SIZE = 44;

export function kiss(id: number): Uint8Array {
  const b = new Uint8Array(KISS_SIZE).fill(0x41);
  const s = `${id} `;
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  b[s.length] = 0;
  return b;
}

export function kisses(from: number, count: number): Uint8Array {
  const out = new Uint8Array(count * KISS_SIZE);
  for (let i = 0; i < count; i++) out.set(kiss(from + i), i * KISS_SIZE);
  return out;
}
