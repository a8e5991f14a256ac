// The local cloud: desired state per instance (persisted), reconciled into a database and user, a bucket, a
// supervised tenant process and a router port. Operations on one slug are serialized; the daemon, not its caller,
// owns every process, so a caller that dies mid-operation orphans nothing.
import { createHash, randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { LocalCloudConfig } from "@cp/config/local-cloud";
import { restartDelayMs } from "./backoff";
import { BackupService, type BackupHost, type BucketAccess, type InstanceData } from "./backups";
import type { Buckets } from "./buckets";
import { ConflictError, describe, FaultsDisabledError, NotFoundError } from "./errors";
import type { TenantDatabases } from "./mariadb";
import { KeyedMutex } from "./mutex";
import { resourceNames } from "./naming";
import { allocatePort } from "./ports";
import type { LocalRouter, RouteTarget } from "./router";
import type { CloudState, InstanceRequest, InstanceStatus, InstanceView, StoredInstance } from "./schemas";
import type { StateStore } from "./state";
import {
  healthReasons,
  killStaleTenant,
  probe,
  startTenant,
  stopTenant,
  type TenantProcess,
} from "./tenant-process";

export interface TenantProgram {
  entry: string;
  cwd: string;
  nodeArgs: string[];
}

export interface CloudDeps {
  config: LocalCloudConfig;
  databases: TenantDatabases;
  buckets: Buckets;
  router: LocalRouter;
  store: StateStore;
  tenant: TenantProgram;
  log: Logger;
}

interface Runtime {
  status: InstanceStatus;
  step: string | null;
  error: string | null;
  proc: TenantProcess | null;
  procHash: string | null;
  restarts: number;
  /** Consecutive failed starts, for the backoff. */
  attempts: number;
  restartTimer: NodeJS.Timeout | null;
  lastExit: InstanceView["lastExit"];
  /** Aborts the reconcile or restart in flight when a newer operation supersedes it. */
  inflight: AbortController | null;
}

const secret = () => randomBytes(24).toString("base64url");
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : val,
  );

export class LocalCloud implements BackupHost {
  private readonly runtime = new Map<string, Runtime>();
  private readonly mutex = new KeyedMutex();
  private closing = false;
  /**
   * Tests only (config.allowFaults): the error rate each slug's next started process is given (FAULT_ERROR_RATE).
   * Kept in memory: a restarted daemon starts without faults.
   */
  private readonly faults = new Map<string, number>();
  /** Backups, verifications and restores of the instances (tasks polled through the API). */
  readonly backups: BackupService;

  private constructor(
    private readonly deps: CloudDeps,
    private readonly state: CloudState,
  ) {
    this.backups = new BackupService({
      host: this,
      databases: deps.databases,
      config: deps.config,
      log: deps.log,
    });
  }

  /** Loads the state file and re-adopts every instance: running ones get their process back. */
  static async open(deps: CloudDeps): Promise<LocalCloud> {
    const cloud = new LocalCloud(deps, await deps.store.load());
    await cloud.adopt();
    await cloud.backups.init();
    return cloud;
  }

  private get log() {
    return this.deps.log;
  }

  private async adopt(): Promise<void> {
    for (const inst of Object.values(this.state.instances)) {
      this.runtime.set(
        inst.slug,
        this.newRuntime(inst.deleting ? "deleting" : inst.suspended ? "suspended" : "provisioning"),
      );
      if (inst.pid && (await killStaleTenant(inst.pid, inst.slug))) {
        this.log.warn(
          { slug: inst.slug, pid: inst.pid },
          "stopped a tenant process left by a previous daemon",
        );
      }
      if (inst.deleting) {
        this.remove(inst.slug).catch((err: unknown) =>
          this.log.error({ slug: inst.slug, err: describe(err) }, "resuming a deletion failed"),
        );
      } else if (inst.restoring) {
        // Its database may be half-loaded: not started on it. A new restore (or a PUT, to start it as it is) follows.
        const rt = this.rt(inst.slug);
        rt.status = "failed";
        rt.error =
          "restore: interrupted (the local cloud stopped); the database may be partly restored: restore again";
        this.log.warn({ slug: inst.slug }, rt.error);
      } else {
        this.enqueueReconcile(inst.slug);
      }
    }
    const n = Object.keys(this.state.instances).length;
    if (n) this.log.info({ instances: n }, "re-adopting instances from the state file");
  }

