import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import Ajv from 'ajv';
import { loadAll } from 'js-yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import * as ts from 'typescript';

export const REPO_ROOT = resolve(__dirname, '../..');

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The Prometheus Operator's ServiceMonitor, as far as the manifests use it (its schema is below). */
interface IServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    selector: { matchLabels?: Record<string, string> };
    endpoints: { port?: string; path?: string; interval?: string; scrapeTimeout?: string }[];
  };
}

/** The Prometheus Operator's PrometheusRule, as far as the manifests use it (its schema is below). */
interface IPrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    groups: {
      name: string;
      interval?: string;
      rules: { alert?: string; record?: string; expr: string | number; for?: string; labels?: Record<string, string> }[];
    }[];
  };
}

/** The kinds the checks read, with their API types. */
export interface ManifestKinds {
  ConfigMap: IConfigMap;
  Deployment: IDeployment;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Ingress: IIngress;
  NetworkPolicy: INetworkPolicy;
  PodDisruptionBudget: IPodDisruptionBudget;
  PrometheusRule: IPrometheusRule;
  Secret: ISecret;
  Service: IService;
  ServiceMonitor: IServiceMonitor;
}

/**
 * An API object as a check reads it: every field taken as present, since the
 * check is there to say the manifests set it (a missing one fails the check
 * with a TypeError, as with untyped objects).
 */
export type Present<T> = T extends readonly (infer U)[]
  ? Present<U>[]
  : T extends object
    ? { [K in keyof T]-?: Present<NonNullable<T[K]>> }
    : T;

/** The documents of one kind, typed as that kind's API object. */
export function objectsOfKind<K extends keyof ManifestKinds>(documents: ManifestDocument[], kind: K): Present<ManifestKinds[K]>[] {
  // Only the kind is checked here; the schema checks (schemaProblems) hold the rest of the type.
  return documents.filter((d) => d.object.kind === kind).map((d) => d.object as unknown as Present<ManifestKinds[K]>);
}

/** One YAML document of a manifest file, named `k8s/file.yaml#index` in messages. */
export interface ManifestDocument {
  where: string;
  object: KubernetesObject;
}

export const K8S_DIR = join(REPO_ROOT, 'k8s');

/** The directories under k8s/ holding a kustomization file: `base`, `overlays/dev`, `components/ingress`, ... */
export function kustomizations(kind: 'overlays' | 'components'): string[] {
  return readdirSync(join(K8S_DIR, kind), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(K8S_DIR, kind, entry.name, 'kustomization.yaml')))
    .map((entry) => `${kind}/${entry.name}`)
    .sort();
}

/** Every YAML file under `dir` (recursively), kustomization files left out: they are no API objects. */
export function manifestFiles(dir = K8S_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name) && !/^kustomization\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export interface KustomizeResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `kubectl kustomize <dir>`. kubectl is required, not optional: without it a
 * test would check nothing, so a missing binary is an error that says so.
 */
export function kustomize(dir: string): KustomizeResult {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (run.error) {
    throw new Error(
      `kubectl kustomize ${relative(REPO_ROOT, dir) || dir} could not run (${run.error.message}): these tests need kubectl ` +
        '(https://kubernetes.io/docs/tasks/tools/), installed on every development and CI machine',
    );
  }
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function documentsOf(yaml: string, where: string): ManifestDocument[] {
  return loadAll(yaml)
    .filter((object) => object !== null && object !== undefined)
    .map((object) => {
      const o = object as KubernetesObject;
      // kustomize writes long base64 values as literal blocks wrapped at 70 columns; the API
      // server's base64 decoder skips those newlines, the schema's `byte` format does not.
      if (o.kind === 'Secret' && o.data) {
        o.data = Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\n/g, '')]));
      }
      return { where: `${where}: ${o.kind}/${o.metadata?.name}`, object: o };
    });
}

/**
 * An overlay (`overlays/production`) or a kustomization written on the fly
 * (`files`, relative to k8s/, e.g. a `secret.env` made from its example),
 * rendered by kustomize in a scratch copy of k8s/, so the working tree is
 * never touched. Throws with kustomize's message when rendering fails.
 */
