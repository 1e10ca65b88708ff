import type { Server } from 'node:http';
import type { Logger } from './logging/logger';

/**
 * On SIGTERM/SIGINT: stop taking connections, let in-flight requests finish (up to timeoutMs),
 * then run the cleanups (queues, pools) and exit.
 */
export function onShutdown(logger: Logger, timeoutMs: number, steps: { server?: Server; cleanup: () => Promise<void> }): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs + 5000);
    force.unref();
    if (steps.server) {
      const server = steps.server;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), timeoutMs).unref();
      });
    }
    try {
      await steps.cleanup();
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** Prints a start-up failure plainly (config errors name their variables) and exits. */
export function exitOnStartupError(err: unknown): never {
  const message = err instanceof Error ? (err.name === 'ConfigError' ? err.message : `${err.name}: ${err.message}`) : String(err);
  process.stderr.write(`AMT could not start.\n${message}\n`);
  process.exit(1);
}
