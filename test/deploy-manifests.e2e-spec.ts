import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { LOADER_VARIABLES, SETTING_SOURCES } from '../src/config/config-sources';
import { loadConfig } from '../src/config/config-loader';
import { TransportConfig } from '../src/config/transport-config';
import { composeSchemaProblems, dockerComposeConfig, interpolate, interpolatedNames, readComposeFile } from './support/compose-file';
import { dockerfileProblems, dockerIgnores, execForm, readDockerfile, readDockerignore } from './support/dockerfile';
import { envOf, readEnvExample } from './support/env-example';
import {
  KubernetesObject,
  manifestFiles,
  readManifests,
  REPO_ROOT,
  schemaProblems,
  unknownFieldProblems,
} from './support/kubernetes-manifests';
import { startTestService } from './support/test-service';

/**
 * Static checks of what deploys the service (no Docker engine or cluster is
 * needed): the Dockerfile, docker-compose.yml, k8s/ and .env.example, against
 * their schemas and against the settings the service really reads.
 */
const at = (path: string) => join(REPO_ROOT, path);
const KNOWN_VARIABLES = new Set<string>([...SETTING_SOURCES.map((source) => source.env), ...LOADER_VARIABLES]);
const DEFAULTS = new TransportConfig();
const envExample = readEnvExample(at('.env.example'));
const compose = readComposeFile(at('docker-compose.yml'));
const manifests = readManifests(manifestFiles());
const stages = readDockerfile(at('Dockerfile'));
const runtime = stages.at(-1)!;

const unknown = (names: Iterable<string>) => [...names].filter((name) => !KNOWN_VARIABLES.has(name));
const seconds = (duration: string) => Number(duration.match(/^(\d+)s$/)?.[1] ?? NaN);
const ofKind = (kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object as any);
const named = (kind: string, name: string) => ofKind(kind).find((object) => object.metadata.name === name);
/** The services that run this repository's image (RabbitMQ has its own variables). */
const appServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
const transportDeployment = named('Deployment', 'vumi-http-api-transport');
const transportContainer = transportDeployment.spec.template.spec.containers[0];
const configMap = named('ConfigMap', 'vumi-http-api-transport');
const secret = named('Secret', 'vumi-http-api-transport');
const setting = (name: string): string => configMap.data[name];

describe('.env.example', () => {
  it('lists every variable the service reads, once, each under a comment saying what it is for', () => {
    const names = envExample.map((entry) => entry.name);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
    expect([...names].sort()).toEqual([...KNOWN_VARIABLES].sort());
    expect(envExample.filter((entry) => !entry.description).map((entry) => entry.name)).toEqual([]);
  });

  it('holds the defaults, and comments out only the variables without one', () => {
    const fixed = { INSTANCE_ID: 'fixed' };
    expect({ ...loadConfig({ ...envOf(envExample), ...fixed }) }).toEqual({ ...loadConfig(fixed) });
    const withoutDefault = (name: string) => {
      const source = SETTING_SOURCES.find((candidate) => candidate.env === name);
      return source === undefined || DEFAULTS[source.property] === undefined;
    };
    for (const entry of envExample) expect([entry.name, entry.commentedOut]).toEqual([entry.name, withoutDefault(entry.name)]);
  });
});

