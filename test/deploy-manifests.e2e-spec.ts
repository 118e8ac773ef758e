import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { LOADER_VARIABLES, SETTING_SOURCES } from '../src/config/config-sources';
import { loadConfig } from '../src/config/config-loader';
import { TransportConfig } from '../src/config/transport-config';
import { ComposeService, composeSchemaProblems, interpolate, interpolatedNames, readComposeFile } from './support/compose-file';
import { dockerfileProblems, dockerIgnores, execForm, readDockerfile, readDockerignore } from './support/dockerfile';
import { envOf, readEnvExample } from './support/env-example';
import {
  K8S_DIR,
  kustomizations,
  kustomize,
  ManifestDocument,
  manifestFiles,
  ManifestKinds,
  objectsOfKind,
  Present,
  renderKustomization,
  REPO_ROOT,
  schemaProblems,
  unknownFieldProblems,
} from './support/kubernetes-manifests';
import { startTestService } from './support/test-service';

/** The slice of Prometheus' configuration (deploy/prometheus/prometheus.yml) the monitoring profile's checks read. */
interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; metrics_path: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>;
}

/** The slice of a Gateway API HTTPRoute the gateway component's checks read. */
interface HttpRoute {
  spec: {
    rules: Array<{
      matches: unknown[];
      backendRefs: Array<{ name: string; port: number }>;
      timeouts: { request: string };
    }>;
  };
}

/**
 * Static checks of what deploys the service (no Docker engine or cluster is
 * needed): the Dockerfile, docker-compose.yml, k8s/ and .env.example, against
 * their schemas and against the settings the service really reads. Every
 * Kubernetes overlay is rendered by `kubectl kustomize` (required) and its
 * output checked, since that output, not the files, is what gets applied.
 */
const at = (path: string) => join(REPO_ROOT, path);
const KNOWN_VARIABLES = new Set<string>([...SETTING_SOURCES.map((source) => source.env), ...LOADER_VARIABLES]);
const DEFAULTS = new TransportConfig();
const envExample = readEnvExample(at('.env.example'));
const compose = readComposeFile(at('docker-compose.yml'));
const stages = readDockerfile(at('Dockerfile'));
const runtime = stages.at(-1)!;

const unknown = (names: Iterable<string>) => [...names].filter((name) => !KNOWN_VARIABLES.has(name));
const seconds = (duration: string) => Number(duration.match(/^(\d+)s$/)?.[1] ?? NaN);
/** The services that run this repository's image (RabbitMQ has its own variables). */
const appServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

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

