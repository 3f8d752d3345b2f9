/**
 * Containers under runc: a network namespace per pod (its own IP on the slot's bridge), images
 * pulled by name from a registry, each container's process and mounts by the kubelet's rules.
 * Volumes are bind mounts of the pod's volume directories, so a Secret update (a new `..data`
 * generation swapped in with one rename) is seen inside the container as on a real node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerConfigError, containerEnv } from '../container-env.js';
import type { ContainerLauncher, Sources } from '../launcher.js';
import type { PodRun } from '../pod-state.js';
import type { ContainerHandle, Exit } from '../process.js';
import type { Container, Pod } from '../types.js';
import { parsePasswd, processSpec, type Mount, type ProcessSpec } from './container-spec.js';
import { setPodLink, type HostSlot } from './host-slot.js';
import { ImagePullError, type ImageStore, type PulledImage } from './image-store.js';
import { RuncContainer } from './runc-container.js';

/** Where the kubelet puts the service-account token; here the tier-1 form, a kubeconfig. */
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
let seq = 0;

export class RuncLauncher implements ContainerLauncher {
  readonly mode = 'runc';
  constructor(
    private readonly slot: HostSlot,
    private readonly images: ImageStore,
  ) {}

  async setUpPod(run: PodRun, pod: Pod): Promise<void> {
    run.net = await this.slot.addPod();
    run.ip = run.net.ip;
    await writeFile(
      join(run.dir, 'hosts'),
      `127.0.0.1\tlocalhost\n::1\tlocalhost\n${run.ip}\t${pod.metadata.name ?? ''}\n`,
    );
  }

  async prepareImages(pod: Pod, run: PodRun): Promise<{ reason: string; message: string } | undefined> {
    run.images ??= new Map();
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      if (run.images.has(c.image)) continue;
      try {
        run.images.set(c.image, await this.images.pull(c.image));
      } catch (e) {
        if (!(e instanceof ImagePullError)) throw e;
        run.pullFailures = (run.pullFailures ?? 0) + 1;
        return {
          reason: run.pullFailures > 1 ? 'ImagePullBackOff' : 'ErrImagePull',
          message: run.pullFailures > 1 ? `Back-off pulling image "${c.image}": ${e.message}` : e.message,
        };
      }
    }
    return undefined;
  }

  private image(run: PodRun, c: Container): PulledImage {
    const img = run.images?.get(c.image);
    if (!img) throw new ContainerConfigError(`image "${c.image}" was not pulled`);
    return img;
  }

  private process(pod: Pod, run: PodRun, c: Container, src: Sources): ProcessSpec {
    const img = this.image(run, c);
    const passwdFile = join(img.rootfs, 'etc/passwd');
    const passwd = parsePasswd(existsSync(passwdFile) ? readFileSync(passwdFile, 'utf8') : '');
    const env = containerEnv(pod, c, { ...src, podIP: run.ip });
    const sa = Boolean(src.serviceAccountKubeconfig) && pod.spec?.automountServiceAccountToken !== false;
    if (sa) env.KUBECONFIG ??= `${SA_DIR}/kubeconfig`;
    env.POD_IP ??= run.ip;
    return processSpec(pod, c, img.config, env, passwd);
  }

  private mounts(pod: Pod, run: PodRun, c: Container, src: Sources): Mount[] {
    const mounts: Mount[] = [{ destination: '/etc/hosts', source: join(run.dir, 'hosts'), readOnly: true }];
    const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    for (const m of c.volumeMounts ?? []) {
      const dir = run.layout?.dirs.get(m.name);
      if (!dir) throw new ContainerConfigError(`volumeMount ${m.name}: no such volume`);
      const v = volumes.get(m.name);
      // ConfigMap and Secret volumes are read-only, as the kubelet mounts them.
      const readOnly = m.readOnly === true || Boolean(v?.secret || v?.configMap);
      mounts.push({ destination: m.mountPath, source: m.subPath ? join(dir, m.subPath) : dir, readOnly });
    }
    if (src.serviceAccountKubeconfig && pod.spec?.automountServiceAccountToken !== false)
      mounts.push({
        destination: `${SA_DIR}/kubeconfig`,
        source: src.serviceAccountKubeconfig,
        readOnly: true,
      });
    return mounts;
  }

  async configure(pod: Pod, run: PodRun, c: Container, src: Sources): Promise<void> {
    this.process(pod, run, c, src);
    this.mounts(pod, run, c, src);
  }

  start(
    pod: Pod,
    run: PodRun,
    c: Container,
    src: Sources,
    logFile: string,
    onExit: (e: Exit) => void,
  ): ContainerHandle {
    const id = `${run.net?.ns ?? 'pod'}-${c.name}-${++seq}`;
    return RuncContainer.start(
      {
        id,
        runcRoot: this.slot.runcRoot,
        lower: this.image(run, c).rootfs,
        stateDir: join(run.dir, 'containers', `${c.name}-${seq}`),
        rootfsMount: join(this.slot.rootfsDir, id),
        logFile,
        spec: {
          process: this.process(pod, run, c, src),
          container: c,
          hostname: pod.metadata.name ?? '',
          netnsPath: run.net?.nsPath ?? '',
          mounts: this.mounts(pod, run, c, src),
          cgroupsPath: `/ocm-fl/${this.slot.n}/${id}`,
        },
      },
      onExit,
    );
  }

  async tearDownPod(run: PodRun): Promise<void> {
    if (run.net) await this.slot.removePod(run.net);
  }

  /** Fault injection: cut (false) or restore (true) one pod's network. */
  async setPodNetwork(run: PodRun, up: boolean): Promise<void> {
    if (!run.net) throw new Error('pod has no network namespace');
    await setPodLink(run.net, up);
  }
}