describe('Dockerfile', () => {
  it('passes the Dockerfile linter', () => {
    expect(dockerfileProblems(at('Dockerfile'))).toEqual([]);
  });

  it('builds in one stage and runs production dependencies only, as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.some((stage) => stage.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('npm run build')))).toBe(true);
    const copiedFrom = runtime.instructions.filter((i) => i.keyword === 'COPY' && i.flags.from).map((i) => i.flags.from!);
    const prodDeps = stages.find((stage) => stage.name === copiedFrom.find((from) => from !== 'build'))!;
    expect(prodDeps.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    expect(prodDeps.instructions.some((i) => i.keyword === 'COPY' && /\bsrc\b/.test(i.args))).toBe(false);
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)!.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric, so runAsNonRoot can verify it
    expect(runtime.image).toMatch(/slim|alpine|distroless/);
  });

  it('starts node itself (exec form), on the default port, with SIGTERM', () => {
    const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(execForm(last('CMD')!)).toEqual(['node', 'dist/main.js']);
    expect(existsSync(at('src/main.ts'))).toBe(true);
    expect(last('ENTRYPOINT')).toBeUndefined();
    expect(last('EXPOSE')).toBe(String(DEFAULTS.webPort));
    expect(last('STOPSIGNAL')).toBe('SIGTERM');
  });

  it('copies only what the build context holds (.dockerignore keeps out the rest)', () => {
    const ignore = readDockerignore(at('.dockerignore'));
    const sources = stages.flatMap((stage) =>
      stage.instructions.filter((i) => i.keyword === 'COPY' && !i.flags.from).flatMap((i) => i.args.split(/\s+/).slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect([source, existsSync(at(source)), dockerIgnores(ignore, source)]).toEqual([source, true, false]);
    for (const local of ['.env', 'node_modules', '.git', 'dist']) expect(dockerIgnores(ignore, local)).toBe(true);
  });
});

const run = promisify(execFile);
async function exitCode(argv: string[], env: Record<string, string>): Promise<number> {
  return run(argv[0], argv.slice(1), { env: { ...process.env, ...env }, timeout: 10_000 }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
}
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('health check commands', () => {
  const imageCheck = execForm(runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK')!.args);
  const composeCheck = compose.services.transport.healthcheck!.test!;

  it('pass against a live service and fail where nothing answers', async () => {
    expect(imageCheck[0]).toBe('node');
    expect(composeCheck.slice(0, 2)).toEqual(['CMD', 'node']);
    expect(composeCheck[3]).toContain("'http://127.0.0.1:8080'");
    const service = await startTestService();
    try {
      const env = { WEB_PORT: String(service.port) };
      expect(await exitCode(imageCheck, env)).toBe(0);
      expect(await exitCode(composeCheck.slice(1).map((a) => a.replace(':8080', `:${service.port}`)), env)).toBe(0);
      expect(await exitCode(imageCheck, { WEB_PORT: String(await closedPort()) })).toBe(1);
    } finally {
      await service.stop();
    }
  });
});

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification (and `docker compose config` where installed)', () => {
    expect(composeSchemaProblems(compose)).toEqual([]);
    const cli = dockerComposeConfig(at('docker-compose.yml'));
    if (cli) expect(cli).toEqual({ status: 0, output: '' });
  });

  it('starts the transport once RabbitMQ is healthy; the broker keeps its data in a named volume', () => {
    const rabbitmq = compose.services.rabbitmq;
    expect(rabbitmq.healthcheck?.test?.join(' ')).toMatch(/rabbitmq-diagnostics/);
    const volume = rabbitmq.volumes!.find((v) => v.endsWith(':/var/lib/rabbitmq'))!.split(':')[0];
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    for (const [, service] of appServices) {
      expect(service.depends_on).toEqual({ rabbitmq: { condition: 'service_healthy' } });
      expect(new URL(service.environment!.AMQP_URL).hostname).toBe('rabbitmq');
    }
  });

  it('gives each transport time to drain before SIGKILL', () => {
    for (const [, service] of appServices.filter(([, s]) => !s.command)) {
      expect(seconds(service.stop_grace_period!)).toBeGreaterThan(DEFAULTS.shutdownTimeout + DEFAULTS.publishTimeout);
    }
  });

  it('has a demo profile: the echo application and a second replica of the same transport on another port', () => {
    const demo = appServices.filter(([, service]) => service.profiles?.includes('demo'));
    const echo = demo.find(([, service]) => service.command)![1];
    expect(echo.command).toEqual(['node', 'dist/demo/echo-application.js']);
    expect(existsSync(at('src/demo/echo-application.ts'))).toBe(true);
    expect(echo.healthcheck).toEqual({ disable: true }); // it serves no HTTP
    const replicas = appServices.filter(([, service]) => !service.command).map(([, service]) => service);
    expect(replicas.length).toBe(2);
    expect(replicas[1].environment).toEqual(replicas[0].environment); // one TRANSPORT_NAME, settings alike
    expect(replicas[0].environment!.INSTANCE_ID).toBe(''); // generated per container, never shared
    const hostPorts = replicas.map((service) => service.ports![0].split(':')[0]);
    expect(new Set(hostPorts).size).toBe(2);
  });
});

