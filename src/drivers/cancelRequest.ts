import * as net from 'node:net';

/**
 * Sends PostgreSQL's CancelRequest (protocol message 80877102) on a new socket, as libpq's PQcancel does.
 * node-postgres has no public API for it, and pg_cancel_backend() would need a whole new session.
 */
export function sendCancelRequest(
  host: string,
  port: number,
  processId: number,
  secretKey: number,
  timeoutMs = 5000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = host.startsWith('/')
      ? net.connect({ path: `${host}/.s.PGSQL.${port}` })
      : net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`cancel request to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      const message = Buffer.alloc(16);
      message.writeInt32BE(16, 0);
      message.writeInt32BE(80877102, 4);
      message.writeInt32BE(processId, 8);
      message.writeInt32BE(secretKey, 12);
      socket.end(message);
    });
    // The server answers a CancelRequest by closing the socket.
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
