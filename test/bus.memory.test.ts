import { MemoryBroker, MemoryBus } from '../src/server/bus/memory.js';
import { busContract } from './bus.contract.js';

busContract('memory', async (n) => {
  const broker = new MemoryBroker();
  const nodes = Array.from({ length: n }, () => new MemoryBus(broker));
  return {
    nodes,
    cleanup: async () => {
      for (const node of nodes) await node.close();
    },
  };
});
