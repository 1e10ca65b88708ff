/** Latency and throughput figures for benchmarks. */
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const idx = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[idx]!;
}

export interface RunResult {
  ops: number;
  errors: number;
  seconds: number;
  tps: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Runs `op` from `concurrency` workers until `totalOps` are done; each op is timed. Bounded in
 * count, so a benchmark always stops by itself.
 */
export async function runClosedLoop(concurrency: number, totalOps: number, op: (i: number) => Promise<void>): Promise<RunResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= totalOps) return;
        const t0 = process.hrtime.bigint();
        try {
          await op(i);
        } catch (err) {
          errors++;
          if (errors <= 3) process.stderr.write(`op ${i} failed: ${err instanceof Error ? err.message : String(err)}\n`);
        }
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return { ops: totalOps, errors, seconds, tps: totalOps / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export interface OpenLoopResult {
  /** Arrivals per second offered (fixed, whatever the answers). */
  rate: number;
  offered: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** The tail's shape: one p99 at load is noisy. */
  p90Ms: number;
  p95Ms: number;
  maxMs: number;
  /** How many took longer than 100 ms (the callbacks' p99 target). */
  over100Ms: number;
}

/**
 * Open loop: `rate` new operations a second for `seconds`, each started on its schedule whether or
 * not earlier ones have answered (as customers' payments arrive), and timed from its scheduled
 * start, so a stall shows in the latencies instead of slowing the arrivals (no coordinated omission).
 */
export async function runOpenLoop(rate: number, seconds: number, op: (i: number) => Promise<void>): Promise<OpenLoopResult> {
  const offered = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const runs: Promise<void>[] = [];
  for (let i = 0; i < offered; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    runs.push(
      op(i).then(
        () => void latencies.push(performance.now() - due),
        (err: unknown) => {
          errors++;
          latencies.push(performance.now() - due);
          if (errors <= 3) process.stderr.write(`open-loop op ${i} failed: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      ),
    );
  }
  await Promise.all(runs);
  latencies.sort((a, b) => a - b);
  return {
    rate,
    offered,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    p90Ms: percentile(latencies, 90),
    p95Ms: percentile(latencies, 95),
    maxMs: latencies.at(-1) ?? 0,
    over100Ms: latencies.filter((ms) => ms > 100).length,
  };
}
