/**
 * `scale-chat serve`: process entry. Starts the app and drains on SIGTERM/SIGINT: stop accepting, close
 * clients with 1012 so they reconnect, flush the store, exit 0 within drainTimeoutMs (+1 s hard bound).
 */
import { createApp } from './app.js';
import type { Config } from './config.js';
import { isWorkerProcess, runPrimary } from './workers.js';
import { runningLine } from './common/open-url.js';

export async function serve(config: Config): Promise<void> {
  // --workers N: this process becomes the primary and forks N workers, each running this same function.
  if (config.workers > 1 && !isWorkerProcess()) return runPrimary(config);
  const app = await createApp(config);
  const port = await app.start();
  // First contact: where to point a browser (a worker of --workers stays quiet: the primary says it once).
  if (!isWorkerProcess()) process.stderr.write(runningLine(config.host, port, Boolean(config.tlsCert && config.tlsKey), Boolean(config.webDir)) + '\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'signal received');
    const hard = setTimeout(() => {
      app.log.error('drain did not finish in time: exiting');
      process.exit(1);
    }, config.drainTimeoutMs + 1000);
    hard.unref();
    app.drain().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
