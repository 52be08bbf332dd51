// Raw HTTP against 127.0.0.1 with full control of the request line and headers (fetch would
// normalise the path and refuse to set Host), plus the renderer fixture the bridge serves.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export function httpGet(
  port: number,
  rawPath: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: rawPath, method, headers: { connection: 'close', ...headers }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error(`no response to ${method} ${rawPath} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The `name=value` part of a Set-Cookie header for the given cookie name. */
export function cookieFrom(res: RawResponse, name: string): { pair: string; attributes: string[] } | null {
  for (const header of res.headers['set-cookie'] ?? []) {
    const [pair, ...attributes] = header.split(';').map((s) => s.trim());
    if (pair && pair.startsWith(name + '=')) return { pair, attributes };
  }
  return null;
}

export const FIXTURE_INDEX_HTML =
  '<!doctype html>\n<html lang="en"><head><title>Push Install Console</title>' +
  '<script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>\n';
export const FIXTURE_APP_JS = 'console.log("push install console fixture");\n';

/** Writes <root>/renderer/{index.html,assets/app.js}; returns the renderer folder. */
export function writeRendererFixture(root: string): string {
  const rendererDir = path.join(root, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), FIXTURE_INDEX_HTML);
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), FIXTURE_APP_JS);
  return rendererDir;
}
