import { loadConfig } from './platform/config';
import { exitOnStartupError, onShutdown } from './platform/lifecycle';
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
  const server = app.listen(config.port, () => {
    runtime.logger.info(
      { port: config.port, demo: config.demo, queue: runtime.queue.mode },
      `AMT API listening on http://localhost:${config.port} (docs at /docs)`,
    );
  });
  onShutdown(runtime.logger, config.shutdownTimeoutMs, { server, cleanup: () => runtime.close() });
}

main().catch(exitOnStartupError);
