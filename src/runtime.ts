// What differs between Node and Deno lives here, and only here.
import { serve as serveNode } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

declare const Deno: { version: { deno: string } } | undefined;

export function runtimeName(): string {
  return typeof Deno !== "undefined"
    ? `deno ${Deno.version.deno}`
    : `node ${process.versions.node}`;
}

export type Listening = { port: number; server: Server; close(): Promise<void> };

// Deno serves node:http too, so one HTTP server code path serves both runtimes.
export function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serveNode({ fetch, port, hostname }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        server: server as Server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    }) as Server;
    server.once("error", reject);
  });
}
