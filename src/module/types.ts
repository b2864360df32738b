/**
 * @module module/types
 * The module contract as TypeScript types: what an author writes (`ModuleDefinition`) and what the runtime hands
 * to the hooks (`Conn`, `HookContext`). Kept free of runtime code so modules import only types from here.
 */
import type { z } from "zod";
import type { Config, ConfigLayer } from "../config/keys.ts";
import type { Logger } from "../log/logger.ts";
import type { ErrorHook, FetchHook, HttpHook, HttpRequest } from "./http-types.ts";
import type { LibraryDefinition, LibraryHandle, RuntimeLibrary } from "./library-types.ts";
import type { Conn, PublishOptions, PushData, Reply, Role, SendResult } from "./conn-types.ts";

// The connection types live in conn-types.ts (http-types.ts and library-types.ts need them without this file).
export type { Conn, Protocol, PublishOptions, PushData, Reply, Role, SendResult } from "./conn-types.ts";

/** What the client offered in its WebSocket handshake (RFC 6455 §4.2.1). */
export interface WebSocketOffer {
  /** Sec-WebSocket-Protocol, in the client's order. */
  readonly protocols: readonly string[];
  /** The Origin header (browsers send it; RFC 6455 §10.2: the server decides whether it accepts that origin). */
  readonly origin: string | undefined;
}

/**
 * What `websocket.upgrade` answers: nothing or `true` accepts; `false` refuses with 403; a number refuses with that
 * status (400–599); an object accepts with this `state` (replacing what `accept` returned) and/or this subprotocol
 * (one the client offered).
 */
export type WebSocketUpgrade<S> = void | undefined | boolean | number | { readonly state?: S; readonly protocol?: string };

/** Optional WebSocket hooks (ws:// and wss:// entries, `?ws=/path` on HTTP entries); each message is a packet for `proc`. */
export interface WebSocketHooks<S> {
  /** Subprotocols this module speaks, its preferred first: the first one the client offered is selected. */
  readonly protocols?: readonly string[];
  /** The upgrade request (headers, path, query, Origin): accept, refuse or attach state. Runs on the I/O thread. */
  upgrade?(req: HttpRequest<S>, offer: WebSocketOffer): WebSocketUpgrade<S> | Promise<WebSocketUpgrade<S>>;
  /** The connection is a WebSocket now (after the 101 response); `conn.protocol` is "ws". */
  open?(conn: Conn<S>): void;
  /** The WebSocket is gone: the close code and reason the peer sent (1005: none; 1006: no close frame at all). Before `close`. */
  close?(conn: Conn<S>, code: number, reason: string): void;
}

/** A module's own config section `[modules.<name>]`: a zod object schema (unknown keys are refused at start-up). */
export type ModuleConfigSchema = z.ZodObject;

/** Passed to `init` and `term`: once in the master, once per process (multi-process mode), once per I/O thread. */
export interface HookContext<MC = Record<string, unknown>> {
  readonly role: Role;
  /** Thread or process index; 0 for the master. */
  readonly index: number;
  readonly config: Readonly<Config>;
  /** A logger whose lines carry the module's name. */
  readonly log: Logger;
  /** The module's own section `[modules.<name>]`, validated by its `configSchema` (defaults applied). */
  readonly moduleConfig: Readonly<MC>;
  /** The runtime's library: config getters, logger, counters, ports, thread, role, `stopping`. */
  readonly grocketd: RuntimeLibrary;
  /**
   * A library this module declared in `requires` (or provides itself), typed by the provider's exported type:
   * `ctx.require<KvLibrary>("kv").singleton("Store")`. The handle stays valid on this thread after `init`.
   */
  /**
   * Pushes `data` to the connection with this id, on whichever I/O thread of this process owns it (over the
   * shared-memory rings between threads). See `SendResult` for what each answer means. I/O and handler threads only
   * (the master and process roles own no connections: always `unknown`).
   */
  send(id: number, data: PushData): SendResult;
  /**
   * Publishes `data` to every subscriber of `topic` on every I/O thread of this process, encoded once. Order per
   * topic from one publisher is kept. Returns the deliveries made on this thread (other threads count theirs in
   * /status: `pubsub.deliveries`). The master and process roles have no subscribers: 0, nothing sent.
   */
  publish(topic: string, data: PushData, options?: PublishOptions): number;
  require(name: "grocketd"): RuntimeLibrary;
  require<L extends LibraryDefinition = LibraryDefinition>(name: string): LibraryHandle<L>;
}