describe('npm ci', () => {
  it('runs no dependency install script (.npmrc), and no dependency but @scarf/scarf and @parcel/watcher has one to skip', () => {
    expect(readFileSync(at('.npmrc'), 'utf8')).toMatch(/^ignore-scripts=true$/m);
    const lock = JSON.parse(readFileSync(at('package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path);
    // A new one would silently not run: check whether it is needed, then add it here (or drop ignore-scripts).
    // @parcel/watcher (jest 30's file watcher, dev only): its script builds from source only where no
    // prebuilt binary (an optional dependency) fits; CI's tests never watch files.
    expect(withScripts).toEqual(['node_modules/@parcel/watcher', 'node_modules/@scarf/scarf']);
    const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8')) as { scripts: Record<string, string> };
    // ignore-scripts skips pre/post hooks of our own scripts too: there must be none.
    expect(Object.keys(pkg.scripts).filter((name) => /^(pre|post)/.test(name))).toEqual([]);
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
      expect(
        await exitCode(
          composeCheck.slice(1).map((a) => a.replace(':8080', `:${service.port}`)),
          env,
        ),
      ).toBe(0);
      expect(await exitCode(imageCheck, { WEB_PORT: String(await closedPort()) })).toBe(1);
    } finally {
      await service.stop();
    }
  });
});

describe('docker-compose.yml', () => {
  // Validated against the Compose Specification's JSON schema only: `docker compose config` is not on
  // every machine that runs these tests, and a check that passes when its tool is missing proves nothing.
  it('validates against the Compose Specification', () => {
    expect(composeSchemaProblems(compose)).toEqual([]);
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
  it('has a monitoring profile: Prometheus scrapes every transport on MANAGEMENT_PORT and loads the alert rules, Grafana shows the dashboard', () => {
    const monitoring = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('monitoring'));
    expect(monitoring.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus']);
    /** The service's bind mounts: the file on the host (relative to the repository) and where the container sees it. */
    const mounts = (service: ComposeService) =>
      (service.volumes ?? [])
        .filter((volume) => volume.startsWith('./'))
        .map((volume) => ({ host: volume.split(':')[0].slice(2), container: volume.split(':')[1] }));
    const parsed = <T = unknown>(file: string): T =>
      (file.endsWith('.json') ? JSON.parse(readFileSync(at(file), 'utf8')) : load(readFileSync(at(file), 'utf8'))) as T;
    for (const [, service] of monitoring) {
      for (const { host } of mounts(service)) expect([host, existsSync(at(host)) && typeof parsed(host)]).toEqual([host, 'object']);
    }
    const seenAt = (service: ComposeService, host: string) => mounts(service).find((mount) => mount.host === host)?.container;
    const { prometheus, grafana } = compose.services;

    // Prometheus: its configuration, the rules it loads, and the job the rules match.
    expect(seenAt(prometheus, 'deploy/prometheus/prometheus.yml')).toBe('/etc/prometheus/prometheus.yml');
    const config = parsed<PrometheusConfig>('deploy/prometheus/prometheus.yml');
    expect(config.rule_files).toEqual([seenAt(prometheus, 'docs/prometheus-alerts.yml')]);
    expect(config.scrape_configs).toHaveLength(1);
    const [job] = config.scrape_configs;
    expect(readFileSync(at('docs/prometheus-alerts.yml'), 'utf8')).toContain(`up{job="${job.job_name}"}`);
    expect(job.metrics_path).toBe(DEFAULTS.metricsPath);

    // Every transport service (any profile) is a target, on its MANAGEMENT_PORT, which is not published.
    const transports = Object.entries(compose.services).filter(([, service]) => service.environment?.WEB_PORT !== undefined);
    expect(transports.length).toBe(4);
    expect(job.dns_sd_configs.flatMap((sd) => sd.names).sort()).toEqual(transports.map(([name]) => name).sort());
    for (const [name, service] of transports) {
      const port = service.environment!.MANAGEMENT_PORT;
      expect([name, port, service.environment!.METRICS_PATH]).toEqual([name, String(job.dns_sd_configs[0].port), undefined]);
      expect([name, (service.ports ?? []).filter((published) => published.endsWith(`:${port}`))]).toEqual([name, []]);
    }

    // Grafana: the data source is that Prometheus; the dashboard file lies where the provider reads.
    const { datasources } = parsed<{ datasources: unknown[] }>('deploy/grafana/provisioning/datasources/prometheus.yml');
    expect(datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true })]);
    expect(prometheus.ports).toContain('127.0.0.1:9090:9090');
    expect(seenAt(grafana, 'deploy/grafana/provisioning/datasources/prometheus.yml')).toMatch(
      /^\/etc\/grafana\/provisioning\/datasources\/[^/]+\.yml$/,
    );
    expect(seenAt(grafana, 'deploy/grafana/provisioning/dashboards/vumi-http-api.yml')).toMatch(
      /^\/etc\/grafana\/provisioning\/dashboards\/[^/]+\.yml$/,
    );
    const [provider] = parsed<{ providers: Array<{ options: { path: string } }> }>(
      'deploy/grafana/provisioning/dashboards/vumi-http-api.yml',
    ).providers;
    expect(seenAt(grafana, 'docs/grafana-dashboard.json')).toMatch(new RegExp(`^${provider.options.path}/[^/]+\\.json$`));
  });

  it('has a redis-sentinel profile: a master, its replica, three sentinels with a quorum of two, and a transport using them', () => {
    const profile = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('redis-sentinel'));
    const redis = profile.filter(([, service]) => service.image?.startsWith('redis:')).map(([name]) => name);
    expect(redis.sort()).toEqual(['redis-master', 'redis-replica', 'redis-sentinel-1', 'redis-sentinel-2', 'redis-sentinel-3']);
    expect(compose.services['redis-replica'].command!.join(' ')).toContain('--replicaof redis-master 6379');
    for (const name of ['redis-sentinel-1', 'redis-sentinel-2', 'redis-sentinel-3']) {
      expect(compose.services[name].command!.join(' ')).toMatch(/redis-server \/data\/sentinel\.conf --sentinel/);
    }
    const sentinelConf = compose.configs!['redis-sentinel-conf'].content!;
    expect(sentinelConf).toMatch(/^sentinel monitor vumi redis-master 6379 2$/m);
    const transport = compose.services['transport-sentinel'];
    const config = loadConfig(Object.fromEntries(Object.entries(transport.environment!).filter(([name]) => name.startsWith('REDIS_'))));
    expect(config.redisSentinels).toEqual(['redis-sentinel-1:26379', 'redis-sentinel-2:26379', 'redis-sentinel-3:26379']);
    expect(config.redisMasterName).toBe('vumi');
    expect(config.redisWaitReplicas).toBe(1);
    expect(transport.image).toBe('vumi-http-api-transport:local');
  });
});

