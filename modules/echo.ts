// The bundled demo: echoes the 44-byte "kiss" packets of the original grocket test client
// (decimal id, a space, a NUL byte, 'A' padding) on TCP, and on HTTP as binary over HTTP (POST /binary).
// GET / answers with a short page saying what it serves and how to talk to it, with the ports it really listens on.
import { defineModule, staticResponse, type PortInfo, type RuntimeLibrary, type StaticResponse } from "grocketd";

const KISS = 44;

// Module state is per thread: each I/O thread has its own `runtime` and its own page.
let runtime: RuntimeLibrary | undefined;
let home: StaticResponse | undefined;
const notFound = staticResponse("not found: GET / says what this server answers\n", {
  status: 404,
  headers: { "Content-Type": "text/plain; charset=utf-8" },
});

/** What to type to reach each of this module's listeners (0.0.0.0 and :: are reached as localhost). */
function tryLine(p: PortInfo, binaryPath: string): string | undefined {
  const host = p.hostname === "0.0.0.0" || p.hostname === "::" ? "localhost" : p.hostname.includes(":") ? `[${p.hostname}]` : p.hostname;
  const packet = "printf '%044d' 7"; // 44 bytes: 42 zeros and "07"
  switch (p.protocol) {
    case "tcp":
      return `${packet} | nc -N ${host} ${p.port}      # TCP: 44 bytes in, the same 44 out`;
    case "udp":
      return `${packet} | nc -u -w1 ${host} ${p.port}  # UDP: one datagram, the same back`;
    case "tls":
      return `${packet} | openssl s_client -quiet -connect ${host}:${p.port}  # TLS`;
    case "http":
    case "https":
      return binaryPath === ""
        ? undefined
        : `${packet} | curl${p.protocol === "https" ? " -k" : ""} --data-binary @- ${p.protocol}://${host}:${p.port}${binaryPath}  # binary over HTTP`;
  }
  return undefined;
}

function homePage(): StaticResponse {
  const ports = runtime?.ports.filter((p) => p.module === "echo") ?? [];
  const binaryPath = runtime?.getString("http", "binary_path", "/binary") ?? "/binary";
  // A listener's own `?binary=` wins over http.binary_path.
  const lines = ports.map((p) => tryLine(p, new URL(p.url).searchParams.get("binary") ?? binaryPath)).filter((l) => l !== undefined);
  const text = [
    "grocketd demo: the echo module (modules/echo.ts)",
    "",
    "It answers every 44-byte packet with the same 44 bytes (the \"kiss\" packets of the original grocket",
    "test client), on every listener below; fewer bytes wait for the rest. This page is its GET /.",
    "",
    `Listening: ${ports.map((p) => p.url).join(", ")}`,
    "",
    "Try it:",
    ...lines.map((l) => `  ${l}`),
    "",
    "Your own module: README.md \"Modules\"; another demo:  npm run grocketd -- --module modules/kiss-check.ts",
    "",
  ].join("\n");
  return staticResponse(text, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

export default defineModule({
  name: "echo",
  version: "1.0.0",
  grocketd: "^0.1.0",
  init(ctx) {
    runtime = ctx.grocketd;
  },
  // Binary over HTTP is off unless asked for: it runs proc without the http hook's checks. This module's http hook
  // guards nothing (it only serves the GET / page), and the demo wants its packets on HTTP too, so it turns binary over
  // HTTP on for every HTTP listener by default (a config file, the environment or a listener's `?binary=` still win).
  config: () => ({ http: { binary_path: "/binary" } }),
  // Framing: a packet is exactly 44 bytes; fewer means "wait for more".
  check: (buf, start, end) => (end - start >= KISS ? KISS : 0),
  // Processing: answer every packet with itself.
  proc: (packet) => packet,
  // Made on the first request, once this thread's listeners are bound (so port 0 shows the port it got).
  http: (req) => (req.path === "/" ? (home ??= homePage()) : notFound),
});