describe('Kubernetes manifests', () => {
  it('each document validates against the Kubernetes API schema of its kind', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    expect(manifests.map((m) => [m.where, schemaProblems(m.object)])).toEqual(manifests.map((m) => [m.where, undefined]));
  });

  it('no document has a field the API does not know', () => {
    expect(unknownFieldProblems(manifests)).toEqual([]);
  });

  it('kustomization.yaml names every manifest in k8s/ but the demo, and kustomize builds it where kubectl is', () => {
    const kustomization = load(readFileSync(at('k8s/kustomization.yaml'), 'utf8')) as { resources: string[] };
    const topLevel = manifestFiles().filter((file) => !file.includes('/k8s/demo/'));
    expect([...kustomization.resources].sort()).toEqual(topLevel.map((file) => file.split('/k8s/')[1]).sort());
    const kubectl = spawnSync('kubectl', ['kustomize', at('k8s')], { encoding: 'utf8', timeout: 30_000 });
    if (!kubectl.error) expect([kubectl.status, kubectl.stderr]).toEqual([0, '']);
  });

  it('probes the configured health paths on the configured port, and drains before SIGKILL', () => {
    const port = transportContainer.ports.find((p: any) => p.name === 'http').containerPort;
    expect(String(port)).toBe(setting('WEB_PORT'));
    expect(transportContainer.livenessProbe.httpGet).toEqual({ path: setting('LIVENESS_PATH'), port: 'http' });
    expect(transportContainer.startupProbe.httpGet).toEqual({ path: setting('LIVENESS_PATH'), port: 'http' });
    expect(transportContainer.readinessProbe.httpGet).toEqual({ path: setting('READINESS_PATH'), port: 'http' });
    const [command, pause] = transportContainer.lifecycle.preStop.exec.command;
    expect(command).toBe('sleep');
    const drain = Number(pause) + Number(setting('SHUTDOWN_TIMEOUT')) + Number(setting('PUBLISH_TIMEOUT'));
    expect(transportDeployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(drain);
  });

  it('gives each pod its own INSTANCE_ID, its settings from the ConfigMap and Secret, and a locked-down runtime', () => {
    expect(transportContainer.env).toContainEqual({ name: 'INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(transportContainer.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
    const pod = transportDeployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(transportContainer.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    for (const kind of ['requests', 'limits']) expect(Object.keys(transportContainer.resources[kind]).sort()).toEqual(['cpu', 'memory']);
    expect(transportDeployment.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it("the Service, PodDisruptionBudget and HorizontalPodAutoscaler point at the Deployment's pods", () => {
    const labels = transportDeployment.spec.template.metadata.labels;
    expect(transportDeployment.spec.selector.matchLabels).toEqual(labels);
    expect(ofKind('Service')[0].spec.selector).toEqual(labels);
    expect(ofKind('Service')[0].spec.ports[0].targetPort).toBe('http');
    expect(ofKind('PodDisruptionBudget')[0].spec).toEqual({ minAvailable: 1, selector: { matchLabels: labels } });
    const hpa = ofKind('HorizontalPodAutoscaler')[0].spec;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: transportDeployment.metadata.name });
    expect(hpa.metrics[0].resource.name).toBe('cpu');
  });
});

describe('settings in the deploy files', () => {
  it('name only variables the service reads', () => {
    const composeNames = appServices.flatMap(([, service]) => [
      ...Object.keys(service.environment ?? {}),
      ...Object.values(service.environment ?? {}).flatMap(interpolatedNames),
    ]);
    expect(unknown(composeNames)).toEqual([]);
    const k8sNames = manifests.flatMap(({ object }: { object: KubernetesObject & Record<string, any> }) => [
      ...Object.keys(object.data ?? {}),
      ...Object.keys(object.stringData ?? {}),
      ...(object.spec?.template?.spec?.containers ?? []).flatMap((c: any) => (c.env ?? []).map((e: any) => e.name)),
    ]);
    expect(unknown(k8sNames)).toEqual([]);
  });

  it('load as they stand: the ConfigMap with the Secret, and .env.example under each Compose service', () => {
    const podEnv = { ...configMap.data, ...secret.stringData, INSTANCE_ID: 'vumi-http-api-transport-7d4b9c-x2x9q' };
    expect(() => loadConfig(podEnv)).not.toThrow();
    const dotEnv = envOf(envExample);
    for (const [, service] of appServices) {
      const environment = Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(value, dotEnv)]);
      expect(() => loadConfig({ ...dotEnv, ...Object.fromEntries(environment) })).not.toThrow();
    }
  });

  it('keep secrets in the Secret only', () => {
    expect(Object.keys(secret.stringData ?? secret.data).sort()).toEqual(['AMQP_URL', 'WEB_PASSWORD', 'WEB_USERNAME']);
    expect(Object.keys(configMap.data).filter((name) => /AMQP_URL|PASSWORD|USERNAME/.test(name))).toEqual([]);
  });
});