  private newRuntime(status: InstanceStatus): Runtime {
    return {
      status,
      step: null,
      error: null,
      proc: null,
      procHash: null,
      restarts: 0,
      attempts: 0,
      restartTimer: null,
      lastExit: null,
      inflight: null,
    };
  }

  private rt(slug: string): Runtime {
    let rt = this.runtime.get(slug);
    if (!rt) {
      rt = this.newRuntime("provisioning");
      this.runtime.set(slug, rt);
    }
    return rt;
  }

  private persist(): Promise<void> {
    return this.deps.store.save(this.state);
  }

  publicUrl(inst: StoredInstance): string {
    const host = this.deps.config.host === "0.0.0.0" ? "127.0.0.1" : this.deps.config.host;
    return `http://${host}:${inst.publicPort}`;
  }

  // ---- reads ------------------------------------------------------------------------------------------------------

  list(): InstanceView[] {
    return Object.values(this.state.instances)
      .sort((a, b) => a.slug.localeCompare(b.slug))
      .map((inst) => this.view(inst));
  }

  get(slug: string): InstanceView | null {
    const inst = this.state.instances[slug];
    return inst ? this.view(inst) : null;
  }

  adminToken(slug: string): string {
    const inst = this.state.instances[slug];
    if (!inst) throw new NotFoundError(`instance "${slug}" does not exist`);
    return inst.adminToken;
  }

  /** Where synthetic traffic goes: the public URL of every instance with a process serving it. */
  trafficTargets(): { slug: string; url: string }[] {
    const out: { slug: string; url: string }[] = [];
    for (const inst of Object.values(this.state.instances)) {
      if (inst.suspended || inst.deleting || inst.restoring) continue;
      if (!this.runtime.get(inst.slug)?.proc) continue;
      out.push({ slug: inst.slug, url: this.publicUrl(inst) });
    }
    return out;
  }

  faultsOf(slug: string): { slug: string; errorRate: number } {
    this.checkFaultsAllowed();
    if (!this.state.instances[slug]) throw new NotFoundError(`instance "${slug}" does not exist`);
    return { slug, errorRate: this.faults.get(slug) ?? 0 };
  }

  /**
   * Records the error rate the instance's next started process answers with (an upgrade, a restart): the running
   * process is left alone, so a test can make exactly the new version of an upgrade fail its health gate.
   */
  setFaults(slug: string, errorRate: number): { slug: string; errorRate: number } {
    this.checkFaultsAllowed();
    const inst = this.state.instances[slug];
    if (!inst || inst.deleting) throw new NotFoundError(`instance "${slug}" does not exist`);
    if (errorRate > 0) this.faults.set(slug, errorRate);
    else this.faults.delete(slug);
    this.log.warn({ slug, errorRate }, "fault injection set for the instance's next started process");
    return { slug, errorRate };
  }

  private checkFaultsAllowed(): void {
    if (!this.deps.config.allowFaults) {
      throw new FaultsDisabledError(
        "faults: fault injection is off on this local cloud (it is for tests); start the daemon with LOCAL_CLOUD_ALLOW_FAULTS=1 or CP_MODE=test",
      );
    }
  }

