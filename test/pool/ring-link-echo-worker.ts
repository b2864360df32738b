// Worker side of ring-link-race.test.ts: the handler side of a RingLink pair, as a handler thread runs it (records
// published once per turn, the consumer sleeping as soon as its ring is empty). Answers every record with one of the
// same seq; before some answers it waits a pseudo-random while (a busy spin of up to ~200 µs, a setImmediate, a
// 0-1 ms timer), so the I/O side is caught at every point of its loop: polling, in its grace turns, falling asleep,
// asleep.
import type { RingPair } from "../../src/io/messages.ts";
import { RingLink } from "../../src/pool/ring-link.ts";

declare const self: Worker;

let link: RingLink | undefined;
let rng = 12345;
const next = (): number => (rng = (Math.imul(rng, 1103515245) + 12345) >>> 0);

function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

self.onmessage = async (e: MessageEvent<{ pair: RingPair } | "stop">) => {
  if (e.data === "stop") {
    await link?.stop();
    postMessage("stopped");
    return;
  }
  const l = (link = new RingLink(
    e.data.pair,
    "handler",
    (kind, conn, seq) => {
      const r = next() % 16;
      const answer = (): void => void l.send(kind, conn, seq, 0);
      if (r < 8) answer();
      else if (r < 12) {
        spin(next() % 200);
        answer();
      } else if (r < 14) setImmediate(answer);
      else setTimeout(answer, next() % 2);
    },
    (err) => postMessage({ error: String(err) }),
  ));
  l.start();
  postMessage("ready");
};
