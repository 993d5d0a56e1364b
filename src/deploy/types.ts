/**
 * Types shared by deploy planning (pure), the runtimes (Docker adapters) and apply.
 */

/** A container of the environment as the engine reports it. */
export interface ContainerState {
  id: string;
  /** Container name without the leading slash. */
  name: string;
  /** Compose service (label com.docker.compose.service). */
  service: string;
  /** Image reference the container was created from (Config.Image). */
  image: string;
  /** Image ID (sha256:...) the container runs. */
  imageId: string;
  /** com.docker.compose.config-hash */
  configHash?: string;
  /** running, exited, created, restarting, paused, dead */
  state: string;
  /** Docker health status when the container has a health check. */
  health?: "starting" | "healthy" | "unhealthy";
  /** com.docker.compose.container-number */
  number?: number;
  /** `docker compose run` containers (label com.docker.compose.oneoff=True). */
  oneoff: boolean;
  /** ISO time the container was created. */
  created: string;
}

export interface ImageState {
  /** The reference asked for. */
  ref: string;
  id: string;
  repoDigests: string[];
  repoTags: string[];
  created?: string;
  labels: Record<string, string>;
}

/** What one service should be, from the project model. */
export interface DesiredService {
  name: string;
  /** Image reference compose uses for the service (the `image:` or the name compose gives a build). */
  image: string;
  /** The service has a `build:` section. */
  build: boolean;
  /** Config hash compose computes for the service (`config --hash`), when known. */
  configHash?: string;
  /** An Odoo server (from the project model's effective odoo.conf list). */
  odoo: boolean;
  /** A reverse proxy (nginx, traefik) of the environment. */
  proxy?: "nginx" | "traefik";
  /** The PostgreSQL service. */
  database: boolean;
  /** `deploy.replicas` or 1. */
  replicas: number;
  /** The service has a Docker health check. */
  healthcheck: boolean;
  /** Host ports it publishes (for the zero-downtime switch: a published port cannot run twice). */
  publishesPorts: boolean;
  /** container_name is set (same reason). */
  containerName?: string;
}

export interface DesiredState {
  project: string;
  env: string;
  /** Compose files in -f order, project-relative. */
  files: string[];
  services: DesiredService[];
}

export interface ActualState {
  /** Engine version; undefined when the engine did not answer. */
  engine?: string;
  engineError?: string;
  containers: ContainerState[];
  /** Local images by reference (the desired images and the running ones). */
  images: Record<string, ImageState | undefined>;
}
