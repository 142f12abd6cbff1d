/**
 * The benchmark's baseline: the plainest useful Node TCP relay, `c.pipe(u).pipe(c)`, run as
 * its own process (like imapscope) so the two are compared on equal terms.
 *
 *   node --import tsx test/bench/relay.ts UPSTREAM_HOST UPSTREAM_PORT
 *
 * Listens on a free loopback port and prints one JSON line `{"listen":"127.0.0.1:PORT"}`
 * on stdout when ready. Stops on SIGTERM.
 */
import net from 'node:net';

const [host, portText] = process.argv.slice(2);
const port = Number(portText);
if (!host || !Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: relay.ts UPSTREAM_HOST UPSTREAM_PORT\n');
  process.exit(2);
}

const server = net.createServer((c) => {
  const u = net.connect({ host, port });
  c.setNoDelay(true);
  u.setNoDelay(true);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
  c.pipe(u).pipe(c);
});

// The same backlog as imapscope's listener (proxy/limits.ts), so 200 simultaneous connects
// meet the same kernel queue on both paths.
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  const addr = server.address() as net.AddressInfo;
  process.stdout.write(`${JSON.stringify({ listen: `127.0.0.1:${addr.port}` })}\n`);
});

process.on('SIGTERM', () => process.exit(0));
