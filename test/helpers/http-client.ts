// Raw HTTP exchanges for tests: write exact bytes (optionally in pieces), wait for N complete responses.
import { connect, type TestClient } from "./tcp-client.ts";
import { parseResponses, type ParsedResponse } from "./http-messages.ts";

export async function waitResponses(c: TestClient, n: number, heads: boolean[] = [], timeoutMs = 5000): Promise<ParsedResponse[]> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const { responses } = parseResponses(c.received(), heads);
    if (responses.length >= n) return responses;
    if (c.isClosed()) {
      if (responses.length >= n) return responses;
      throw new Error(`connection closed after ${responses.length} of ${n} responses: ${JSON.stringify(new TextDecoder().decode(c.received()).slice(0, 400))}`);
    }
    if (performance.now() > end) throw new Error(`timed out with ${responses.length} of ${n} responses: ${JSON.stringify(new TextDecoder().decode(c.received()).slice(0, 400))}`);
    await Bun.sleep(2);
  }
}

/** Opens a connection, sends `request`, waits for `n` responses; the connection stays open for more. */
export async function exchange(port: number, request: string | Uint8Array, n = 1, heads: boolean[] = []): Promise<{ c: TestClient; responses: ParsedResponse[] }> {
  const c = await connect(port);
  c.write(request);
  const responses = await waitResponses(c, n, heads);
  return { c, responses };
}

/** Sends a request the server must refuse: returns the single response and waits for the server to close. */
export async function refused(port: number, request: string | Uint8Array): Promise<ParsedResponse> {
  const c = await connect(port);
  c.write(request);
  await Promise.race([c.closed, Bun.sleep(3000).then(() => { throw new Error("server did not close the connection"); })]);
  const { responses } = parseResponses(c.received());
  if (responses.length !== 1) throw new Error(`expected one response, got ${responses.length}: ${new TextDecoder().decode(c.received())}`);
  return responses[0]!;
}
