/**
 * @module io/socket-owner
 * Which connection object owns a Bun socket. Bun keeps it in `socket.data`, a native accessor: ~25 ns a call, against
 * under 1 ns for an own property once the JIT has seen it (Bun 1.4, a real socket, same process). The read path looks
 * the owner up once per read event, so it is also kept in an own property of the socket object, always set together
 * with `data` (here, and nowhere else), so the two cannot disagree; the other socket events keep reading `data`.
 */

interface Owned {
  data: unknown;
  grkOwner?: unknown;
}

/** Makes `c` the owner of socket `s` (accept, and the switch to a WebSocket connection). */
export function setOwner(s: object, c: unknown): void {
  (s as Owned).data = c;
  (s as Owned).grkOwner = c;
}

/** The owner setOwner() gave `s` (the read path). */
export function ownerOf<C>(s: object): C {
  return (s as Owned).grkOwner as C;
}
