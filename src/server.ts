import { createServer } from 'node:http';
import { loadConfig } from './platform/config';
import { exitOnStartupError } from './platform/lifecycle';
import { EXIT_FORCED, FORCE_GRACE_MS, RequestDrain } from './platform/http/drain';
import { createApp, createRuntime } from './runtime';
import { loadDemoPortfolio } from './demo/portfolio';

async function main() {
  const config = loadConfig();
  const runtime = await createRuntime(config, { role: 'api' });
  // Demo mode only (no DATABASE_URL, NODE_ENV=development): a first start, with no accounts yet,
  // also loads a demo portfolio through the real services (src/demo/portfolio.ts). A no-op otherwise.
  if (config.demo) await loadDemoPortfolio(runtime);
  const app = createApp(runtime);
  // Without Redis (demo), the jobs run here; with Redis they belong to `npm run worker`.
  if (runtime.queue.mode === 'in-process') await runtime.queue.startWorkers();
  // Every request and transaction is tracked, so a shutdown can end them properly (drain.ts).
  const drain = new RequestDrain(runtime.sequelize, runtime.logger);
  const server = createServer(drain.listener(app));
  server.listen(config.port, () => {
    runtime.logger.info(
      { port: config.port, demo: config.demo, queue: runtime.queue.mode },
      `AMT API listening on http://localhost:${config.port} (docs at /docs)`,
    );
  });

  // SIGTERM/SIGINT: stop taking connections; requests in flight get SHUTDOWN_TIMEOUT_MS to finish;
  // what still runs then is rolled back, its Idempotency-Key released, and answered 503. Exit
  // codes in drain.ts (0 drained, 3 requests aborted, 1 forced after a further 5 s).
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.logger.info({ signal, requestsInFlight: drain.requestsInFlight, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    setTimeout(() => {
      runtime.logger.error('shutdown hung; forcing exit');
      process.exit(EXIT_FORCED);
    }, config.shutdownTimeoutMs + FORCE_GRACE_MS).unref();
    drain
      .shutdown(server, config.shutdownTimeoutMs, () => runtime.close())
      .then(
        (code) => {
          runtime.logger.info({ code }, 'stopped');
          process.exit(code);
        },
        (err: unknown) => {
          runtime.logger.error({ err }, 'shutdown failed');
          process.exit(EXIT_FORCED);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch(exitOnStartupError);
