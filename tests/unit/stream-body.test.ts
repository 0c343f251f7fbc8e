// A streamed response body is written as fast as the client takes it: the next chunk is pulled
// only when the socket has room, and a client that goes away cancels the stream.
import { Writable } from "node:stream";
import type { Response as ExpressResponse } from "express";
import { describe, expect, it } from "vitest";
import { writeBody } from "../../app/server/http/remix-adapter.server";

/** A stream of `total` chunks of 64 KiB that counts how many were pulled, and whether it was cancelled. */
function source(total: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled === total) return controller.close();
        state.pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** A socket that takes nothing until released. */
function slowClient() {
  const waiting: (() => void)[] = [];
  let received = 0;
  const socket = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      received += chunk.byteLength;
      waiting.push(done);
    },
  });
  return {
    socket,
    received: () => received,
    release: () => waiting.splice(0).forEach((done) => done()),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("streamed bodies", () => {
  it("pull the next chunk only when the client has taken the last one", async () => {
    const { stream, state } = source(20);
    const client = slowClient();
    const done = writeBody(stream, client.socket as unknown as ExpressResponse);
    await tick();
    expect(state.pulled).toBe(1); // the socket is full: nothing more is read from the database
    await tick();
    expect(state.pulled).toBe(1);
    for (let i = 0; i < 200 && state.pulled < 20; i++) {
      client.release();
      await tick();
    }
    client.release();
    await done;
    expect(state.pulled).toBe(20);
    expect(client.received()).toBe(20 * 64 * 1024);
  });

  it("cancel the stream when the client goes away", async () => {
    const { stream, state } = source(20);
    const client = slowClient();
    const done = writeBody(stream, client.socket as unknown as ExpressResponse);
    await tick();
    client.socket.destroy();
    await done;
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBe(1);
  });

  it("keep one drain listener behind a compression layer, however long the body", async () => {
    // As the compression middleware does: 'drain' listeners go to its gzip stream, so `once` on
    // the response could never remove them there.
    const { stream, state } = source(300);
    const client = slowClient();
    const res = client.socket as unknown as ExpressResponse & Writable;
    const on = res.on.bind(res);
    const inner = new Writable({ write: (_c, _e, done) => done() });
    let most = 0;
    on("drain", () => inner.emit("drain"));
    res.on = ((type: string, listener: (...args: unknown[]) => void) => {
      if (type !== "drain") return on(type, listener);
      inner.on("drain", listener);
      most = Math.max(most, inner.listenerCount("drain"));
      return res;
    }) as typeof res.on;
    const done = writeBody(stream, res);
    for (let i = 0; i < 2000 && state.pulled < 300; i++) {
      client.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    client.release();
    await done;
    expect(state.pulled).toBe(300);
    expect(most).toBe(1);
  });
});
