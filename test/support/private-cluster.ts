import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectWithRetry, PrivateBroker } from './private-broker';

/**
 * A RabbitMQ cluster of a test's own: `size` private nodes (PrivateBroker:
 * own node names `vumitest-c<k>-<random>@localhost`, AMQP and distribution
 * ports, data and log folders) sharing an Erlang cookie of their own (one
 * `.erlang.cookie` in the first node's folder, the HOME of every node and of
 * every rabbitmqctl call), joined with `rabbitmqctl join_cluster`. The shared
 * broker on 5672 is never touched. Nodes can be killed (`kill -9`), stopped
 * and started again under the same name, port and data, so they rejoin.
 */
export class PrivateCluster {
  private constructor(readonly nodes: PrivateBroker[]) {}

  /** Starts the nodes side by side, then joins the others to the first (about 20-30 s for three). */
  static async start(size = 3): Promise<PrivateCluster> {
    const id = randomBytes(3).toString('hex');
    const first = await PrivateBroker.prepare({ nodeName: `vumitest-c1-${id}@localhost` });
    const home = first.dir;
    const cookie = join(home, '.erlang.cookie');
    writeFileSync(cookie, randomBytes(20).toString('hex').toUpperCase());
    chmodSync(cookie, 0o400); // Erlang refuses a cookie others can read
    const nodes = [first];
    for (let k = 2; k <= size; k++) nodes.push(await PrivateBroker.prepare({ nodeName: `vumitest-c${k}-${id}@localhost`, home }));
    const cluster = new PrivateCluster(nodes);
    try {
      await Promise.all(nodes.map((node) => node.launchNode()));
      for (const node of nodes.slice(1)) {
        await node.ctl('stop_app');
        await node.ctl('join_cluster', first.nodeName);
        await node.ctl('start_app');
      }
      await cluster.waitForRunning(size, 60_000);
      for (const node of nodes.slice(1)) await connectWithRetry(node.url, 30_000).then((c) => c.close());
    } catch (error) {
      await cluster.destroy().catch(() => undefined);
      throw error;
    }
    return cluster;
  }

  /** Every node's URL, in order: AMQP_URL's list. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  /** `host:port` of node `index`, as the service's health and metrics name it. */
  address(index: number): string {
    return `127.0.0.1:${this.nodes[index].port}`;
  }

  /** The index of the node at `host:port`, -1 if none. */
  indexOf(address: string | null | undefined): number {
    return this.nodes.findIndex((_, index) => this.address(index) === address);
  }

  /** A running node to ask (not `except`). */
  private anyRunning(except?: number): PrivateBroker {
    const node = this.nodes.find((candidate, index) => index !== except && candidate.running);
    if (!node) throw new Error('no node of the cluster is running');
    return node;
  }

  /** The node names the cluster reports as running, asked of a running node. */
  async runningNodes(): Promise<string[]> {
    const status = JSON.parse(await this.anyRunning().ctl('cluster_status', '--formatter', 'json')) as {
      running_nodes: string[];
    };
    return status.running_nodes;
  }

  /** Waits until `count` nodes are running members; fails after `timeoutMs`. */
  async waitForRunning(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = await this.runningNodes().catch((): string[] => []);
      if (running.length >= count) return;
      if (Date.now() >= deadline)
        throw new Error(`cluster: ${running.length} of ${count} nodes running after ${timeoutMs} ms (${running.join(', ')})`);
      await new Promise((done) => setTimeout(done, 500));
    }
  }

  /** Quorum queues whose name starts with `prefix`, with their leader and members (node names). */
  async queues(prefix: string): Promise<Array<{ name: string; type: string; leader: string; members: string[] }>> {
    const text = await this.anyRunning().ctl('list_queues', 'name', 'type', 'leader', 'members', '--formatter', 'json', '--quiet');
    const rows = JSON.parse(text) as Array<{ name: string; type: string; leader: string; members: string[] }>;
    return rows.filter((row) => row.name.startsWith(prefix));
  }

  /** `kill -9` of node `index`: no goodbye to its peers or clients. */
  async kill(index: number): Promise<void> {
    await this.nodes[index].kill();
  }

  /** Graceful stop of node `index`. */
  async stop(index: number): Promise<void> {
    await this.nodes[index].stop();
  }

  /** Starts node `index` again (same name, port, data) and waits until the cluster counts it running again. */
  async restart(index: number): Promise<void> {
    await this.nodes[index].launchNode();
    const name = this.nodes[index].nodeName;
    const deadline = Date.now() + 60_000;
    while (!(await this.runningNodes().catch(() => [] as string[])).includes(name)) {
      if (Date.now() >= deadline) throw new Error(`${name} did not rejoin the cluster within 60 s`);
      await new Promise((done) => setTimeout(done, 500));
    }
  }

  /** Stops every node and removes their folders (the first one, holding the cookie, last). */
  async destroy(): Promise<void> {
    for (const node of [...this.nodes].reverse()) await node.destroy().catch(() => node.killNow());
  }
}
