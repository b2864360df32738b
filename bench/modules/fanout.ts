// The grocketd side of `bun run bench:pubsub`: a line `SUB` subscribes the connection to topic "all" and answers
// "OK <thread>:<pid>"; `TID` answers the same (the publisher asks, to know which deliveries cross threads); any other line is published to "all" as it is (the packet itself: encoded once, no copy made here),
// to everyone but the publisher. The SUB answer also names the OS thread id (Linux), so the bench can read each I/O
// thread's own CPU time from /proc and compare a local delivery with one to another thread within one run.
import { readlinkSync } from "node:fs";
import { defineModule } from "grocketd";

// This module is loaded once per I/O thread: "/proc/thread-self" is "PID/task/TID" of the thread loading it.
let task = "0";
try {
  task = readlinkSync("/proc/thread-self").split("/").pop() ?? "0";
} catch {
  // not Linux: no per-thread CPU figures
}

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
      return `OK ${conn.thread}:${process.pid} ${task}\n`;
    }
    if (packet.length === 4 && packet[0] === 84 && packet[1] === 73 && packet[2] === 68) return `${conn.thread}:${process.pid}\n`;
    conn.publish("all", packet, { exceptSelf: true });
    return null;
  },
});
