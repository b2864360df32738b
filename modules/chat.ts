// Chat rooms over a newline protocol: `JOIN room`, `SAY text`, `LEAVE`, `WHO` (your id). A room is a topic, so the
// same code serves TCP and WebSocket clients (a message is a line) on every I/O thread and process, unchanged.
//   grocketd --module modules/chat.ts --listen tcp://127.0.0.1:7000 --listen ws://127.0.0.1:7001/chat --threads 2
//   nc 127.0.0.1 7000   →   JOIN lobby   →   SAY hello      (browser: new WebSocket("ws://127.0.0.1:7001/chat"))
import { defineModule } from "grocketd";

const MAX_LINE = 4096;
const dec = new TextDecoder();

interface Member {
  room: string;
  nick: string;
}

export default defineModule<Member>({
  name: "chat",
  version: "1.0.0",
  grocketd: "^0.1.0",
  accept: (conn) => ({ room: "", nick: `user${conn.id}` }),
  // One packet per line; a line longer than MAX_LINE is bad data and closes the connection.
  check(buf, start, end) {
    const i = buf.indexOf(10, start);
    if (i >= 0 && i < end) return i - start + 1;
    return end - start > MAX_LINE ? -1 : 0;
  },
  proc(packet, conn) {
    const line = dec.decode(packet).replace(/\r?\n$/, "");
    const sp = line.indexOf(" ");
    const cmd = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? "" : line.slice(sp + 1).trim();
    const me = conn.state;
    if (cmd === "JOIN" && /^[\w.-]{1,64}$/.test(arg)) {
      if (me.room !== "") conn.unsubscribe(me.room);
      me.room = arg;
      conn.subscribe(arg);
      conn.publish(arg, `* ${me.nick} joined ${arg}\n`, { exceptSelf: true });
      return `OK joined ${arg}\n`;
    }
    if (cmd === "SAY" && me.room !== "") {
      conn.publish(me.room, `${me.room} ${me.nick}: ${arg}\n`, { exceptSelf: true });
      return null;
    }
    if (cmd === "LEAVE" && me.room !== "") {
      conn.unsubscribe(me.room);
      me.room = "";
      return "OK left\n";
    }
    if (cmd === "WHO") return `OK ${me.nick} thread ${conn.thread} pid ${process.pid}\n`;
    return "ERR JOIN <room> | SAY <text> | LEAVE | WHO\n";
  },
});
