// A loopback HTTP proxy in front of a service (the REST catalog, the storage emulator) that can turn the
// next matching request (by default a commit) into an error answer, either after forwarding it (the
// service applied it; the answer is lost) or without forwarding it at all, or cut the connection.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** 502 after forwarding, 502 without forwarding, or the connection cut after forwarding. */
export type FailureMode = 'after-forward' | 'before-forward' | 'reset-after-forward';

export interface FailingProxy {
  uri: string;
  /** The next POST to a table (a commit) gets a 502 in this mode; later ones pass. */
  failNextCommit(mode: FailureMode): void;
  /** How many commits reached the catalog through the proxy. */
  forwardedCommits(): number;
  /** Every request seen, with its headers (lower-case names). */
  seen(): { method: string; url: string; headers: Record<string, string> }[];
  close(): Promise<void>;
}

// headers that belong to one connection (fetch sets its own or refuses them)
const HOP_BY_HOP = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'expect',
  'upgrade',
]);
const COMMIT_PATH = /\/namespaces\/[^/]+\/tables\/[^/]+$/;

export interface FailingProxyOptions {
  /**
   * The proxy plays a catalog with this prefix (BigLake: projects/P/catalogs/C): GET /v1/config answers it
   * in overrides.prefix, and /v1/<prefix>/… is forwarded as /v1/… (the reference server has none).
   */
  prefix?: string;
  /** Which requests failNextCommit applies to; default: POST to a table (a commit). */
  matches?: (method: string, url: string) => boolean;
  /** The status of the failure answer; default 502. */
  status?: number;
}

export async function startFailingProxy(
  target: string,
  options: FailingProxyOptions = {},
): Promise<FailingProxy> {
  const { prefix, status = 502 } = options;
  const matches =
    options.matches ??
    ((method: string, url: string) => method === 'POST' && COMMIT_PATH.test(url.split('?')[0]!));
  let pending: FailureMode | undefined;
  let forwarded = 0;
  const seen: { method: string; url: string; headers: Record<string, string> }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: Object.fromEntries(
            Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
          ),
        });
        const isCommit = matches(req.method ?? '', req.url ?? '');
        const failure = isCommit ? pending : undefined;
        if (failure) pending = undefined;
        if (failure === 'before-forward') {
          res
            .writeHead(status, { 'content-type': 'text/html' })
            .end('<html>failure injected by the test proxy</html>');
          return;
        }
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(req.headers)) {
          if (typeof value === 'string' && !HOP_BY_HOP.has(key)) headers[key] = value;
        }
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        let url = req.url ?? '/';
        if (prefix) {
          if (url.startsWith(`/v1/${prefix}/`)) url = `/v1/${url.slice(`/v1/${prefix}/`.length)}`;
          else if (!url.startsWith('/v1/config')) {
            res
              .writeHead(404, { 'content-type': 'application/json' })
              .end('{"error":{"message":"no prefix","type":"NotFoundException","code":404}}');
            return;
          }
        }
        const answer = await fetch(`${target.replace(/\/+$/, '')}${url}`, {
          method: req.method ?? 'GET',
          headers,
          ...(body ? { body } : {}),
        });
        let text: Buffer | string = Buffer.from(await answer.arrayBuffer());
        if (prefix && url.startsWith('/v1/config')) {
          const config = JSON.parse(text.toString('utf8')) as { overrides?: Record<string, string> };
          text = JSON.stringify({ ...config, overrides: { ...config.overrides, prefix } });
        }
        if (isCommit) forwarded++;
        if (failure === 'reset-after-forward') {
          res.socket?.destroy();
          return;
        }
        if (failure === 'after-forward') {
          res
            .writeHead(status, { 'content-type': 'text/html' })
            .end('<html>failure injected by the test proxy</html>');
          return;
        }
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(text);
      })().catch((error: unknown) => {
        res.writeHead(599).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}`,
    failNextCommit: (mode) => {
      pending = mode;
    },
    forwardedCommits: () => forwarded,
    seen: () => seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
