import express, { type Express } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type passport from 'passport';
import type { AppConfig } from '../config';
import type { Logger } from '../logging/logger';
import { errorHandler, notFoundHandler } from './errors';
import { buildOpenApiDocument } from './openapi';
import type { ApiRequest, RouteSpec } from './route';
import type { IdempotencyStore } from './idempotency';
import type { ClientAuthenticator } from './client-auth';
import { mountRoutes } from './router';
import { runInRequest } from './request-context';
import { requestIdOf, requestLog } from './request-log';
import { rememberMount, type Metrics } from '../metrics';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** How long /readyz waits for one dependency when the options do not say (READINESS_TIMEOUT_MS). */
const READINESS_TIMEOUT_MS = 1500;

export interface HttpAppOptions {
  config: Pick<AppConfig, 'bodyLimit' | 'trustProxy'>;
  logger: Logger;
  passport: passport.PassportStatic;
  routes: RouteSpec[];
  readiness: ReadinessCheck[];
  /** A dependency that has not answered in this long is unavailable (a frozen Redis must not hang /readyz). */
  readinessTimeoutMs?: number;
  knownPermissions: ReadonlySet<string>;
  idempotency?: IdempotencyStore;
  /** Verifies API clients on `{ client: scope }` routes (required when any route declares one). */
  clients?: ClientAuthenticator;
  /** Extra routers mounted before the API 404 (e.g. Bull Board); each brings its own guard. */
  extraMounts?: { path: string; handler: express.RequestHandler | express.Router }[];
  /** Prometheus metrics (src/platform/metrics): times every request; GET /metrics guards itself. */
  metrics?: Pick<Metrics, 'middleware' | 'handler'>;
}

export function createHttpApp(opts: HttpAppOptions): Express {
  for (const r of opts.routes) {
    if (r.access && 'permission' in r.access && !opts.knownPermissions.has(r.access.permission)) {
      throw new Error(`${r.method.toUpperCase()} ${r.path} declares unknown permission ${r.access.permission}`);
    }
    if (r.access && 'client' in r.access && !opts.knownPermissions.has(r.access.client)) {
      throw new Error(`${r.method.toUpperCase()} ${r.path} declares unknown client scope ${r.access.client}`);
    }
  }
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.config.trustProxy);
  app.set('query parser', 'simple');
  if (opts.metrics) app.use(opts.metrics.middleware);

  app.use(requestLog(opts.logger));
  app.use(helmet({ contentSecurityPolicy: false }));
  // The raw bytes are kept for API clients' HMAC signatures (computed over the body as sent).
  const keepRaw = (req: unknown, _res: unknown, buf: Buffer) => {
    (req as ApiRequest).rawBody = buf;
  };
  app.use(express.json({ limit: opts.config.bodyLimit, type: ['application/json', 'application/*+json'], verify: keepRaw }));
  // CSV uploads (routes that declare consumes: ['text/csv']) arrive as a string body.
  app.use(express.text({ limit: opts.config.bodyLimit, type: ['text/csv'], verify: keepRaw }));
  // Audit rows read the caller's IP, user agent and request id from here (audit.record). After the
  // body parsers: their stream callbacks would run outside the store.
  app.use((req, _res, next) => {
    const ua = req.get('user-agent');
    runInRequest(
      {
        ip: req.ip ?? null,
        userAgent: ua === undefined ? null : ua,
        requestId: requestIdOf(req) ?? null,
      },
      next,
    );
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const bound = opts.readinessTimeoutMs ?? READINESS_TIMEOUT_MS;
    const results = await Promise.all(
      opts.readiness.map(async (c) => {
        let timer: NodeJS.Timeout | undefined;
        // A check that hangs (connections open, no answers) counts as down after `bound`.
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), bound);
        });
        const check = c.check();
        check.catch(() => undefined);
        try {
          await Promise.race([check, timedOut]);
          return [c.name, 'ok'] as const;
        } catch {
          return [c.name, 'unavailable'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, s]) => s === 'ok');
    if (!ready) res.set('Retry-After', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });

  const document = buildOpenApiDocument(opts.routes);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document as swaggerUi.JsonObject));

  for (const m of opts.extraMounts ?? []) app.use(m.path, m.handler);

  if (opts.metrics) app.get('/metrics', opts.metrics.handler);

  const api = express.Router();
  api.use(rememberMount);
  mountRoutes(api, opts.routes, { passport: opts.passport, logger: opts.logger, idempotency: opts.idempotency, clients: opts.clients });
  app.use('/api/v1', api);

  app.use(notFoundHandler);
  app.use(errorHandler(opts.logger));
  return app;
}
