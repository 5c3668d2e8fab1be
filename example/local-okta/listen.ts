/** The HTTP server's lifecycle: host names, listening and closing. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The address to listen on for a host name: `localhost` is served on 127.0.0.1. */
export function listenAddress(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, '');
}

/** The host as it appears in a URL (an IPv6 address in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Listens on `address:port` and resolves the port (the one chosen, for port 0). */
export function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the server and every open connection. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