export function renderKustomization(dir: string, files: Record<string, string> = {}): ManifestDocument[] {
  const scratch = mkdtempSync(join(tmpdir(), 'k8s-'));
  try {
    cpSync(K8S_DIR, join(scratch, 'k8s'), { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(scratch, 'k8s', path)), { recursive: true });
      writeFileSync(join(scratch, 'k8s', path), text);
    }
    const result = kustomize(join(scratch, 'k8s', dir));
    if (result.status !== 0 || result.stderr !== '') throw new Error(`kubectl kustomize k8s/${dir}: ${result.stderr}`);
    return documentsOf(result.stdout, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** kubernetes-models' module for an API object: `kubernetes-models/apps/v1/Deployment`. */
function modelModule(object: KubernetesObject): string {
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

/**
 * The API schema check (types, required fields, enums, formats) with the
 * validators kubernetes-models generates from Kubernetes' OpenAPI document.
 * Returns the problems, or undefined when the object is valid.
 */
export function schemaProblems(object: KubernetesObject): string | undefined {
  const custom = CUSTOM_RESOURCE_SCHEMAS[`${object.apiVersion} ${object.kind}`];
  if (custom) return customResourceProblems(custom, object);
  let model: new (data: unknown) => { validate(): void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is chosen at run time, by the object's kind
    const models = require(modelModule(object)) as Record<string, typeof model>;
    model = models[object.kind];
  } catch {
    return `no Kubernetes API schema for ${object.apiVersion} ${object.kind}`;
  }
  try {
    new model(object).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Fields the API does not know (a typo such as `readinesProbe` passes the
 * schema check, which allows extra keys, and the API server would drop or
 * reject it): TypeScript's excess-property check of each object against
 * kubernetes-models' interface for its kind, as `kubeconform -strict` does.
 * One program for all documents, so the type definitions load once.
 */
export function unknownFieldProblems(all: ManifestDocument[]): string[] {
  // Custom resources have no kubernetes-models interface; their schemas below forbid unknown fields themselves.
  const documents = all.filter(({ object }) => !CUSTOM_RESOURCE_SCHEMAS[`${object.apiVersion} ${object.kind}`]);
  const fileName = join(REPO_ROOT, 'test', '__kubernetes_manifests__.ts');
  const starts: number[] = [];
  let source = '';
  documents.forEach(({ object }, index) => {
    source += `import type { I${object.kind} as T${index} } from '${modelModule(object)}';\n`;
  });
  documents.forEach(({ object }, index) => {
    starts.push(source.split('\n').length - 1);
    source += `export const d${index}: T${index} = ${JSON.stringify(object, null, 2)};\n`;
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return text;
    const line = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line;
    const index = starts.filter((start) => start <= line).length - 1;
    return index < 0 ? text : `${documents[index].where}: ${text}`;
  });
}

/*
 * The Prometheus Operator's custom resources (monitoring.coreos.com/v1) and the Gateway API's HTTPRoute, which
 * kubernetes-models does not cover: the part of their CRDs' OpenAPI schemas
 * (prometheus-operator's example/prometheus-operator-crd) that the manifests
 * may use, with no other field allowed, so a typo fails as it would with
 * `kubeconform -strict` and the CRDs. Field names and types as in the CRDs.
 */
const objectMeta = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: false,
};
const duration = { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const labelSelector = {
  type: 'object',
  properties: { matchLabels: stringMap, matchExpressions: { type: 'array' } },
  additionalProperties: false,
};
function resource(apiVersion: string, kind: string, spec: object): object {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: { apiVersion: { const: apiVersion }, kind: { const: kind }, metadata: objectMeta, spec },
    additionalProperties: false,
  };
}
const gatewayDuration = { type: 'string', pattern: '^([0-9]{1,5}(h|m|s|ms)){1,4}$' };
const CUSTOM_RESOURCE_SCHEMAS: Record<string, object> = {
  // Gateway API (gateway.networking.k8s.io/v1, standard channel v1.2): the fields the route uses.
  'gateway.networking.k8s.io/v1 HTTPRoute': resource('gateway.networking.k8s.io/v1', 'HTTPRoute', {
    type: 'object',
    properties: {
      parentRefs: {
        type: 'array',
        maxItems: 32,
        items: {
          type: 'object',
          required: ['name'],
          properties: {
            group: { type: 'string' },
            kind: { type: 'string' },
            namespace: { type: 'string' },
            name: { type: 'string', minLength: 1 },
            sectionName: { type: 'string' },
            port: { type: 'integer' },
          },
          additionalProperties: false,
        },
      },
      hostnames: { type: 'array', items: { type: 'string' } },
      rules: {
        type: 'array',
        maxItems: 16,
        items: {
          type: 'object',
          properties: {
            matches: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  path: {
                    type: 'object',
                    properties: { type: { enum: ['Exact', 'PathPrefix', 'RegularExpression'] }, value: { type: 'string' } },
                    additionalProperties: false,
                  },
                },
                additionalProperties: false,
              },
            },
            backendRefs: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name'],
                properties: {
                  group: { type: 'string' },
                  kind: { type: 'string' },
                  name: { type: 'string' },
                  namespace: { type: 'string' },
                  port: { type: 'integer', minimum: 1, maximum: 65535 },
                  weight: { type: 'integer' },
                },
                additionalProperties: false,
              },
            },
            timeouts: {
              type: 'object',
              properties: { request: gatewayDuration, backendRequest: gatewayDuration },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  }),
  'monitoring.coreos.com/v1 ServiceMonitor': resource('monitoring.coreos.com/v1', 'ServiceMonitor', {
    type: 'object',
    required: ['selector', 'endpoints'],
    properties: {
      selector: labelSelector,
      namespaceSelector: {
        type: 'object',
        properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
      jobLabel: { type: 'string' },
      endpoints: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            port: { type: 'string' },
            targetPort: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
            path: { type: 'string' },
            scheme: { enum: ['http', 'https', 'HTTP', 'HTTPS'] },
            interval: duration,
            scrapeTimeout: duration,
            honorLabels: { type: 'boolean' },
            basicAuth: { type: 'object' },
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  }),
  'monitoring.coreos.com/v1 PrometheusRule': resource('monitoring.coreos.com/v1', 'PrometheusRule', {
    type: 'object',
    properties: {
      groups: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'rules'],
          properties: {
            name: { type: 'string', minLength: 1 },
            interval: duration,
            rules: {
              type: 'array',
              items: {
                type: 'object',
                required: ['expr'],
                properties: {
                  alert: { type: 'string' },
                  record: { type: 'string' },
                  expr: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  for: duration,
                  keep_firing_for: duration,
                  labels: stringMap,
                  annotations: stringMap,
                },
                oneOf: [{ required: ['alert'] }, { required: ['record'] }],
                additionalProperties: false,
              },
            },
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  }),
};

const ajv = new Ajv({ allErrors: true });
function customResourceProblems(schema: object, object: KubernetesObject): string | undefined {
  const validate = ajv.compile(schema);
  if (validate(object)) return undefined;
  return ajv.errorsText(validate.errors);
}
