/**
 * The gRPC side of the kinds bench (a child process, so it never competes with the measured
 * daemon's event loop): one grpc-js server on a free loopback port answering
 * grpc.health.v1.Health/Check SERVING for the server and for services `svc-0`…`svc-(N-1)`.
 * Tells the parent its port over IPC once it listens.
 */
import { SERVING, startHealthServer } from "../support/servers/grpc-health-server.js";

const count = Number(process.argv[2]);
const services = Object.fromEntries([
  ["", SERVING],
  ...Array.from({ length: count }, (_, i) => [`svc-${i}`, SERVING] as const),
]);
const server = await startHealthServer({ services });
process.send?.({ ready: true, port: server.port });
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
