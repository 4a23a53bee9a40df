/**
 * deploy/k8s: every object is valid against the Kubernetes API schemas (types, required fields, and no
 * field the API does not define: test/helpers/k8s-manifests.ts), the check itself refuses a wrong field,
 * and the manifests agree with the server: probes on /readyz and /healthz, a grace period that covers
 * the preStop sleep and the drain, env variables that are real options and load as a Config, selectors
 * and names that point at each other, a non-root read-only container.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { defaults, envName, loadConfig, type Config } from '../src/server/config.js';
import { loadManifests, schemaErrors, strictFieldErrors, type K8sObject } from './helpers/k8s-manifests.js';

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

