// The grocketd side of `bun run bench:pubsub`: a line `SUB` subscribes the connection to topic "all" and answers
// "OK <thread>:<pid>"; `TID` answers the same (the publisher asks, to know which deliveries cross threads); any other line is published to "all" as it is (the packet itself: encoded once, no copy made here),
// to everyone but the publisher.
import { defineModule } from "grocketd";

export default defineModule({
  name: "fanout",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check(buf, start, end) {
    const i = buf.indexOf(10, start);
    return i >= 0 && i < end ? i - start + 1 : 0;
  },
  proc(packet, conn) {
    if (packet.length === 4 && packet[0] === 83 && packet[1] === 85 && packet[2] === 66) {
      conn.subscribe("all");
      return `OK ${conn.thread}:${process.pid}\n`;
    }
    if (packet.length === 4 && packet[0] === 84 && packet[1] === 73 && packet[2] === 68) return `${conn.thread}:${process.pid}\n`;
    conn.publish("all", packet, { exceptSelf: true });
    return null;
  },
});
