/**
 * deploy/k8s: every object is valid against the Kubernetes API schemas (types, required fields, and no
 * field the API does not define: test/helpers/k8s-manifests.ts), the check itself refuses a wrong field,
 * and the manifests agree with the server: probes on /readyz and /healthz, a grace period that covers
 * the preStop sleep and the drain, env variables that are real options and load as a Config, selectors
 * and names that point at each other, a non-root read-only container.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { defaults, envName, loadConfig, type Config } from '../src/server/config.js';
import type { MsgEvent } from '../src/protocol/types.js';
import { loadManifests, schemaErrors, strictFieldErrors, type K8sObject } from './helpers/k8s-manifests.js';
import { postgresMissing, startPostgres } from './helpers/postgres.js';
import { RawClient } from './helpers/raw.js';
import { redisMissing, startRedis } from './helpers/redis.js';
import { startServeProcess, stopProcess, type ServeProcess } from './helpers/serve-process.js';

const dir = path.join(process.cwd(), 'deploy/k8s');
const all = loadManifests(dir);
const kustomization = all.find((m) => m.obj.kind === 'Kustomization');
const manifests = all.filter((m) => m !== kustomization);

// Walking parsed YAML: the shapes were checked against the schemas by the tests above.
type Any = any;
const only = (kind: string): Any => {
  const found = manifests.filter((m) => m.obj.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0].obj;
};
const deployment = only('Deployment');
const pod = deployment.spec.template;
const container = pod.spec.containers[0];

describe('deploy/k8s manifests', () => {
  it('holds a Deployment, Service, ConfigMap, Secret, PodDisruptionBudget and Ingress, all listed by the kustomization', () => {
    assert.deepEqual(manifests.map((m) => m.obj.kind).sort(), ['ConfigMap', 'Deployment', 'Ingress', 'PodDisruptionBudget', 'Secret', 'Service']);
    assert.ok(kustomization, 'kustomization.yaml');
    const listed = (kustomization.obj as Any).resources as string[];
    assert.deepEqual([...listed].sort(), [...new Set(manifests.map((m) => m.file))].sort());
  });

  it('every object validates against its Kubernetes schema (kubernetes-models)', async () => {
    for (const m of manifests) assert.deepEqual(await schemaErrors(m.obj), [], m.where);
  });

  it('no object has a field the Kubernetes API does not define, and the check refuses wrong fields', async () => {
    const clone = (m: K8sObject): Any => structuredClone(m);
    const d = deployment as K8sObject;
    const misspelled = clone(d);
    misspelled.spec.template.spec.containers[0].readinessProbe.httpGett = misspelled.spec.template.spec.containers[0].readinessProbe.httpGet;
    delete misspelled.spec.template.spec.containers[0].readinessProbe.httpGet;
    const misplaced = clone(d);
    misplaced.spec.template.spec.terminationGracePeriodSecond = 25;
    const wrongType = clone(d);
    wrongType.spec.replicas = 'three';
    const pdbOff = clone(only('PodDisruptionBudget'));
    pdbOff.spec.maxUnavailabe = 1;
    const unknownKind: K8sObject = { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } };
    const errors = await strictFieldErrors([
      ...manifests.map((m) => ({ label: m.where, obj: m.obj })),
      { label: 'misspelled', obj: misspelled },
      { label: 'misplaced', obj: misplaced },
      { label: 'wrongType', obj: wrongType },
      { label: 'pdbOff', obj: pdbOff },
      { label: 'unknownKind', obj: unknownKind },
    ]);
    for (const m of manifests) assert.equal(errors.get(m.where), undefined, `${m.where}: ${errors.get(m.where)?.join('\n')}`);
    assert.match(errors.get('misspelled')?.join('\n') ?? '', /'"?httpGett"?' does not exist/);
    assert.match(errors.get('misplaced')?.join('\n') ?? '', /'"?terminationGracePeriodSecond"?' does not exist/);
    assert.ok(errors.get('wrongType')?.length, 'replicas: "three" refused');
    assert.match(errors.get('pdbOff')?.join('\n') ?? '', /'"?maxUnavailabe"?' does not exist/);
    assert.ok(errors.get('unknownKind')?.length, 'an unknown kind refused');
    // The schema validator catches the wrong type too (and accepts unknown fields, hence the strict check).
    assert.notDeepEqual(await schemaErrors(wrongType), []);
  });

  it('probes: readiness on /readyz, liveness and start-up on /healthz, on the container port the server listens on', () => {
    const cm = only('ConfigMap').data as Record<string, string>;
    const port = container.ports.find((p: Any) => p.name === 'http');
    assert.equal(port.containerPort, Number(cm[envName('port')]));
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.startupProbe.httpGet.path, '/healthz');
    for (const p of [container.readinessProbe, container.livenessProbe, container.startupProbe]) assert.equal(p.httpGet.port, 'http');
    // Liveness gives a busy node at least 30 s before a restart (a restart only starts another reconnect storm).
    assert.ok(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold >= 30);
  });

  it('stopping: a preStop sleep, then the SIGTERM drain, all inside terminationGracePeriodSeconds', () => {
    const cm = only('ConfigMap').data as Record<string, string>;
    const cmd = container.lifecycle.preStop.exec.command as string[];
    assert.equal(cmd[0], 'sleep');
    const sleepS = Number(cmd[1]);
    assert.ok(sleepS >= 3, 'long enough for endpoints and the ingress to drop the pod');
    const drainS = Number(cm[envName('drainTimeoutMs')] ?? defaults.drainTimeoutMs) / 1000;
    // main.ts: exit within drainTimeoutMs + 1 s.
    assert.ok(pod.spec.terminationGracePeriodSeconds >= sleepS + drainS + 1 + 3, `grace ${pod.spec.terminationGracePeriodSeconds}s >= preStop ${sleepS}s + drain ${drainS}s + 1 s + margin`);
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
  });

  it('configuration: every variable is a real option (or NODE_OPTIONS), and ConfigMap + Secret load as a Config', () => {
    const cm = only('ConfigMap').data as Record<string, string>;
    const secret = only('Secret');
    const sd = secret.stringData as Record<string, string>;
    const known = new Set((Object.keys(defaults) as (keyof Config)[]).map(envName));
    for (const k of [...Object.keys(cm), ...Object.keys(sd)]) assert.ok(known.has(k) || k === 'NODE_OPTIONS', `${k} is an option of scale-chat serve`);
    const config = loadConfig({}, { ...cm, ...sd });
    assert.equal(config.port, 8080);
    assert.match(config.redisUrl, /^redis:\/\//);
    assert.match(config.postgresUrl, /^postgres:\/\//);
    // The Secret holds placeholders only, and says so.
    for (const [k, v] of Object.entries(sd)) assert.match(v, /CHANGE-ME/, `${k} is a placeholder`);
    assert.match(readFileSync(path.join(dir, 'secret.yaml'), 'utf8'), /PLACEHOLDERS/);
    const from = container.envFrom as Any[];
    assert.equal(from.find((e) => e.configMapRef)?.configMapRef.name, only('ConfigMap').metadata.name);
    assert.equal(from.find((e) => e.secretRef)?.secretRef.name, secret.metadata.name);
    // A Service named scale-chat would inject SCALE_CHAT_PORT=tcp://... through service links.
    assert.equal(pod.spec.enableServiceLinks, false);
  });

  it('names and selectors meet: Service and PDB select the pods, the Ingress reaches the Service port', () => {
    const labels = pod.metadata.labels as Record<string, string>;
    const matches = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    assert.ok(matches(deployment.spec.selector.matchLabels));
    const svc = only('Service');
    assert.ok(matches(svc.spec.selector), 'Service selects the pods');
    assert.ok(svc.spec.ports.every((p: Any) => container.ports.some((c: Any) => c.name === p.targetPort)), 'Service targetPort names a container port');
    assert.ok(matches(only('PodDisruptionBudget').spec.selector.matchLabels), 'PDB selects the pods');
    const backend = only('Ingress').spec.rules[0].http.paths[0].backend.service;
    assert.equal(backend.name, svc.metadata.name);
    assert.ok(svc.spec.ports.some((p: Any) => p.name === backend.port.name));
    // WebSockets idle between heartbeats: the ingress read timeout must outlast one (deploy/nginx.conf: 75 s).
    const ann = only('Ingress').metadata.annotations as Record<string, string>;
    assert.ok(Number(ann['nginx.ingress.kubernetes.io/proxy-read-timeout']) > defaults.heartbeatMs / 1000);
  });

  it('the container runs as the image user, non-root, read-only root, no privilege, every capability dropped', () => {
    const dockerfile = readFileSync(path.join(process.cwd(), 'deploy/Dockerfile'), 'utf8');
    assert.match(dockerfile, /^USER node$/m, 'the image runs as node (uid 1000 in node:20 images)');
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    assert.equal(pod.spec.securityContext.runAsUser, 1000);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    // The only writable places: the data dir the image sets (SCALE_CHAT_DATA_DIR) and /tmp.
    const dataDir = /SCALE_CHAT_DATA_DIR=(\S+)/.exec(dockerfile)?.[1];
    const mounts = (container.volumeMounts as Any[]).map((v) => v.mountPath).sort();
    assert.deepEqual(mounts, [dataDir, '/tmp'].sort());
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  const noKubectl = kubectl.status === 0 ? false : 'SKIPPED LOUDLY: kubectl not installed: the kustomization was checked by the test above, not rendered';
  it('kubectl kustomize renders the six objects', { skip: noKubectl }, () => {
    const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const kinds = r.stdout
      .split(/^---$/m)
      .map((d) => (parseYaml(d) as K8sObject).kind)
      .sort();
    assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'Ingress', 'PodDisruptionBudget', 'Secret', 'Service']);
  });
});

/** Files under `dir` owned by `uid` and modified after `since` (ms); a bounded walk (20,000 entries). */
function writtenBy(dir: string, uid: number, since: number, out: string[] = [], budget = { n: 20_000 }): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (--budget.n < 0) return out;
    const p = path.join(dir, name);
    try {
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.uid === uid && st.mtimeMs >= since) out.push(p);
      if (st.isDirectory() && st.uid === uid) writtenBy(p, uid, since, out, budget);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const podsSkip = postgresMissing() ?? redisMissing() ?? false;
