/**
 * How the pod runner turns a container into something running: the seam between the
 * kubelet-like bookkeeping in pod-runner.ts and a runtime. Two implementations: local processes
 * (below) and runc containers (runc/runc-launcher.ts).
 */
import type { LaunchContext } from './container-env.js';
import { containerLaunch } from './container-env.js';
import { resolveImage, type ImageRegistry } from './images.js';
import { allocatePodIp } from './pod-ip.js';
import type { PodRun } from './pod-state.js';
import { ContainerProcess, type ContainerHandle, type Exit } from './process.js';
import type { Container, Pod } from './types.js';
import { mountContainer } from './volumes.js';

export type Sources = Omit<LaunchContext, 'image' | 'podRoot' | 'podIP'>;

export interface ContainerLauncher {
  readonly mode: 'process' | 'runc';
  /** Pod-level resources (address, network namespace) for a new run. */
  setUpPod(run: PodRun, pod: Pod): Promise<void>;
  /** Get every image of the pod ready; a waiting reason when one cannot be had. */
  prepareImages(pod: Pod, run: PodRun): Promise<{ reason: string; message: string } | undefined>;
  /** Check the container's configuration and set up its mounts; throws ContainerConfigError. */
  configure(pod: Pod, run: PodRun, c: Container, src: Sources): Promise<void>;
  start(
    pod: Pod,
    run: PodRun,
    c: Container,
    src: Sources,
    logFile: string,
    onExit: (e: Exit) => void,
  ): ContainerHandle;
  /** Undo setUpPod once every container has stopped. */
  tearDownPod(run: PodRun): Promise<void>;
  /** Cut (false) or restore (true) the pod's network, where the runtime gives it one. */
  setPodNetwork?(run: PodRun, up: boolean): Promise<void>;
}

/** Containers as local processes, images mapped to local programs (see images.ts). */
export class ProcessLauncher implements ContainerLauncher {
  readonly mode = 'process';
  constructor(private readonly images: ImageRegistry) {}

  async setUpPod(run: PodRun): Promise<void> {
    run.ip = allocatePodIp();
  }

  async prepareImages(pod: Pod): Promise<{ reason: string; message: string } | undefined> {
    const unknown = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
      (c) => !resolveImage(this.images, c.image),
    );
    return unknown
      ? {
          reason: 'ErrImagePull',
          message: `image "${unknown.image}" is not known to the tier-1 pod runner (no local program registered for it)`,
        }
      : undefined;
  }

  private launch(pod: Pod, run: PodRun, c: Container, src: Sources): ReturnType<typeof containerLaunch> {
    return containerLaunch(pod, c, {
      podRoot: run.root,
      podIP: run.ip,
      image: resolveImage(this.images, c.image)!,
      ...src,
    });
  }

  async configure(pod: Pod, run: PodRun, c: Container, src: Sources): Promise<void> {
    await mountContainer(run.root, c, run.layout!);
    this.launch(pod, run, c, src);
  }

  start(
    pod: Pod,
    run: PodRun,
    c: Container,
    src: Sources,
    logFile: string,
    onExit: (e: Exit) => void,
  ): ContainerHandle {
    return new ContainerProcess(this.launch(pod, run, c, src), logFile, onExit);
  }

  async tearDownPod(): Promise<void> {}
}
