/**
 * In-process Bus. Instances created from the same MemoryBroker see each other's publications,
 * which lets the contract suite (and tests) run several "nodes" in one process.
 */
import type { Bus, BusHandler, BusMessage } from './bus.js';

export class MemoryBroker {
  readonly nodes = new Set<MemoryBus>();
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private handler: BusHandler | null = null;
  private readonly topics = new Set<string>();

  constructor(private readonly broker: MemoryBroker = new MemoryBroker()) {}

  async start(handler: BusHandler): Promise<void> {
    this.handler = handler;
    this.broker.nodes.add(this);
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }

  publish(topic: string, msg: BusMessage): void {
    // Local first, synchronously; then the other nodes of the broker.
    this.receive(topic, msg);
    for (const node of this.broker.nodes) if (node !== this) node.receive(topic, msg);
  }

  private receive(topic: string, msg: BusMessage): void {
    if (this.handler && this.topics.has(topic)) this.handler(topic, msg);
  }

  async close(): Promise<void> {
    this.broker.nodes.delete(this);
    this.handler = null;
    this.topics.clear();
  }
}