const NAME = 'vumi-http-api-transport';
const OVERLAYS = kustomizations('overlays');
const COMPONENTS = kustomizations('components');
const SECRET_EXAMPLE = 'overlays/production/secret.env.example';
/** What an operator writes before applying production: here, the example as it stands. */
const writtenByOperator: Record<string, Record<string, string>> = {
  'overlays/production': { 'overlays/production/secret.env': readFileSync(join(K8S_DIR, SECRET_EXAMPLE), 'utf8') },
};

/** One rendered overlay, with the objects the checks look at. */
class Rendered {
  constructor(
    readonly overlay: string,
    readonly documents: ManifestDocument[],
  ) {}
  ofKind<K extends keyof ManifestKinds>(kind: K): Present<ManifestKinds[K]>[] {
    return objectsOfKind(this.documents, kind);
  }
  one<K extends keyof ManifestKinds>(kind: K, name = NAME): Present<ManifestKinds[K]> {
    const found = this.ofKind(kind).filter((o) => o.metadata.name === name || o.metadata.name.startsWith(`${name}-`));
    if (found.length !== 1) throw new Error(`${this.overlay}: ${found.length} ${kind} named ${name}`);
    return found[0];
  }
  get deployment() {
    return this.one('Deployment');
  }
  get container() {
    return this.deployment.spec.template.spec.containers[0];
  }
  get configMap() {
    return this.one('ConfigMap');
  }
  get secret() {
    return this.one('Secret');
  }
  /** The Secret's values, decoded as a pod sees them. */
  get secretValues(): Record<string, string> {
    const data: Record<string, string> = this.secret.data ?? {};
    return {
      ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
      ...this.secret.stringData,
    };
  }
  setting(name: string): string {
    return this.configMap.data[name];
  }
}

const rendered = new Map<string, Rendered>();
beforeAll(() => {
  for (const overlay of OVERLAYS) rendered.set(overlay, new Rendered(overlay, renderKustomization(overlay, writtenByOperator[overlay])));
});
const each = (check: (r: Rendered) => void) => () => {
  expect(rendered.size).toBe(OVERLAYS.length);
  for (const r of rendered.values()) check(r);
};
/** An assertion that names the overlay when it fails. */
const inOverlay = (r: Rendered, value: unknown) => [r.overlay, value];

