// The shared part of the tests' TCP forwarders: a client socket and its upstream die together,
// and both are tracked so the forwarder's close() can destroy whatever is still open.
import type net from 'node:net';

/** Tracks both sockets; an error or close on either ends both. Returns that `end`. */
export function pairSockets(client: net.Socket, upstream: net.Socket, sockets: Set<net.Socket>): () => void {
  sockets.add(client);
  sockets.add(upstream);
  const end = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
  return end;
}
