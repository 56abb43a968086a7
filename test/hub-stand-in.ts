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

/**
 * `holdWeights` holds back the ONNX weights until it settles, like a slow download: the test
 * decides when the model becomes available instead of guessing a delay on a noisy machine.
 */
export async function startHubStandIn(
  modelId: string,
  folder: string,
  options: { holdWeights?: Promise<void> } = {},
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
    const held = file.endsWith('.onnx') && req.method === 'GET' ? options.holdWeights : undefined;
    void Promise.resolve(held).then(() => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
