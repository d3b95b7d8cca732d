# syntax=docker/dockerfile:1
# The NEXUS operator image: TypeScript compiled in a full Node.js 20 image, run on
# distroless Node.js 20 as the non-root user 65532 with production dependencies only.
#   docker build -t nexus-operator:0.1.0 .

FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY operator ./operator
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# package.json carries "type": "module", which the compiled ES modules need.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 65532:65532
# 9000: the credential gate's Check service (nexus-authz), run from this same image with
# command ["/nodejs/bin/node", "dist/authz/main.js"] in place of the entry point.
EXPOSE 8080 8081 9000
# distroless has no shell and no node on PATH: this is `node dist/main.js`.
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js"]
