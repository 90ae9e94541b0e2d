/**
 * Test files that run whole etcd clusters of the packed charm: they call oneClusterFileAtATime() and take
 * turns (test/helpers/cluster-slot.ts); the sequencer spreads them among the other files.
 */
export const CLUSTER_FILES = [
  "test/lifecycle/",
  "test/soak.test.ts",
  "test/local-model/tls-provider.test.ts",
  "test/local-model/etcd-consumer.test.ts",
] as const;

export const isClusterFile = (relative: string) => CLUSTER_FILES.some((prefix) => relative.startsWith(prefix));
