// A small keep-alive HTTP load for reload tests: N connections each send GET, wait for the whole response, repeat;
// a response with Connection: close makes the client reconnect (as a browser or wrk would). A failure is any
// request that gets no complete 200 response: a refused connect, a close with a request outstanding, another status.
import { parseResponses } from "./http-messages.ts";

export interface LoadResult {
  ok: number;
  failures: string[];
  reconnects: number;
}

export function httpLoad(port: number, connections: number, path = "/"): { stop(): Promise<LoadResult> } {
  let running = true;
  const result: LoadResult = { ok: 0, failures: [], reconnects: 0 };
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      let buf = new Uint8Array(0);
      let outstanding = false;
      let closed = false;
      let wake: (() => void) | null = null;
      const poke = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      let sock;
      try {
        sock = await Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            data(_s, d) {
              const n = new Uint8Array(buf.length + d.length);
              n.set(buf);
              n.set(d, buf.length);
              buf = n;
              poke();
            },
            close() {
              closed = true;
              poke();
            },
            error() {},
          },
        });
      } catch (err) {
        result.failures.push(`connect: ${(err as Error).message}`);
        await Bun.sleep(5);
        continue;
      }
      let keep = true;
      while (running && keep) {
        sock.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
        outstanding = true;
        for (;;) {
          const { responses, rest } = parseResponses(buf);
          if (responses.length > 0) {
            buf = buf.slice(rest);
            const r = responses[0]!;
            outstanding = false;
            if (r.status === 200) result.ok++;
            else result.failures.push(`status ${r.status}`);
            if (r.headers.connection === "close") keep = false;
            break;
          }
          if (closed) break;
          await new Promise<void>((res) => (wake = res));
        }
        if (outstanding) {
          result.failures.push("connection closed with a request outstanding");
          keep = false;
        }
      }
      sock.end();
      if (running) result.reconnects++;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
