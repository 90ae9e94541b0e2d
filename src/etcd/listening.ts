import { connect } from "node:net";

/**
 * Whether something accepts TCP connections at a URL's host and port. Much cheaper than asking etcdctl
 * while etcd is still starting: its gRPC dial keeps retrying a refused port until the whole dial timeout
 * has passed, so one early etcdctl call costs seconds.
 */
export function accepting(url: string, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}