describe('Kubernetes: kustomize base, overlays and components', () => {
  it('has a base, a dev and a production overlay, and the optional components', () => {
    expect(existsSync(join(K8S_DIR, 'base/kustomization.yaml'))).toBe(true);
    expect(OVERLAYS).toEqual(['overlays/dev', 'overlays/production']);
    expect(COMPONENTS).toEqual([
      'components/gateway-api',
      'components/ingress',
      'components/kube-prometheus-stack',
      'components/networkpolicy',
      'components/prometheusrule',
      'components/servicemonitor',
    ]);
  });

  it('every overlay renders with kubectl kustomize, without a warning', () => {
    for (const overlay of OVERLAYS)
      expect(inOverlay(rendered.get(overlay)!, rendered.get(overlay)!.documents.length > 5)).toEqual([overlay, true]);
  });

  it('never applies the example Secret as it is: production does not render until secret.env is written', () => {
    const asCommitted = kustomize(join(K8S_DIR, 'overlays/production'));
    expect(asCommitted.status).not.toBe(0);
    expect(asCommitted.stderr).toContain('secret.env');
    expect(readFileSync(join(K8S_DIR, 'overlays/production/.gitignore'), 'utf8')).toMatch(/^secret\.env$/m);
    expect(existsSync(join(K8S_DIR, 'base/secret.yaml'))).toBe(false);
    expect(kustomize(join(K8S_DIR, 'base')).stdout).not.toMatch(/^kind: Secret$/m);
  });

  it('every component renders on top of the base, and production uses them all but the alternative to its Ingress', () => {
    const all = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\ncomponents: [${COMPONENTS.map((c) => `../${c}`).join(', ')}]\n`;
    const documents = renderKustomization('all-components', { 'all-components/kustomization.yaml': all });
    expect(documents.map((d) => d.object.kind).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'HTTPRoute',
        'Ingress',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PrometheusRule',
        'Service',
        'ServiceMonitor',
      ].sort(),
    );
    const production = load(readFileSync(join(K8S_DIR, 'overlays/production/kustomization.yaml'), 'utf8')) as { components: string[] };
    // The HTTPRoute is an alternative to the Ingress: an operator with a Gateway swaps one for the other.
    const ALTERNATIVES = ['components/gateway-api'];
    expect(production.components.map((c) => c.replace('../../', '')).sort()).toEqual(COMPONENTS.filter((c) => !ALTERNATIVES.includes(c)));
  });

  it('every manifest file under k8s/ is named by the kustomization beside it', () => {
    for (const file of manifestFiles()) {
      const dir = file.slice(0, file.lastIndexOf('/'));
      const kustomization = load(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
        resources?: string[];
        patches?: { path?: string }[];
      };
      const named = [...(kustomization.resources ?? []), ...(kustomization.patches ?? []).flatMap((p) => (p.path ? [p.path] : []))];
      expect([file, named.includes(file.slice(dir.length + 1))]).toEqual([file, true]);
    }
  });

  it(
    'each rendered document validates against the API schema of its kind (the Prometheus Operator CRDs included)',
    each((r) => {
      expect(r.documents.map((d) => [d.where, schemaProblems(d.object)])).toEqual(r.documents.map((d) => [d.where, undefined]));
    }),
  );

  it('the CRD schemas used for the Prometheus Operator resources refuse what the CRDs refuse', () => {
    const r = rendered.get('overlays/production')!;
    const monitor = r.one('ServiceMonitor');
    const rule = r.one('PrometheusRule');
    expect(schemaProblems(monitor)).toBeUndefined();
    expect(schemaProblems({ ...monitor, spec: { ...monitor.spec, endpoint: monitor.spec.endpoints } })).toMatch(/additional properties/);
    expect(schemaProblems({ ...monitor, spec: { ...monitor.spec, endpoints: [{ port: 'http', interval: '30 seconds' }] } })).toMatch(
      /pattern/,
    );
    const [group] = rule.spec.groups;
    expect(schemaProblems({ ...rule, spec: { groups: [{ ...group, rules: [{ alert: 'X' }] }] } })).toMatch(/expr/);
  });

  it('no rendered document has a field the API does not know', () => {
    expect(unknownFieldProblems([...rendered.values()].flatMap((r) => r.documents))).toEqual([]);
  });

  it(
    'sets a real image tag in every overlay (never `latest`, never untagged)',
    each((r) => {
      for (const deployment of r.ofKind('Deployment')) {
        for (const container of deployment.spec.template.spec.containers) {
          expect(inOverlay(r, container.image)).toEqual([r.overlay, expect.stringMatching(/^[^:@]+(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/)]);
          expect(inOverlay(r, container.image)).not.toEqual([r.overlay, expect.stringMatching(/:latest$/)]);
        }
      }
    }),
  );

  it(
    'generates the ConfigMap and the Secret (names with a content hash, so a change rolls the pods) and the Deployment follows them',
    each((r) => {
      for (const generated of [r.configMap, r.secret]) expect(generated.metadata.name).toMatch(new RegExp(`^${NAME}-[a-z0-9]{10}$`));
      expect(r.container.envFrom).toEqual([
        { configMapRef: { name: r.configMap.metadata.name } },
        { secretRef: { name: r.secret.metadata.name } },
      ]);
    }),
  );

  it(
    'lets the HorizontalPodAutoscaler own the replica count',
    each((r) => {
      expect(inOverlay(r, r.deployment.spec.replicas)).toEqual([r.overlay, undefined]);
      const hpa = r.one('HorizontalPodAutoscaler').spec;
      expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: r.deployment.metadata.name });
      expect(hpa.metrics[0].resource.name).toBe('cpu');
      expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
      expect(r.one('PodDisruptionBudget').spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: r.deployment.spec.template.metadata.labels },
      });
    }),
  );

  it('runs at least two pods in production, one or two in dev with the echo application in reply mode', () => {
    const production = rendered.get('overlays/production')!;
    const dev = rendered.get('overlays/dev')!;
    expect(production.one('HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(production.setting('REPLY_EXPECTED')).toBe('false');
    expect(production.ofKind('Deployment').length).toBe(1);
    expect(dev.one('HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
    expect(dev.setting('REPLY_EXPECTED')).toBe('true');
    const echo = dev.one('Deployment', 'vumi-echo-application').spec.template.spec.containers[0];
    expect(echo.command).toEqual(['node', 'dist/demo/echo-application.js']);
    expect(echo.image).toBe(dev.container.image);
    expect(echo.envFrom).toEqual(dev.container.envFrom);
  });

  it(
    'probes the configured health paths on the configured port, and drains before SIGKILL',
    each((r) => {
      const port = r.container.ports.find((p) => p.name === 'http')!.containerPort;
      expect(String(port)).toBe(r.setting('WEB_PORT'));
      expect(r.container.livenessProbe.httpGet).toEqual({ path: r.setting('LIVENESS_PATH'), port: 'http' });
      expect(r.container.startupProbe.httpGet).toEqual({ path: r.setting('LIVENESS_PATH'), port: 'http' });
      expect(r.container.readinessProbe.httpGet).toEqual({ path: r.setting('READINESS_PATH'), port: 'http' });
      const [command, pause] = r.container.lifecycle.preStop.exec.command;
      expect(command).toBe('sleep');
      const drain = Number(pause) + Number(r.setting('SHUTDOWN_TIMEOUT')) + Number(r.setting('PUBLISH_TIMEOUT'));
      expect(r.deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(drain);
    }),
  );

  it(
    'gives each pod its own INSTANCE_ID and a locked-down runtime',
    each((r) => {
      expect(r.container.env).toContainEqual({ name: 'INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
      const pod = r.deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(r.container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      for (const kind of ['requests', 'limits'] as const)
        expect(Object.keys(r.container.resources[kind]).sort()).toEqual(['cpu', 'memory']);
    }),
  );

  it(
    "the Service points at the Deployment's pods",
    each((r) => {
      const labels = r.deployment.spec.template.metadata.labels;
      expect(r.deployment.spec.selector.matchLabels).toEqual(labels);
      expect(r.one('Service').spec.selector).toEqual(labels);
      expect(r.one('Service').spec.ports[0].targetPort).toBe('http');
    }),
  );
});

describe('Kubernetes components, as production renders them', () => {
  const production = () => rendered.get('overlays/production')!;

  it('the ServiceMonitor scrapes METRICS_PATH on a port of the Service it selects', () => {
    const r = production();
    const monitor = r.one('ServiceMonitor').spec;
    const service = r.one('Service');
    expect(monitor.selector.matchLabels).toEqual(
      Object.fromEntries(Object.entries(service.metadata.labels).filter(([k]) => k in monitor.selector.matchLabels)),
    );
    expect(Object.keys(monitor.selector.matchLabels).length).toBeGreaterThan(0);
    const servicePort = service.spec.ports.find((p) => p.name === monitor.endpoints[0].port);
    expect(servicePort).toBeDefined();
    const containerPort = r.container.ports.find((p) => p.name === servicePort?.targetPort);
    expect(containerPort).toBeDefined();
    expect(monitor.endpoints[0].path).toBe(r.setting('METRICS_PATH') ?? DEFAULTS.metricsPath);
  });

  it("the ServiceMonitor and the PrometheusRule carry the `release` label kube-prometheus-stack's selectors match", () => {
    const r = production();
    const release = r.one('ServiceMonitor').metadata.labels.release;
    expect(release).toEqual(expect.stringMatching(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/));
    expect(r.one('PrometheusRule').metadata.labels).toMatchObject({ release, 'app.kubernetes.io/name': NAME });
    expect(r.one('ServiceMonitor').metadata.labels['app.kubernetes.io/name']).toBe(NAME);
    // The release name is set in one place: the component's patch.
    expect(
      readFileSync(join(K8S_DIR, 'components/kube-prometheus-stack/kustomization.yaml'), 'utf8').split(`value: ${release}`),
    ).toHaveLength(2);
  });

  it('the PrometheusRule holds exactly the rules of docs/prometheus-alerts.yml (scripts/prometheus-rule.ts writes it)', () => {
    const docs = load(readFileSync(at('docs/prometheus-alerts.yml'), 'utf8')) as { groups: unknown[] };
    expect(production().one('PrometheusRule').spec.groups).toEqual(docs.groups);
  });

  it("the NetworkPolicy lets in the pods' http port and lets out DNS and the broker's port", () => {
    const r = production();
    const policy = r.one('NetworkPolicy').spec;
    expect(policy.podSelector.matchLabels).toEqual(r.deployment.spec.selector.matchLabels);
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.ingress.flatMap((rule) => rule.ports)).toContainEqual({ port: 'http', protocol: 'TCP' });
    const out = policy.egress.flatMap((rule) => rule.ports);
    const amqp = new URL(r.secretValues.AMQP_URL);
    expect(out).toContainEqual({ port: Number(amqp.port || (amqp.protocol === 'amqps:' ? 5671 : 5672)), protocol: 'TCP' });
    expect(out).toContainEqual({ port: 53, protocol: 'UDP' });
  });

  it('the Ingress routes WEB_PATH, with a host and TLS, to the Service', () => {
    const r = production();
    const ingress = r.one('Ingress').spec;
    expect(ingress.rules).toHaveLength(1);
    expect(ingress.rules[0].host).toMatch(/\./);
    expect(ingress.tls[0].hosts).toEqual([ingress.rules[0].host]);
    const [path] = ingress.rules[0].http.paths;
    expect(path.path).toBe(r.setting('WEB_PATH'));
    expect(path.backend.service.name).toBe(r.one('Service').metadata.name);
    expect(r.one('Service').spec.ports.map((p) => p.name)).toContain(path.backend.service.port.name);
  });
});

describe('Kubernetes: the Gateway API component (not in production: in place of the Ingress)', () => {
  it('routes WEB_PATH to the Service with a request time-out above REQUEST_TIMEOUT, and validates', () => {
    const base = readFileSync(join(K8S_DIR, 'base/settings.env'), 'utf8');
    const setting = (name: string) => base.match(new RegExp(`^${name}=(.*)$`, 'm'))?.[1];
    const gateway = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\ncomponents: [../components/gateway-api]\n`;
    const documents = renderKustomization('gateway', { 'gateway/kustomization.yaml': gateway });
    for (const d of documents) expect([d.where, schemaProblems(d.object)]).toEqual([d.where, undefined]);
    const route = documents.find((d) => d.object.kind === 'HTTPRoute')!.object as unknown as HttpRoute;
    const service = documents.find((d) => d.object.kind === 'Service')!.object as unknown as Present<ManifestKinds['Service']>;
    expect(route.spec.rules).toHaveLength(1);
    const [rule] = route.spec.rules;
    expect(rule.matches).toEqual([{ path: { type: 'PathPrefix', value: setting('WEB_PATH') ?? DEFAULTS.webPath } }]);
    const http = service.spec.ports.find((p) => p.name === 'http')!;
    expect(rule.backendRefs).toEqual([{ name: service.metadata.name, port: http.port }]);
    const requestTimeout = Number(setting('REQUEST_TIMEOUT') ?? DEFAULTS.requestTimeout);
    expect(seconds(rule.timeouts.request)).toBeGreaterThan(requestTimeout);
    // The Ingress' nginx read time-out says the same.
    const ingress = renderKustomization('ingress', {
      'ingress/kustomization.yaml': gateway.replace('gateway-api', 'ingress'),
    }).find((d) => d.object.kind === 'Ingress')!.object as unknown as Present<ManifestKinds['Ingress']>;
    expect(Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBe(seconds(rule.timeouts.request));
  });
});

describe('settings in the deploy files', () => {
  it('name only variables the service reads', () => {
    const composeNames = appServices.flatMap(([, service]) => [
      ...Object.keys(service.environment ?? {}),
      ...Object.values(service.environment ?? {}).flatMap(interpolatedNames),
    ]);
    expect(unknown(composeNames)).toEqual([]);
    expect(rendered.size).toBe(OVERLAYS.length);
    for (const r of rendered.values()) {
      const k8sNames = [
        ...r.ofKind('ConfigMap').flatMap((o) => Object.keys(o.data ?? {})),
        ...r.ofKind('Secret').flatMap((o) => Object.keys({ ...o.data, ...o.stringData })),
        ...r.ofKind('Deployment').flatMap((d) => d.spec.template.spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name))),
      ];
      expect(inOverlay(r, unknown(k8sNames))).toEqual([r.overlay, []]);
    }
  });

  it(
    "load as they stand: each overlay's ConfigMap with its Secret",
    each((r) => {
      const podEnv = { ...r.configMap.data, ...r.secretValues, INSTANCE_ID: 'vumi-http-api-transport-7d4b9c-x2x9q' };
      expect(() => loadConfig(podEnv)).not.toThrow();
    }),
  );

  it('load as they stand: .env.example under each Compose service', () => {
    const dotEnv = envOf(envExample);
    for (const [, service] of appServices) {
      const environment = Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(value, dotEnv)] as const);
      expect(() => loadConfig({ ...dotEnv, ...Object.fromEntries(environment) })).not.toThrow();
    }
  });

  it(
    'keep secrets in the Secret only',
    each((r) => {
      const secretNames = Object.keys(r.secretValues);
      expect(secretNames).toContain('AMQP_URL');
      expect(secretNames.filter((name) => !['AMQP_URL', 'WEB_USERNAME', 'WEB_PASSWORD'].includes(name))).toEqual([]);
      expect(Object.keys(r.configMap.data).filter((name) => /AMQP_URL|PASSWORD|USERNAME/.test(name))).toEqual([]);
    }),
  );
});
