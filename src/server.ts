import { loadConfig } from './platform/config';
import { exitOnStartupError, onShutdown } from './platform/lifecycle';
import { createApp, createRuntime } from './runtime';

async function main() {
  const config = loadConfig();
  const runtime = await createRuntime(config, { role: 'api' });
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
