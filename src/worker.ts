import { loadConfig } from './platform/config';
import { exitOnStartupError, onShutdown } from './platform/lifecycle';
import { createRuntime } from './runtime';

async function main() {
  const config = loadConfig();
  if (!config.redisUrl) {
    throw new Error('The worker needs REDIS_URL. Without Redis (demo mode) `npm start` runs the jobs itself.');
  }
  const runtime = await createRuntime(config, { role: 'worker' });
  await runtime.queue.startWorkers();
  runtime.logger.info('AMT worker consuming jobs');
  onShutdown(runtime.logger, config.shutdownTimeoutMs, { cleanup: () => runtime.close() });
}

main().catch(exitOnStartupError);
