import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One request the proxy saw. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Request body bytes forwarded (uploads). */
  bytes: number;
}

/**
 * What to do with a request: pass it on, answer with a status, corrupt or truncate the
 * response body, drop the connection (after part of the request body for uploads), or send
 * the whole body under a Content-Length that overstates or understates it.
 */
export type ProxyAction = 'pass' | 'corrupt' | 'truncate' | 'drop' | 'stall' | 'overstate' | 'understate' | { status: number; headers?: Record<string, string>; code?: string };

export interface RegistryProxy {
  url: string;
  host: string;
  seen: SeenRequest[];
  /** TCP connections clients opened to the proxy. */
  connections: number;
  /** Decides per request; default passes everything. Replace at will between steps. */
  decide: (req: IncomingMessage, index: number) => ProxyAction;
  /** Requests that moved blob bytes to the registry (monolithic PUT with a body, or PATCH). */
  uploads(): SeenRequest[];
  stop(): Promise<void>;
}

/** A tiny HTTP proxy in front of a real registry that counts requests and injects faults. */
export async function startRegistryProxy(target: string): Promise<RegistryProxy> {
  const targetUrl = new URL(target);
  const proxy: RegistryProxy = {
    url: '',
    host: '',
    seen: [],
    connections: 0,
    decide: () => 'pass',
    uploads() {
      return this.seen.filter((r) => (r.method === 'PATCH' || r.method === 'PUT') && r.path.includes('/blobs/uploads/') && r.bytes > 0);
    },
    stop: async () => undefined,
  };
  const stalled: ServerResponse[] = [];
  const server: Server = createServer((req, res) => handle(req, res));
  server.on('connection', () => proxy.connections++);
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const entry: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', bytes: 0 };
    const index = proxy.seen.push(entry) - 1;
    const action = proxy.decide(req, index);
    if (typeof action === 'object') {
      req.resume();
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      res.end(JSON.stringify({ errors: [{ code: action.code ?? 'INJECTED', message: `injected ${action.status}` }] }));
      return;
    }
    if (action === 'stall') {
      // Read the request, never answer: the client's timeout must end it.
      req.resume();
      stalled.push(res);
      return;
    }
    if (action === 'drop' && (req.method === 'PUT' || req.method === 'PATCH')) {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 0) req.socket.destroy();
      });
      return;
    }
    const upstream = request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (action === 'pass' || up.statusCode !== 200 || req.method !== 'GET') {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          let body = Buffer.concat(chunks);
          if (action === 'drop') {
            res.writeHead(200, up.headers);
            res.write(body.subarray(0, Math.floor(body.length / 2)));
            setTimeout(() => res.socket?.destroy(), 10);
            return;
          }
          if (action === 'overstate' || action === 'understate') {
            // Written raw: Node's own response would not send a body its header contradicts.
            const length = action === 'overstate' ? body.length + 4096 : Math.floor(body.length / 2);
            const head = `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${length}\r\n\r\n`;
            res.socket?.end(Buffer.concat([Buffer.from(head), body]));
            return;
          }
          if (action === 'corrupt') {
            body = Buffer.from(body);
            const at = Math.floor(body.length / 2);
            body[at] = (body[at] ?? 0) ^ 0xff;
          } else {
            body = body.subarray(0, Math.floor(body.length / 2));
          }
          res.writeHead(200, { ...up.headers, 'content-length': String(body.length) });
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => (entry.bytes += chunk.length));
    req.pipe(upstream);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.host = `127.0.0.1:${port}`;
  proxy.stop = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
