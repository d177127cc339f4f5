// The daemon's end of the runner socket: one Unix socket in a private directory that
// every runner connects back to, introducing itself with a `hello` frame. A connection
// is typed by the frames that travel on it: a runner's (RunnerFrame in, DaemonFrame out)
// or a fork server's (ForkServerFrame in, ForkServerCommand out).
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DaemonFrame, RunnerFrame } from "../protocol/frames.gen.ts";
import { encodeFrame, type Frame, FrameDecoder, type Header } from "./wire.ts";

// With the default frames, a RunnerConnection (core's runner port).
export class RunnerSocket<In extends Header = RunnerFrame, Out extends Header = DaemonFrame> {
  private readonly frameHandlers: ((frame: Frame<In>) => void)[] = [];
  private readonly closeHandlers: (() => void)[] = [];
  private queued: Frame<In>[] = [];
  closed = false;

  constructor(
    readonly runnerId: string,
    readonly hello: Extract<In, { t: "hello" }>,
    private readonly socket: Socket,
  ) {}

  send(header: Out, blob?: Uint8Array | Uint8Array[]): void {
    if (!this.closed) this.socket.write(encodeFrame(header, blob));
  }

  onFrame(handler: (frame: Frame<In>) => void): void {
    this.frameHandlers.push(handler);
    const queued = this.queued;
    this.queued = [];
    for (const frame of queued) handler(frame);
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  close(): void {
    this.socket.destroy();
  }

  /** @internal */ deliver(frame: Frame<In>): void {
    if (this.frameHandlers.length) { for (const h of this.frameHandlers) h(frame); }
    else this.queued.push(frame);
  }

  /** @internal */ closedByPeer(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h();
  }
}

// The hub's end of an accepted connection, whatever its frames.
type Peer = { deliver(frame: Frame): void; closedByPeer(): void };

export class RunnerHub {
  readonly dir: string;
  readonly path: string;
  private server?: Server;
  private readonly waiting = new Map<string, (socket: Socket, hello: Header) => Peer>();
  private readonly open = new Set<Socket>();

  constructor(baseDir = tmpdir()) {
    // Unix socket paths are limited to ~100 bytes, so the directory is short and private.
    this.dir = mkdtempSync(join(baseDir.length > 60 ? tmpdir() : baseDir, "pounce-"));
    chmodSync(this.dir, 0o700);
    this.path = join(this.dir, "runners.sock");
  }

  listen(): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.path, () => resolve());
    });
  }

  // Resolves when the runner (or fork server) with this id connects and says hello.
  //
  // Its frames are taken to have the shapes of `In` as they are decoded, unchecked: the
  // peer is the runtime's own code. Session code in a runner could forge frames, so
  // handlers coerce the fields whose type matters to the daemon (docs/protocol.md).
  expect<In extends Header = RunnerFrame, Out extends Header = DaemonFrame>(
    runnerId: string,
    timeoutMs: number,
  ): Promise<RunnerSocket<In, Out>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(runnerId);
        reject(new Error(`runner ${runnerId} did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(runnerId, (socket, hello) => {
        clearTimeout(timer);
        const runner = new RunnerSocket<In, Out>(
          runnerId,
          hello as Extract<In, { t: "hello" }>,
          socket,
        );
        resolve(runner);
        return {
          deliver: (frame) => runner.deliver(frame as Frame<In>),
          closedByPeer: () => runner.closedByPeer(),
        };
      });
    });
  }

  forget(runnerId: string): void {
    this.waiting.delete(runnerId);
  }

  private accept(socket: Socket): void {
    this.open.add(socket);
    const decoder = new FrameDecoder();
    let runner: Peer | undefined;
    socket.on("data", (chunk) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (runner) {
          runner.deliver(frame);
          continue;
        }
        const id = (frame.header as { runner_id?: unknown }).runner_id;
        const connect = frame.header.t === "hello" && typeof id === "string"
          ? this.waiting.get(id)
          : undefined;
        if (!connect) {
          socket.destroy();
          return;
        }
        this.waiting.delete(id as string);
        runner = connect(socket, frame.header);
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.open.delete(socket);
      runner?.closedByPeer();
    });
  }

  // Connections still open are cut, not waited for: a runner nobody drives (a spare
  // forked as its server stopped) would otherwise hold the daemon's stop forever.
  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve()
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
