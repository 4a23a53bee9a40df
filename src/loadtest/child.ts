/** Entry of a child process of a load run (`scale-chat loadtest --worker`): one Worker driven over IPC. */
import type { FromWorker, ToWorker } from './ipc.js';
import { Worker } from './worker.js';

export function runWorkerProcess(): void {
  if (!process.send) {
    console.error('scale-chat loadtest --worker is internal: it runs in a child process started by the load generator');
    process.exit(2);
  }
  let worker: Worker | null = null;
  let id = -1;
  const post = (m: FromWorker) => process.send!(m);
  process.on('disconnect', () => process.exit(3)); // the coordinator is gone
  // Ctrl-C reaches the whole process group: the coordinator decides (stop sending, drain, report).
  process.on('SIGINT', () => {});
  process.on('message', (msg: ToWorker) => {
    try {
      if (msg.type === 'init') {
        id = msg.worker;
        worker = new Worker(msg, (m) => {
          // The result can be large (acked seqs, receive tracks): exit once it is handed over.
          if (m.type === 'result') process.send!(m, () => process.exit(0));
          else post(m);
        });
        worker.run();
      } else worker?.handle(msg);
      if (msg.type === 'abort') setTimeout(() => process.exit(3), 100);
    } catch (err) {
      post({ type: 'fatal', worker: id, message: (err as Error).stack ?? String(err) });
      setTimeout(() => process.exit(3), 100);
    }
  });
}
