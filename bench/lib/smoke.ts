/**
 * `--smoke`: a bench at a tiny size, every phase still run and the JSON line still printed, in
 * seconds. CI runs each bench so (test/bench/smoke.test.ts), so a bench that no longer runs cannot
 * land unnoticed. Smoke runs default to databases of their own (amt_bench_smoke_*), so one never
 * drops the data of a real run; BENCH_*DATABASE_URL still overrides.
 */
export const SMOKE = process.argv.includes('--smoke');

/** The value of `--name <n>`, else the smoke or the full default. */
export function sizeArg(name: string, full: number, smoke: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : SMOKE ? smoke : full;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}
