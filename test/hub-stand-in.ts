/**
 * A local HTTP server playing the Hugging Face hub: it serves a model folder at
 * /<owner>/<name>/resolve/<revision>/<file>, the layout transformers.js downloads from
 * (`env.remoteHost`), and records every request.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface HubStandIn {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** `delayMs` holds back the ONNX weights, like a slow download. */
export async function startHubStandIn(
  modelId: string,
  folder: string,
  options: { delayMs?: number } = {},
): Promise<HubStandIn> {
  const requests: string[] = [];
  const prefix = `/${modelId}/resolve/main/`;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    requests.push(`${req.method} ${path}`);
    const relative = path.startsWith(prefix) ? normalize(path.slice(prefix.length)) : null;
    const file = relative && !relative.startsWith('..') ? join(folder, relative) : null;
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    const body = readFileSync(file);
    const delay = options.delayMs && file.endsWith('.onnx') && req.method === 'GET' ? options.delayMs : 0;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
