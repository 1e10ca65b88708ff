import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../logging/logger';
import type { JobQueue } from '../queue';
import { HttpProblem } from '../http/problem';
import { databaseCollectors, poolCollector, queueCollector, type Collector, type MetricSet } from './collectors';

/**
 * Prometheus metrics at GET /metrics (text format 0.0.4), for operators. Off unless METRICS_TOKEN
 * is set; then the scraper sends `Authorization: Bearer <METRICS_TOKEN>` (anything else is a 401),
 * so the endpoint is never public by default. What it reports is listed in README ("Metrics").
 *
 * Request metrics are recorded as requests finish. Everything read from the database, the pool or
 * Redis is read when scraped, each collector within METRICS_COLLECTOR_TIMEOUT_MS: one that fails or
 * is slow reports amt_metrics_collector_up{collector} 0 (its gauges left out), never a failed or
 * hung scrape, and a collector still running from an earlier scrape is not started again.
 */
export interface MetricsOptions {
  /** Bearer token the scraper must send; without it the endpoint is off (404). */
  token?: string;
  sequelize: Sequelize;
  queue?: JobQueue;
  logger: Logger;
  collectorTimeoutMs?: number;
}

export interface Metrics {
  registry: Registry;
  /** First middleware of the app: times every request by route template and status. */
  middleware: RequestHandler;
  /** GET /metrics. */
  handler: RequestHandler;
}

export const DEFAULT_COLLECTOR_TIMEOUT_MS = 1000;

/**
 * The route template a request matched ('/api/v1/accounts/:id'), never its raw URL (no ids in
 * labels); a mounted app without routes of its own (Swagger UI's files) is '<mount>/*'.
 */
function routeOf(req: Request, status: number, mountedAt: string | undefined): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${mountedAt ?? req.baseUrl}${route.path}` || '/';
  return status !== 404 && req.baseUrl ? `${req.baseUrl}/*` : 'unmatched';
}

const MOUNT = Symbol('amt.metrics.mount');

/** Remembers where the matched route's router is mounted (Express resets req.baseUrl when an error leaves the router). */
export const rememberMount: RequestHandler = (req, _res, next) => {
  (req as unknown as Record<symbol, string>)[MOUNT] = req.baseUrl;
  next();
};

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function withTimeout<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`collector ${name} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'amt_process_' });
  const timeoutMs = opts.collectorTimeoutMs ?? DEFAULT_COLLECTOR_TIMEOUT_MS;

  const httpDuration = new Histogram({
    name: 'amt_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const collectorUp = new Gauge({
    name: 'amt_metrics_collector_up',
    help: '1 when the collector answered within its timeout at this scrape, else 0.',
    labelNames: ['collector'] as const,
    registers: [registry],
  });
  const collectorSeconds = new Gauge({
    name: 'amt_metrics_collector_duration_seconds',
    help: 'How long each collector took at this scrape.',
    labelNames: ['collector'] as const,
    registers: [registry],
  });
  const scrapes = new Counter({ name: 'amt_metrics_scrapes_total', help: 'Scrapes of /metrics answered.', registers: [registry] });

  const collectors: Collector[] = [poolCollector(opts.sequelize), ...(opts.queue ? [queueCollector(opts.queue)] : []), ...databaseCollectors(opts.sequelize)];
  const set: MetricSet = {
    gauges: new Map(),
    gauge(name, help, labelNames) {
      let g = this.gauges.get(name);
      if (!g) {
        g = new Gauge({ name, help, labelNames: [...labelNames], registers: [registry] });
        this.gauges.set(name, g);
      }
      return g;
    },
  };
  const inFlight = new Map<string, Promise<unknown>>();

  async function collect(c: Collector): Promise<void> {
    const started = process.hrtime.bigint();
    const owned = c.gauges.map((name) => set.gauges.get(name)).filter((g): g is Gauge => !!g);
    for (const g of owned) g.reset();
    try {
      if (inFlight.has(c.name)) throw new Error(`collector ${c.name} is still running from an earlier scrape`);
      const run = c.collect(set);
      inFlight.set(c.name, run);
      void run.catch(() => undefined).finally(() => inFlight.delete(c.name));
      await withTimeout(run, timeoutMs, c.name);
      collectorUp.set({ collector: c.name }, 1);
    } catch (err) {
      // Half-written values of a failed collector are worse than none.
      for (const name of c.gauges) set.gauges.get(name)?.reset();
      collectorUp.set({ collector: c.name }, 0);
      opts.logger.warn({ collector: c.name, err: (err as Error).message }, 'metrics collector failed');
    } finally {
      collectorSeconds.set({ collector: c.name }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const mount = (req as unknown as Record<symbol, string | undefined>)[MOUNT];
      httpDuration.observe(
        { method: req.method, route: routeOf(req, res.statusCode, mount), status: String(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  };

  const handler: RequestHandler = async (req, res, next) => {
    try {
      if (!opts.token) throw new HttpProblem(404, `No route for ${req.method} ${req.path}.`);
      const auth = req.get('authorization') ?? '';
      const m = /^Bearer (.+)$/i.exec(auth);
      if (!m || !sameSecret(m[1], opts.token)) {
        throw new HttpProblem(401, 'Metrics need `Authorization: Bearer <METRICS_TOKEN>`.', { headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } });
      }
      await Promise.all(collectors.map(collect));
      scrapes.inc();
      res
        .set('Cache-Control', 'no-store')
        .type(registry.contentType)
        .send(await registry.metrics());
    } catch (err) {
      next(err);
    }
  };

  return { registry, middleware, handler };
}