/**
 * A grocketd module. Every hook is optional, but a module needs `proc` or `http` (or `provides`: a library-only
 * module).
 *
 * @example
 * ```ts
 * import { defineModule } from "grocketd";
 * export default defineModule({
 *   name: "echo", version: "1.0.0", grocketd: "^0.1.0",
 *   check: (buf, start, end) => (end - start >= 44 ? 44 : 0), // fixed 44-byte packets
 *   proc: (packet) => packet,                                  // answer each one with itself
 * });
 * ```
 */
export interface ModuleDefinition<S = undefined, CS extends ModuleConfigSchema = ModuleConfigSchema> {
  /** Module name, used in logs and to pick the module for a listen entry (`?module=name`). */
  readonly name: string;
  /** The module's own semver version. */
  readonly version: string;
  /** Semver range of the grocketd module API this module was written for, e.g. "^0.1.0". */
  readonly grocketd: string;
  readonly description?: string;
  /** Configuration used when no file sets the keys (below the file, environment and flags in precedence). */
  config?(): ConfigLayer;
  /** Schema of the module's own config section `[modules.<name>]`; without one, such a section is refused. */
  readonly configSchema?: CS;
  /** Libraries this module provides to others: `{ kv: defineLibrary({ version: "1.2.0", classes: {...} }) }`. */
  readonly provides?: { readonly [library: string]: LibraryDefinition };
  /** Libraries this module needs, by semver range: `{ kv: "^1.0.0" }`. Providers are `init`ed first. */
  readonly requires?: { readonly [library: string]: string };
  /** Called in dependency order (providers before the modules that require them); `term` in reverse. */
  init?(ctx: HookContext<z.output<CS>>): void | Promise<void>;
  term?(ctx: HookContext<z.output<CS>>): void | Promise<void>;
  /** A TCP connection arrived. Return `false` to reject it; anything else becomes `conn.state`. */
  accept?(conn: Conn<undefined>): S | false;
  /** The connection is gone; called exactly once per accepted connection, after its last reply. */
  close?(conn: Conn<S>): void;
  /**
   * Framing: the length of the first whole packet in `buf[start..end)`, 0 for "need more bytes", a length larger
   * than `end - start` for "the packet will be this long" (lets the runtime refuse oversized packets early), or a
   * negative number (or a throw) for bad data, which closes the connection. Without `check`, every read is one packet.
   * `buf` is only valid during the call.
   */
  check?(buf: Uint8Array, start: number, end: number, conn: Conn<S>): number;
  /**
   * One whole packet in, the reply out. `packet` is a view into the runtime's buffers, valid until `proc` returns or,
   * when it returns a Promise, until that settles; copy it (`new Uint8Array(packet)`; on a Buffer `slice()` is
   * only another view) to keep it longer (the view object itself
   * may be handed out again for a later packet at the same place in the buffer). Replies leave in
   * packet order per connection even when async replies finish out of order. A throw or rejection is logged and
   * closes the connection once the replies owed for earlier packets are written.
   */
  proc?(packet: Uint8Array, conn: Conn<S>): Reply | Promise<Reply>;
  /**
   * The server is draining (SIGTERM, or this generation is being replaced by a reload): called once per open TCP or
   * TLS connection when the drain begins, so the module can tell its client to reconnect elsewhere. What it returns
   * (a reply, as from `proc`) is written after the replies owed so far; the connection is still read and answered
   * until the client closes it, the module calls `conn.close()`, or server.drain_ms runs out.
   */
  draining?(conn: Conn<S>): Reply | Promise<Reply>;
  /**
   * One HTTP request. Answer with `res`, or return the body of a 200 response (a string is sent as
   * `text/plain; charset=utf-8`, bytes as `application/octet-stream`, a `staticResponse` as it was built).
   * A throw or rejection is logged and answered with 500; the connection stays usable.
   */
  http?: HttpHook<S>;
  /**
   * One HTTP request as a web `Request`, answered with a `Response` (streamed when its body is a stream): the
   * alternative to `http` (a module has one or the other), so a fetch-style app is one line: `fetch: app.fetch`.
   * A throw or rejection is answered with 500 (or the `error` hook's answer); the connection stays usable.
   */
  fetch?: FetchHook<S>;
  /**
   * Shapes the answer to a request whose `http` or `fetch` hook threw or rejected before its response began: a
   * `Response`, or a body sent with status 500. If it throws too, the plain 500 goes out. The failure is still
   * logged and counted (`errors.handler`).
   */
  error?: ErrorHook<S>;
  /** WebSocket: subprotocols and the upgrade, open and close hooks (all optional; `proc` answers the messages). */
  readonly websocket?: WebSocketHooks<S>;
}
