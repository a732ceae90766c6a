# syntax=docker/dockerfile:1
# pantau in a container: a builder stage compiles the TypeScript and better-sqlite3's native
# addon; the runtime stage holds dist/, the production node_modules and config/, and runs as the
# unprivileged `node` user under tini.
#
#   docker build -t pantau .
#   docker run -d --name pantau -p 9469:9469 -v pantau-data:/data \
#     -v "$PWD/config/pantau.yaml:/etc/pantau/pantau.yaml:ro" pantau
#
# The ledger goes to the /data volume. SIGTERM stops pantau cleanly (probes in flight end within
# their timeout): give `docker stop` a grace period above your longest timeout (-t 30).

# Node 24, the active LTS line: .ci/run tests it besides the build machine's Node (README.md,
# Requirements).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt addon when one matches this Node and libc, and compiles
# itself with node-gyp otherwise: python3, make and g++ are for that.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Without scripts: the package's `prepare` would run tsc before src/ is here, and esbuild's
# install script only serves dev tools. better-sqlite3's (its native addon) runs on its own.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM/SIGINT/SIGHUP to pantau and reaps zombies (docker run --init
# does the same for other images).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# V8 sizes its heap growth by this limit: under the default (4 GiB on a 24 GiB host) the old
# space grows to ~4x the live heap between major GCs (RSS 345 MiB at 10,000 targets); under
# 1 GiB, ~1.6x (213 MiB), for a few % more CPU. The live heap is ~70 MiB at 10,000 targets.
# Node 24 also lets the young generation grow further than Node 20 did: 16 MiB semi-spaces keep
# it to Node 20's size (RSS growth under 2,200 hostile targets: +219 MiB with Node 24's defaults,
# +77 MiB with both flags; docs/performance.md, Memory).
ENV NODE_OPTIONS="--max-old-space-size=1024 --max-semi-space-size=16"
WORKDIR /app
# Same base image as the builder: the compiled addon matches this Node ABI and glibc.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
COPY config/pantau.yaml /etc/pantau/pantau.yaml
# storage.path in the shipped config is data/pantau.db, relative to the working directory:
# /app/data is the /data volume.
RUN mkdir /data \
 && chown node:node /data \
 && ln -s /data /app/data
VOLUME /data
USER node
# server.listen of the shipped config; HEALTHCHECK below asks the same port.
EXPOSE 9469
# /-/healthy answers without the bearer token, so this works with server.bearer_token set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9469/-/healthy').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["run", "--config", "/etc/pantau/pantau.yaml"]