  private view(inst: StoredInstance): InstanceView {
    const rt = this.rt(inst.slug);
    const d = inst.desired;
    const names = resourceNames(inst.slug);
    return {
      slug: inst.slug,
      instanceId: inst.instanceId,
      status: rt.status,
      step: rt.step,
      error: rt.error,
      generation: inst.generation,
      observedGeneration: inst.observedGeneration,
      url: this.publicUrl(inst),
      databaseEndpoint: this.deps.databases.endpoint,
      databaseName: names.database,
      databaseUser: names.user,
      bucket: d.storage.mode === "byob" ? d.storage.bucket : names.bucket,
      version: d.version,
      runningVersion: rt.proc ? inst.runningVersion : null,
      pid: rt.proc?.pid ?? null,
      restarts: rt.restarts,
      lastExit: rt.lastExit,
      size: d.size,
      mysqlVersion: d.mysqlVersion,
      maxConnections: d.maxConnections,
      rateLimits: d.rateLimits,
      externalRedis: d.externalRedis,
      sso:
        d.sso.mode === "oidc"
          ? { mode: "oidc", issuer: d.sso.issuer, clientId: d.sso.clientId, flow: d.sso.flow }
          : { mode: "provider" },
      storage:
        d.storage.mode === "byob"
          ? { mode: "byob", bucket: d.storage.bucket, endpoint: d.storage.endpoint ?? null }
          : { mode: "provider", bucket: names.bucket, endpoint: this.deps.config.s3.endpoint },
      suspended: inst.suspended,
      createdAt: inst.createdAt,
      updatedAt: inst.updatedAt,
    };
  }

