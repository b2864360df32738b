/**
 * @module http/response-head
 * What a handler may set before a response starts — status and header fields — checked the same way whether the
 * response is written on the I/O thread or built on a handler thread: a final status code, names that are tokens and
 * values without CR/LF/NUL (RFC 9110 §5), framing and Date fields reserved to the runtime, and `Connection: close`
 * turned into a request to close (keep-alive is the runtime's decision, RFC 9110 §7.6.1).
 */
import { misuse } from "../errors.ts";
import { checkHeader } from "./header-check.ts";

export abstract class ResponseHead {
  protected code = 200;
  /** Header lines "Name: value\r\n" in the order given. */
  protected lines = "";
  protected hasType = false;

  /** True once the status line has been sent (status and headers can no longer change). */
  abstract get headersSent(): boolean;
  /** The handler asked for `Connection: close`. */
  protected abstract askClose(): void;

  abstract send(body?: string | Uint8Array): void;

  json(value: unknown): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw misuse(TypeError, "GRK_ERR_RESPONSE_VALUE", "noJson", {});
    if (!this.hasType) this.header("Content-Type", "application/json");
    this.send(text);
  }

  /** Forgets the status and fields a failed handler set, before an error answer (error hook, 500). */
  clearHead(): void {
    if (this.headersSent) return;
    this.resetHead();
  }

  protected resetHead(): void {
    this.code = 200;
    this.lines = "";
    this.hasType = false;
  }

  status(code: number): this {
    if (this.headersSent) throw misuse(Error, "GRK_ERR_RESPONSE_STATE", "headersSent", { call: "status" });
    if (!Number.isInteger(code) || code < 200 || code > 999) throw misuse(RangeError, "GRK_ERR_RESPONSE_VALUE", "status", { status: code });
    this.code = code;
    return this;
  }

  header(name: string, value: string | number): this {
    if (this.headersSent) throw misuse(Error, "GRK_ERR_RESPONSE_STATE", "headersSent", { call: "header" });
    const v = String(value);
    checkHeader(name, v);
    const lower = name.toLowerCase();
    if (lower === "content-length" || lower === "transfer-encoding" || lower === "date") {
      throw misuse(TypeError, "GRK_ERR_RESPONSE_VALUE", "ownHeader", { name });
    }
    if (lower === "connection") {
      if (/\bclose\b/i.test(v)) this.askClose();
      return this;
    }
    if (lower === "content-type") this.hasType = true;
    this.lines += `${name}: ${v}\r\n`;
    return this;
  }
}
