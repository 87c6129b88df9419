/**
 * The daemon's scrape endpoint: plain HTTP/1.1 (what Prometheus and curl speak) on its own address,
 * `GET /metrics` (Prometheus text from DfuseMetrics) and `GET /healthz`; anything else 404. A port of 0
 * takes an ephemeral one (the daemon prints and records the address it got).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXPOSITION_CONTENT_TYPE } from '../engine/telemetry.js';

export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}

export class MetricsServerError extends Error {
  override name = 'MetricsServerError';
}

export class MetricsServer {
  /** The bound `host:port`. */
  readonly address: string;
  readonly #server: Server;

  private constructor(server: Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  static async start(listen: MetricsAddress, render: () => string): Promise<MetricsServer> {
    const server = createServer((request, response) => {
      const [status, body, type] = request.method === 'GET' && request.url === '/metrics' ? [200, render(), EXPOSITION_CONTENT_TYPE]
        : request.method === 'GET' && request.url === '/healthz' ? [200, 'ok\n', 'text/plain; charset=utf-8']
          : [404, 'not found\n', 'text/plain; charset=utf-8'];
      response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new MetricsServerError(`metrics address ${listen.host}:${listen.port}: ${error.code ?? error.message}`)));
      server.listen(listen.port, listen.host, () => resolve());
    });
    // Scrapes must never keep the daemon alive once it unmounted.
    server.unref();
    const bound = server.address() as AddressInfo;
    return new MetricsServer(server, listen.host.includes(':') ? `[${listen.host}]:${bound.port}` : `${listen.host}:${bound.port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
