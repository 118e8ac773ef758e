# syntax=docker/dockerfile:1
#
# The Vumi HTTP API transport. Build:   docker build -t vumi-http-api-transport .
# Run the service:                      docker run -p 8080:8080 -e AMQP_URL=amqp://... vumi-http-api-transport
# Run the demo echo application:        docker run -e AMQP_URL=... vumi-http-api-transport node dist/demo/echo-application.js
# docs/deploy.md has Compose and Kubernetes.

# Node 26, the Active LTS line since October 2026 (Node 24 is in maintenance
# LTS since then, Node 20 reached its end of life in April 2026), on Debian 13
# (trixie) slim. The supported floor is Node 22 (package.json `engines`); CI runs
# the whole suite on both, 26 and 22 (.ci/run).
ARG NODE_IMAGE=node:26-trixie-slim

# Install scripts are skipped (--ignore-scripts): no dependency needs one, and
# it keeps postinstall telemetry (@scarf/scarf) quiet during builds. The one
# native addon, @node-rs/bcrypt, ships prebuilt binaries as optional
# dependencies (@node-rs/bcrypt-linux-x64-gnu here), which need no script.

# ---- build: all dependencies, compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only, installed apart so no dev tool reaches the image ----
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY package.json ./
# Which build this is, in the start log line, /health, vumi_http_api_build_info
# (docs/releasing.md): docker build --build-arg GIT_REVISION=$(git rev-parse --short=12 HEAD).
# The version itself is package.json's.
ARG GIT_REVISION=unknown
ENV GIT_REVISION=${GIT_REVISION}
LABEL org.opencontainers.image.revision=${GIT_REVISION}

# The image's `node` user (uid/gid 1000), given numerically so Kubernetes'
# runAsNonRoot can verify it. The app files stay owned by root: the process
# cannot change its own code, and it writes nothing to disk (a read-only root
# filesystem works).
USER 1000:1000

EXPOSE 8080

# Liveness only (the process answers), with node itself: the slim image has no
# curl or wget. The service's own settings pick the port and path.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WEB_PORT||8080)+(process.env.LIVENESS_PATH||'/health/live')).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form, no shell and no npm in between: SIGTERM goes straight to node.
# Node as PID 1 is fine here: the kernel ignores signals PID 1 has no handler
# for, but main.ts (and the echo app) install SIGTERM/SIGINT handlers that
# drain and exit, and the process starts no children, so there are no zombies
# to reap and no need for tini (add `docker run --init` if that changes).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
