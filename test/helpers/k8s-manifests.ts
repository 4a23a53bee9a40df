/**
 * Validation of Kubernetes manifests (deploy/k8s) against the Kubernetes API's own schemas, offline, in
 * the two ways the `kubernetes-models` package (dev dependency) allows:
 *  - its JSON-schema validators (ajv, generated from the Kubernetes OpenAPI document): types, required
 *    fields, enums, formats. They accept unknown fields (the API server's default schemas do too);
 *  - its TypeScript declarations, generated from the same document: every object written as a typed
 *    literal and type-checked by tsc, whose excess-property check refuses any field the API does not
 *    define (a misspelling, a field one level off): what `kubectl --validate=strict` refuses.
 * An apiVersion/kind the package has no model for is an error, as in kubeconform.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata?: { name?: string }; [k: string]: unknown };

export interface Manifest {
  /** `file#index kind/name`, for messages. */
  where: string;
  file: string;
  obj: K8sObject;
}

/** Every YAML document of every .yaml file in `dir` (files in name order). A YAML error throws. */
export function loadManifests(dir: string): Manifest[] {
  const out: Manifest[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).forEach((d, i) => {
      if (d.errors.length) throw new Error(`${file}#${i}: ${d.errors.map((e) => e.message).join('; ')}`);
      const obj = d.toJS() as K8sObject | null;
      if (obj) out.push({ where: `${file}#${i} ${obj.kind}/${obj.metadata?.name ?? '?'}`, file, obj });
    });
  }
  return out;
}

/** The package module of an apiVersion: `apps/v1` -> `kubernetes-models/apps/v1`, `v1` -> `kubernetes-models/v1`. */
const modelModule = (apiVersion: string) => `kubernetes-models/${apiVersion}`;

/** Schema errors of one object (empty: valid). */
export async function schemaErrors(obj: K8sObject): Promise<string[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modelModule(obj.apiVersion))) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && !(await hasModels())) throw new Error(MISSING);
    return [`no schema for apiVersion ${obj.apiVersion}`];
  }
  const Model = mod[obj.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (typeof Model !== 'function') return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

const MISSING = 'kubernetes-models is not installed: it is a dev dependency of this repository (npm ci installs it)';
async function hasModels(): Promise<boolean> {
  try {
    await import(modelModule('v1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Strict check of several objects in one tsc run: each is written as a literal of its model's interface
 * (`I<Kind>` from `kubernetes-models/<apiVersion>/<Kind>`). Returns the errors per label; a label
 * missing from the map type-checked clean.
 */
export async function strictFieldErrors(objects: { label: string; obj: K8sObject }[]): Promise<Map<string, string[]>> {
  if (!(await hasModels())) throw new Error(MISSING);
  // Inside this directory (dist/test/helpers/...), so that `kubernetes-models` resolves the way this
  // module's own imports do: from the repository's node_modules.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = mkdtempSync(path.join(here, '.k8s-typecheck-'));
  try {
    const lines: string[] = [];
    const ranges: { label: string; from: number; to: number }[] = [];
    objects.forEach(({ label, obj }, i) => {
      lines.push(`import type { I${obj.kind} as T${i} } from '${modelModule(obj.apiVersion)}/${obj.kind}';`);
      ranges.push({ label, from: lines.length, to: lines.length }); // an unknown apiVersion/kind fails here
    });
    objects.forEach(({ label, obj }, i) => {
      const from = lines.length + 1;
      lines.push(...`export const m${i}: T${i} = ${JSON.stringify(obj, null, 2)};`.split('\n'));
      ranges.push({ label, from, to: lines.length });
    });
    writeFileSync(path.join(dir, 'manifests.ts'), lines.join('\n') + '\n');
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true, types: [] },
        files: ['manifests.ts'],
      }),
    );
    const tsc = path.join(process.cwd(), 'node_modules/.bin/tsc');
    const r = spawnSync(tsc, ['-p', dir, '--pretty', 'false'], { encoding: 'utf8', timeout: 120_000 });
    if (r.error) throw r.error;
    const out = r.stdout + r.stderr;
    const errors = new Map<string, string[]>();
    for (const m of out.matchAll(/manifests\.ts\((\d+),\d+\): error (TS\d+: .*)/g)) {
      const line = Number(m[1]);
      const range = ranges.find((x) => line >= x.from && line <= x.to);
      const label = range?.label ?? '(unlocated)';
      errors.set(label, [...(errors.get(label) ?? []), `line ${line - (range?.from ?? 0)}: ${m[2]}`]);
    }
    if (r.status !== 0 && errors.size === 0) throw new Error(`tsc failed without a located error: ${out.slice(0, 2000)}`);
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
