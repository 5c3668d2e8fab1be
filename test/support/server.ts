import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  origin: string;
  close: () => Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and returns the origin and a closer. */
export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A listening server whose handler is given later: its origin is needed first (e.g. to register redirect URIs). */
export interface Slot extends Listening {
  serve(handler: RequestListener): void;
}

export async function openSlot(): Promise<Slot> {
  let handler: RequestListener | undefined;
  const listening = await listen((req, res) => {
    if (handler) return handler(req, res);
    res.statusCode = 503;
    res.end();
  });
  return { ...listening, serve: (next) => (handler = next) };
}
