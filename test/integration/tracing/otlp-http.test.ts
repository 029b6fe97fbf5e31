import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { OtlpHttpClient } from '../../../actors/runtime/tracing/otlp-http.js';

/** A raw TCP server answering each request (head + Content-Length body) with `reply(n)`; counts connections. */
async function rawServer(reply: (n: number, sock: net.Socket) => void): Promise<{ url: URL; connections: () => number; heads: string[]; bodies: Buffer[]; close: () => Promise<void> }> {
  let connections = 0;
  let requests = 0;
  const heads: string[] = [];
  const bodies: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    connections++;
    sockets.add(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        heads.push(head);
        bodies.push(buf.subarray(end + 4, end + 4 + len));
        buf = buf.subarray(end + 4 + len);
        reply(requests++, sock);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/v1/traces`),
    connections: () => connections,
    heads,
    bodies,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const post = (c: OtlpHttpClient, body: string): Promise<[boolean, string]> => new Promise((resolve) => c.post(Buffer.from(body), (ok, why) => resolve([ok, why])));

describe('tracing: the OTLP/HTTP client (raw HTTP/1.1 over kept-alive connections)', function () {
  this.timeout(20_000);

  it('writes the OTLP request (path, content type, length, extra headers) and reads Content-Length and chunked replies on one kept-alive connection', async () => {
    const srv = await rawServer((n, sock) => {
      if (n === 0) sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2\r\n\r\nok');
      else {
        // chunked, split across writes
        sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab');
        setTimeout(() => sock.write('c\r\n0\r\n\r\n'), 20);
      }
    });
    const c = new OtlpHttpClient(srv.url, { 'x-api-key': 'k1' }, 2, 2000);
    try {
      assert.deepEqual(await post(c, 'first'), [true, 'HTTP 200']);
      assert.deepEqual(await post(c, 'second'), [true, 'HTTP 200']);
      assert.deepEqual(await post(c, 'third'), [true, 'HTTP 200']);
      assert.equal(srv.connections(), 1, 'one kept-alive connection');
      assert.match(srv.heads[0]!, /^POST \/v1\/traces HTTP\/1\.1\r\n/);
      assert.match(srv.heads[0]!, /\r\nContent-Type: application\/x-protobuf(\r\n|$)/);
      assert.match(srv.heads[0]!, /\r\nContent-Length: 5(\r\n|$)/);
      assert.match(srv.heads[0]!, /\r\nx-api-key: k1(\r\n|$)/);
      assert.match(srv.heads[0]!, new RegExp(`\\r\\nHost: 127\\.0\\.0\\.1:${srv.url.port}(\\r\\n|$)`));
      assert.deepEqual(srv.bodies.map(String), ['first', 'second', 'third']);
    } finally {
      c.stop();
      await srv.close();
    }
  });

  it('Connection: close and a body read until close; beyond maxConnections requests wait their turn', async () => {
    const srv = await rawServer((n, sock) => {
      if (n === 0) sock.end('HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else if (n === 1) sock.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
      else sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    const c = new OtlpHttpClient(srv.url, {}, 1, 2000);
    try {
      const all = await Promise.all([post(c, 'a'), post(c, 'b'), post(c, 'c'), post(c, 'd')]);
      assert.deepEqual(all, [
        [true, 'HTTP 202'],
        [true, 'HTTP 200'],
        [true, 'HTTP 200'],
        [true, 'HTTP 200'],
      ]);
      assert.equal(srv.connections(), 3, 'a new connection after each close, then kept alive');
      assert.deepEqual(srv.bodies.map(String), ['a', 'b', 'c', 'd'], 'in order, one at a time');
    } finally {
      c.stop();
      await srv.close();
    }
  });

  it('an idle kept-alive connection does not keep the process alive (no stop() needed to exit)', async () => {
    const srv = await rawServer((_n, sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const client = fileURLToPath(new URL('../../../actors/runtime/tracing/otlp-http.ts', import.meta.url));
    const script = `import { OtlpHttpClient } from ${JSON.stringify(client)};
      const c = new OtlpHttpClient(new URL(${JSON.stringify(srv.url.href)}), {}, 1, 2000);
      c.post(Buffer.from('x'), (ok, why) => console.log(ok, why));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += String(c)));
    try {
      const code = await new Promise<number | null | 'hung'>((resolve) => {
        const t = setTimeout(() => resolve('hung'), 10_000);
        child.on('exit', (c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      assert.equal(code, 0, 'the child exited by itself');
      assert.equal(out.trim(), 'true HTTP 200');
      assert.equal(srv.connections(), 1);
    } finally {
      child.kill();
      await srv.close();
    }
  });

  it('failures: an error status, a reply that is not HTTP, a closed connection, a timeout, a refused connection, stop()', async () => {
    const srv = await rawServer((n, sock) => {
      if (n === 0) sock.write('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom');
      else if (n === 1) sock.write('SSH-2.0-OpenSSH\r\n\r\n');
      else if (n === 2) sock.destroy();
      // n >= 3: never answers
    });
    const c = new OtlpHttpClient(srv.url, {}, 4, 300);
    try {
      assert.deepEqual(await post(c, 'x'), [false, 'HTTP 500']);
      assert.deepEqual(await post(c, 'x'), [false, 'not an HTTP/1.x reply']);
      assert.deepEqual(await post(c, 'x'), [false, 'connection closed before the reply']);
      assert.deepEqual(await post(c, 'x'), [false, 'export timed out after 300 ms']);
      const pending = post(c, 'x');
      c.stop();
      assert.deepEqual(await pending, [false, 'tracing shut down']);
      assert.deepEqual(await post(c, 'x'), [false, 'tracing shut down'], 'refused once stopped');
    } finally {
      c.stop();
      await srv.close();
    }
    const dead = new OtlpHttpClient(srv.url, {}, 1, 1000);
    const [ok, why] = await post(dead, 'x');
    assert.equal(ok, false);
    assert.match(why, /ECONNREFUSED/);
    dead.stop();
  });
});