describe('the pods, run as processes with their configuration', { skip: podsSkip, timeout: 120_000 }, () => {
  it('two pods from the ConfigMap and Secret (URLs of a real Redis and PostgreSQL) chat across nodes, as uid 1000 writing nowhere, and drain inside the grace period', async () => {
    const cm = only('ConfigMap').data as Record<string, string>;
    const sd = only('Secret').stringData as Record<string, string>;
    const dockerfile = readFileSync(path.join(process.cwd(), 'deploy/Dockerfile'), 'utf8');
    // The image runs ENTRYPOINT + the container's args, in WORKDIR (/app: here, this checkout).
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]) as string[];
    assert.equal(entrypoint[0], 'node');
    const argv = [...entrypoint.slice(1), ...(container.args as string[])];
    const asRoot = process.getuid?.() === 0;
    const pg = await startPostgres();
    const redis = await startRedis();
    const pods: ServeProcess[] = [];
    const dataDirs: string[] = [];
    const started = Date.now() - 1000;
    const clients: RawClient[] = [];
    try {
      const db = await pg.createDatabase();
      for (let i = 0; i < 2; i++) {
        // The emptyDir at /data, owned by the pod's fsGroup/user.
        const data = mkdtempSync(path.join(tmpdir(), 'scale-chat-pod-data-'));
        dataDirs.push(data);
        if (asRoot) chownSync(data, 1000, 1000);
        const env: NodeJS.ProcessEnv = {
          PATH: process.env.PATH,
          ...cm,
          ...sd,
          SCALE_CHAT_REDIS_URL: redis.url,
          SCALE_CHAT_POSTGRES_URL: db,
          // What differs from a pod: two of them on one host's loopback, and the image's data dir.
          SCALE_CHAT_PORT: '0',
          SCALE_CHAT_HOST: '127.0.0.1',
          SCALE_CHAT_DATA_DIR: data,
          SCALE_CHAT_LOG_LEVEL: 'warn',
        };
        pods.push(await startServeProcess(process.execPath, argv, env, 30_000, asRoot ? { uid: 1000, gid: 1000 } : {}));
      }
      for (const pod of pods) {
        const ready = await fetch(`http://127.0.0.1:${pod.port}/readyz`);
        assert.equal(ready.status, 200, 'the readiness probe answers');
        assert.equal((await fetch(`http://127.0.0.1:${pod.port}/healthz`)).status, 200, 'the liveness probe answers');
      }
      const ann = await RawClient.guest(`ws://127.0.0.1:${pods[0].port}/ws`, 'ann');
      const bob = await RawClient.guest(`ws://127.0.0.1:${pods[1].port}/ws`, 'bob');
      clients.push(ann.c, bob.c);
      const ack = await ann.c.request({ type: 'send', id: 'k8s-1', room: 'general', text: 'from pod 0' });
      assert.equal(ack.type, 'ack');
      const got = await bob.c.next<MsgEvent>((e) => e.type === 'msg' && (e as MsgEvent).text === 'from pod 0', 10_000);
      assert.equal(got.uid, ann.welcome.user.id, 'bob, on the other pod, got the message of ann through Redis');

      // Stopping pod 0 (after its preStop): SIGTERM; its client is closed with 1012 and the pod exits 0
      // well inside what the grace period leaves after the preStop sleep.
      const grace = pod.spec.terminationGracePeriodSeconds as number;
      const preStop = Number((container.lifecycle.preStop.exec.command as string[])[1]);
      const closed = ann.c.waitClose(15_000);
      const { code, ms } = await stopProcess(pods[0].child, 'SIGTERM', (grace - preStop) * 1000);
      assert.equal((await closed).code, 1012, 'clients are told to reconnect elsewhere');
      assert.equal(code, 0);
      assert.ok(ms < (grace - preStop) * 1000, `drained in ${ms} ms, inside ${grace - preStop} s`);
      // With PostgreSQL the data dir stays empty, and (as uid 1000) nothing was written anywhere else
      // this process could have written: the read-only root file system holds.
      for (const d of dataDirs) assert.deepEqual(readdirSync(d), [], 'nothing in the data dir');
      if (asRoot) {
        for (const d of [tmpdir(), process.cwd()]) assert.deepEqual(writtenBy(d, 1000, started).sort(), dataDirs.filter((x) => x.startsWith(d + path.sep)).sort(), `no file of uid 1000 under ${d} but the data dirs`);
      } else {
        console.log('# not root: the pods ran as this user, so writes outside the data dir were not checked');
      }
    } finally {
      for (const c of clients) c.close();
      for (const p of pods) await stopProcess(p.child, 'SIGTERM');
      await redis.cleanup();
      await pg.cleanup();
      for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
    }
  });
});