  async health(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const within = <T>(ms: number, p: Promise<T>) =>
      Promise.race([
        p,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms),
        ),
      ]);
    const [db, s3] = await Promise.allSettled([
      within(1_500, this.deps.databases.ping()),
      within(1_500, this.deps.buckets.ping()),
    ]);
    const checks = {
      mariadb: db.status === "fulfilled" ? "ok" : `${this.deps.databases.endpoint}: ${describe(db.reason)}`,
      s3: s3.status === "fulfilled" ? "ok" : `${this.deps.config.s3.endpoint}: ${describe(s3.reason)}`,
    };
    return { ok: checks.mariadb === "ok" && checks.s3 === "ok", checks };
  }

  // ---- writes -----------------------------------------------------------------------------------------------------

  /**
   * Records the desired configuration and starts reconciling it in the background. Idempotent: the same body again
   * changes nothing (a failed instance is retried). Returns the view and whether work was started.
   */
  put(
    slug: string,
    req: InstanceRequest,
  ): Promise<{ view: InstanceView; created: boolean; changed: boolean }> {
    const current = this.state.instances[slug];
    if (current && canonical(current.desired) !== canonical(req)) this.supersede(slug);
    return this.mutex.run(slug, async () => {
      const now = new Date().toISOString();
      let inst = this.state.instances[slug];
      let created = false;
      let changed = false;
      if (inst && inst.instanceId !== req.instanceId && !inst.deleting) {
        throw new ConflictError(`slug: "${slug}" already belongs to instance ${inst.instanceId}`);
      }
      if (!inst) {
        const used = new Set(Object.values(this.state.instances).map((i) => i.publicPort));
        const publicPort = await allocatePort(this.deps.config.publicPorts, used, slug, (p) =>
          this.deps.router.canBind(p),
        );
        inst = {
          slug,
          instanceId: req.instanceId,
          desired: req,
          generation: 1,
          observedGeneration: 0,
          suspended: false,
          deleting: false,
          restoring: false,
          publicPort,
          dbPassword: secret(),
          adminToken: req.adminToken ?? secret(),
          sessionSecret: secret(),
          pid: null,
          runningVersion: null,
          createdAt: now,
          updatedAt: now,
        };
        this.state.instances[slug] = inst;
        this.runtime.set(slug, this.newRuntime("provisioning"));
        created = changed = true;
      } else {
        const rt = this.rt(slug);
        changed = inst.deleting || canonical(inst.desired) !== canonical(req) || rt.status === "failed";
        if (changed) {
          // Starting it as it is, after an interrupted restore, is the caller's call.
          inst.restoring = false;
          inst.instanceId = req.instanceId;
          inst.desired = req;
          inst.deleting = false;
          if (req.adminToken) inst.adminToken = req.adminToken;
          inst.generation += 1;
          inst.updatedAt = now;
          if (!inst.suspended) rt.status = rt.proc ? "updating" : "provisioning";
          rt.error = null;
        }
      }
      if (changed) {
        await this.persist();
        this.enqueueReconcile(slug);
        this.log.info(
          { slug, generation: inst.generation, version: req.version, created },
          "instance accepted",
        );
      }
      return { view: this.view(inst), created, changed };
    });
  }

  suspend(slug: string): Promise<InstanceView> {
    return this.setSuspended(slug, true);
  }

  resume(slug: string): Promise<InstanceView> {
    return this.setSuspended(slug, false);
  }

  private setSuspended(slug: string, suspended: boolean): Promise<InstanceView> {
    if (this.state.instances[slug]?.suspended !== suspended) this.supersede(slug);
    return this.mutex.run(slug, async () => {
      const inst = this.state.instances[slug];
      if (!inst || inst.deleting) throw new NotFoundError(`instance "${slug}" does not exist`);
      const rt = this.rt(slug);
      if (inst.suspended !== suspended || rt.status === "failed") {
        inst.suspended = suspended;
        inst.generation += 1;
        inst.updatedAt = new Date().toISOString();
        rt.status = suspended ? rt.status : "provisioning";
        await this.persist();
        this.enqueueReconcile(slug);
        this.log.info({ slug, suspended }, suspended ? "suspending instance" : "resuming instance");
      }
      return this.view(inst);
    });
  }

  /** Stops the process, drops database and user, deletes the provider bucket, frees the port. Idempotent. */
  remove(slug: string): Promise<void> {
    this.supersede(slug);
    return this.mutex.run(slug, async () => {
      const names = resourceNames(slug);
      const inst = this.state.instances[slug];
      const rt = this.runtime.get(slug);
      if (inst && !inst.deleting) {
        inst.deleting = true;
        await this.persist();
      }
      if (rt) {
        rt.status = "deleting";
        rt.step = null;
        this.clearRestart(rt);
        if (rt.proc) await stopTenant(rt.proc, this.deps.config.stopTimeoutMs);
        rt.proc = null;
      }
      await this.deps.router.close(slug);
      try {
        await this.deps.databases.drop(names);
        // A customer's own bucket (BYOB) is theirs: never delete it. With no record, the provider name is assumed.
        if (!inst || inst.desired.storage.mode === "provider") await this.deps.buckets.remove(names.bucket);
      } catch (err) {
        if (rt) {
          rt.status = "failed";
          rt.error = `deleting: ${describe(err)}`;
        }
        throw err;
      }
      if (inst) {
        delete this.state.instances[slug];
        await this.persist();
        this.log.info({ slug }, "instance deleted");
      }
      this.faults.delete(slug);
      this.runtime.delete(slug);
      await rm(path.join(this.deps.config.dataDir, `${slug}.log`), { force: true });
    });
  }

  /** Stops every tenant process and the router; the state file is kept, so the next daemon re-adopts. */
  async close(): Promise<void> {
    this.closing = true;
    for (const rt of this.runtime.values()) this.clearRestart(rt);
    await Promise.all(
      [...this.runtime.values()].map(async (rt) => {
        if (rt.proc) await stopTenant(rt.proc, this.deps.config.stopTimeoutMs);
      }),
    );
    await this.deps.router.closeAll();
    await this.deps.databases.close();
    this.deps.buckets.close();
    this.backups.close();
  }

  // ---- backups (BackupHost) -----------------------------------------------------------------------------------------

  private providerBucket(slug: string): BucketAccess {
    const { s3 } = this.deps.config;
    return { bucket: resourceNames(slug).bucket, mode: "provider", s3: { ...s3, region: "us-east-1" } };
  }

  bucketOf(slug: string): BucketAccess | null {
    const inst = this.state.instances[slug];
    if (!inst) return this.providerBucket(slug);
    const storage = inst.desired.storage;
    if (storage.mode === "provider") return this.providerBucket(slug);
    if (!storage.accessKeyId || !storage.secretAccessKey) return null;
    return {
      bucket: storage.bucket,
      mode: "byob",
      s3: {
        endpoint: storage.endpoint,
        region: storage.region ?? "us-east-1",
        accessKeyId: storage.accessKeyId,
        secretAccessKey: storage.secretAccessKey,
      },
    };
  }

  dataOf(slug: string): InstanceData | null {
    const inst = this.state.instances[slug];
    if (!inst || inst.deleting) return null;
    const names = resourceNames(slug);
    const storage = inst.desired.storage;
    return {
      database: names.database,
      user: names.user,
      password: inst.dbPassword,
      bucketName: storage.mode === "byob" ? storage.bucket : names.bucket,
      bucket: this.bucketOf(slug),
    };
  }

  /**
   * Runs `work` with the tenant process stopped (status `restoring`, the URL answering 503), in the slug's queue so no
   * reconcile runs meanwhile, then starts the service through a normal reconcile (health check included). If `work`
   * fails after changing data, the instance is left `failed` and stopped (its database may be partly restored);
   * before that, the service is started again as it was.
   */
  whileStopped(
    slug: string,
    work: (touched: () => Promise<void>) => Promise<void>,
  ): Promise<{ status: InstanceStatus; error: string | null }> {
    return this.mutex.run(slug, async () => {
      const inst = this.state.instances[slug];
      const rt = this.runtime.get(slug);
      if (!inst || !rt || inst.deleting || this.closing)
        throw new NotFoundError(`instance "${slug}" does not exist`);
      rt.status = "restoring";
      rt.step = "restore";
      rt.error = null;
      this.clearRestart(rt);
      this.deps.router.point(slug, {
        kind: "unavailable",
        reason: "restoring",
        message: "The instance is being restored from a backup.",
      });
      const old = rt.proc;
      rt.proc = null;
      rt.procHash = null;
      if (old) await stopTenant(old, this.deps.config.stopTimeoutMs);
      inst.pid = null;
      await this.persist();
      this.log.info({ slug }, "restoring: the tenant process is stopped");
      let touched = false;
      try {
        await work(() => {
          touched = true;
          inst.restoring = true;
          // Persisted before the data changes: a daemon that dies now knows the database is not whole.
          return this.persist();
        });
      } catch (err) {
        if (touched) {
          rt.status = "failed";
          rt.step = null;
          rt.error = `restore: ${describe(err)}; the database may be partly restored: restore again`;
          this.deps.router.point(slug, {
            kind: "unavailable",
            reason: "failed",
            message: "The instance's restore failed.",
          });
          await this.persist();
          throw err;
        }
        rt.step = null;
        await this.reconcile(slug);
        throw err;
      }
      rt.step = null;
      inst.restoring = false;
      if (!inst.suspended) rt.status = "provisioning";
      await this.reconcile(slug);
      return { status: rt.status, error: rt.error };
    });
  }

  // ---- reconcile and supervision ------------------------------------------------------------------------------------

  /** A newer operation makes the one in flight moot: stop waiting for its process (it is killed). */
  private supersede(slug: string): void {
    this.runtime.get(slug)?.inflight?.abort();
  }

  private enqueueReconcile(slug: string): void {
    void this.mutex.run(slug, () => this.reconcile(slug));
  }

  private clearRestart(rt: Runtime): void {
    if (rt.restartTimer) clearTimeout(rt.restartTimer);
    rt.restartTimer = null;
  }

  private tenantEnv(inst: StoredInstance): Record<string, string> {
    const { config } = this.deps;
    const d = inst.desired;
    const names = resourceNames(inst.slug);
    // Only what the service needs: the daemon's own environment (and any secret in it) is not passed on.
    const env: Record<string, string> = {
      NODE_ENV: "production",
      // The AWS SDK's notice about Node 20 support says nothing about the instance.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      HOST: "127.0.0.1",
      PORT: "0",
      PUBLIC_URL: this.publicUrl(inst),
      INSTANCE_SLUG: inst.slug,
      VERSION: d.version,
      DB_HOST: config.mysql.host,
      DB_PORT: String(config.mysql.port),
      DB_USER: names.user,
      DB_PASSWORD: inst.dbPassword,
      DB_NAME: names.database,
      DB_MAX_CONNECTIONS: String(d.maxConnections),
      RATE_LIMIT_FILESTREAM: String(d.rateLimits.filestream),
      RATE_LIMIT_GRAPHQL: String(d.rateLimits.graphql),
      EXTERNAL_REDIS: String(d.externalRedis),
      ADMIN_TOKEN: inst.adminToken,
      SESSION_SECRET: inst.sessionSecret,
      STORAGE_REFRESH_MS: String(config.tenantStorageRefreshMs),
    };
    const faultRate = this.faults.get(inst.slug);
    // Part of the environment, so of its hash: a recorded rate reaches the next process that starts, and only that.
    if (faultRate) env.FAULT_ERROR_RATE = String(faultRate);
    if (d.storage.mode === "provider") {
      Object.assign(env, {
        S3_ENDPOINT: config.s3.endpoint,
        S3_BUCKET: names.bucket,
        S3_ACCESS_KEY_ID: config.s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: config.s3.secretAccessKey,
      });
    } else {
      env.S3_BUCKET = d.storage.bucket;
      if (d.storage.endpoint) env.S3_ENDPOINT = d.storage.endpoint;
      if (d.storage.region) env.S3_REGION = d.storage.region;
      if (d.storage.accessKeyId && d.storage.secretAccessKey) {
        env.S3_ACCESS_KEY_ID = d.storage.accessKeyId;
        env.S3_SECRET_ACCESS_KEY = d.storage.secretAccessKey;
      }
    }
    if (d.sso.mode === "oidc") {
      Object.assign(env, {
        OIDC_ISSUER: d.sso.issuer,
        OIDC_CLIENT_ID: d.sso.clientId,
        OIDC_CLIENT_SECRET: d.sso.clientSecret,
        OIDC_FLOW: d.sso.flow,
      });
    }
    return env;
  }

  private launch(slug: string, env: Record<string, string>, signal: AbortSignal): Promise<TenantProcess> {
    const { config, tenant } = this.deps;
    return startTenant(
      {
        slug,
        entry: tenant.entry,
        cwd: tenant.cwd,
        nodeArgs: tenant.nodeArgs,
        env,
        logFile: path.join(config.dataDir, `${slug}.log`),
        startTimeoutMs: config.startTimeoutMs,
      },
      signal,
    );
  }

  private watch(slug: string, proc: TenantProcess): void {
    void proc.exited.then(({ code, signal }) => {
      const rt = this.runtime.get(slug);
      if (proc.stopping || this.closing || !rt || rt.proc !== proc) return;
      rt.proc = null;
      rt.procHash = null;
      rt.restarts += 1;
      rt.lastExit = { code, signal, at: new Date().toISOString() };
      // A process that ran for a while before dying starts the backoff afresh.
      if (Date.now() - proc.startedAt > this.deps.config.backoff.maxMs) rt.attempts = 0;
      this.scheduleRestart(
        slug,
        rt,
        `the tenant process ${proc.pid} exited (code ${code}, signal ${signal})`,
      );
    });
  }

  private scheduleRestart(slug: string, rt: Runtime, why: string): void {
    const { initialMs, maxMs } = this.deps.config.backoff;
    const delay = restartDelayMs(rt.attempts, initialMs, maxMs);
    rt.attempts += 1;
    rt.status = "restarting";
    rt.error = `${why}; restarting in ${delay} ms`;
    this.deps.router.point(slug, {
      kind: "unavailable",
      reason: "restarting",
      message: "The instance is restarting.",
    });
    this.log.warn({ slug, delayMs: delay, attempt: rt.attempts }, rt.error);
    this.clearRestart(rt);
    rt.restartTimer = setTimeout(() => {
      rt.restartTimer = null;
      void this.mutex.run(slug, () => this.restart(slug));
    }, delay);
  }

  private async restart(slug: string): Promise<void> {
    const inst = this.state.instances[slug];
    const rt = this.runtime.get(slug);
    if (!inst || !rt || inst.suspended || inst.deleting || this.closing || rt.proc) return;
    const env = this.tenantEnv(inst);
    const inflight = (rt.inflight = new AbortController());
    try {
      const proc = await this.launch(slug, env, inflight.signal);
      this.adoptProcess(slug, inst, rt, proc, hashEnv(env, this.deps.tenant));
      rt.status = "running";
      rt.error = null;
      await this.persist();
      this.log.info({ slug, pid: proc.pid }, "tenant process restarted");
    } catch (err) {
      if (!this.closing && !inflight.signal.aborted && this.state.instances[slug] === inst) {
        this.scheduleRestart(slug, rt, describe(err));
      }
    } finally {
      rt.inflight = null;
    }
  }

  private adoptProcess(
    slug: string,
    inst: StoredInstance,
    rt: Runtime,
    proc: TenantProcess,
    hash: string,
  ): void {
    rt.proc = proc;
    rt.procHash = hash;
    inst.pid = proc.pid;
    inst.runningVersion = inst.desired.version;
    this.deps.router.point(slug, { kind: "process", port: proc.port });
    this.watch(slug, proc);
  }

  private async reconcile(slug: string): Promise<void> {
    const inst = this.state.instances[slug];
    const rt = this.runtime.get(slug);
    if (!inst || !rt || inst.deleting || this.closing) return;
    const generation = inst.generation;
    const names = resourceNames(slug);
    const { router, databases, buckets, config } = this.deps;
    const suspendedTarget: RouteTarget = {
      kind: "unavailable",
      reason: "suspended",
      message: "The instance is suspended.",
    };
    let fresh: TenantProcess | null = null;
    const inflight = (rt.inflight = new AbortController());
    try {
      if (inst.suspended) {
        // Point the router at "suspended" first, so callers see a clean 503 rather than a 502 while it stops.
        rt.step = "router";
        await router.open(slug, inst.publicPort, suspendedTarget);
        router.point(slug, suspendedTarget);
        rt.step = "service";
        this.clearRestart(rt);
        const old = rt.proc;
        rt.proc = null;
        rt.procHash = null;
        if (old) await stopTenant(old, config.stopTimeoutMs);
        inst.pid = null;
        rt.status = "suspended";
      } else {
        rt.step = "database";
        await databases.ensure({
          database: names.database,
          user: names.user,
          password: inst.dbPassword,
          maxConnections: inst.desired.maxConnections,
        });
        rt.step = "bucket";
        if (inst.desired.storage.mode === "provider") await buckets.ensure(names.bucket);
        rt.step = "service";
        const env = this.tenantEnv(inst);
        const hash = hashEnv(env, this.deps.tenant);
        const old = rt.proc;
        if (!old || rt.procHash !== hash) {
          this.clearRestart(rt);
          fresh = await this.launch(slug, env, inflight.signal);
        }
        rt.step = "router";
        await router.open(slug, inst.publicPort, {
          kind: "unavailable",
          reason: "starting",
          message: "The instance is starting.",
        });
        if (fresh) {
          // Re-point first, then stop the old process: requests never see a gap during an upgrade.
          this.adoptProcess(slug, inst, rt, fresh, hash);
          fresh = null;
          if (old) {
            await stopTenant(old, config.stopTimeoutMs);
            this.log.info({ slug, oldPid: old.pid, pid: rt.proc?.pid }, "replaced tenant process");
          }
        }
        rt.step = "health";
        const last = await waitFor200(inst.publicPort, 10_000, inflight.signal);
        if (inflight.signal.aborted) throw new Error("superseded by a newer operation");
        if (last.status !== 200) {
          const reasons = healthReasons(last.body);
          throw new Error(
            `the instance's URL ${this.publicUrl(inst)}/healthz answered ${last.status || "nothing"}${reasons ? `: ${reasons}` : ""}`,
          );
        }
        rt.status = "running";
        rt.attempts = 0;
      }
      rt.error = null;
    } catch (err) {
      if (fresh) await stopTenant(fresh, config.stopTimeoutMs);
      if (inflight.signal.aborted) {
        this.log.info({ slug, step: rt.step }, "reconcile superseded by a newer operation");
      } else {
        rt.status = "failed";
        rt.error = `${rt.step ?? "reconcile"}: ${describe(err)}`;
        this.log.error({ slug, step: rt.step, err: rt.error }, "reconcile failed");
      }
    } finally {
      rt.inflight = null;
    }
    rt.step = null;
    inst.observedGeneration = Math.max(inst.observedGeneration, generation);
    await this.persist();
  }
}

function hashEnv(env: Record<string, string>, program: TenantProgram): string {
  return createHash("sha256").update(canonical({ env, program })).digest("hex");
}

async function waitFor200(port: number, timeoutMs: number, signal: AbortSignal) {
  const deadline = Date.now() + timeoutMs;
  let last = { status: 0, body: "" };
  while (Date.now() < deadline && !signal.aborted) {
    last = await probe(port, "/healthz", 2_000);
    if (last.status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
