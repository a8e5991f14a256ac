// Test support: a local stand-in for the Amazon RDS Query API (API version 2014-10-31), enough of it for the driver's
// snapshot code, so that tests drive the real @aws-sdk/client-rds client against it.
//
// As RDS does: requests are form-encoded POSTs (`Action=CreateDBSnapshot&Version=2014-10-31&...`, lists as
// `Tags.Tag.1.Key`), signed with SigV4 for the region (the credential scope is checked, the signature is not);
// answers are XML `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>` documents with the API
// reference's element names, errors `<ErrorResponse><Error><Type/><Code/><Message/></Error>` with RDS's codes and
// HTTP statuses (DBSnapshotNotFound 404, DBSnapshotAlreadyExists 400, InvalidDBInstanceState 400, ...).
//
// Time is counted in requests: every request moves each resource that is changing one step on (creating → available
// for snapshots with PercentProgress, creating → available for restored instances, renaming → available under the new
// identifier, deleting → gone), so a test's outcome does not depend on timing.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeTag {
  Key: string;
  Value: string;
}

export interface FakeDbInstance {
  DBInstanceIdentifier: string;
  DBInstanceClass: string;
  Engine: string;
  EngineVersion: string;
  DBInstanceStatus: string;
  DBName: string;
  MasterUsername: string;
  AllocatedStorage: number;
  StorageType: string;
  StorageEncrypted: boolean;
  KmsKeyId: string;
  DbiResourceId: string;
  DBSubnetGroupName: string;
  VpcSecurityGroupIds: string[];
  DBParameterGroupName: string;
  MultiAZ: boolean;
  PubliclyAccessible: boolean;
  AutoMinorVersionUpgrade: boolean;
  CopyTagsToSnapshot: boolean;
  DeletionProtection: boolean;
  BackupRetentionPeriod: number;
  PreferredBackupWindow: string;
  PreferredMaintenanceWindow: string;
  MasterUserSecretKmsKeyId: string | null;
  MasterUserSecretArn: string | null;
  TagList: FakeTag[];
  /** The snapshot it was restored from, if any. */
  restoredFrom: string | null;
  /** A rename in progress (status renaming) or waiting for the maintenance window (not applied immediately). */
  pendingIdentifier: string | null;
  /** Whether DeleteDBInstance asked to delete its automated backups. */
  deleteAutomatedBackups: boolean | null;
}

export interface FakeDbSnapshot {
  DBSnapshotIdentifier: string;
  DBInstanceIdentifier: string;
  Status: string;
  PercentProgress: number;
  AllocatedStorage: number;
  Engine: string;
  EngineVersion: string;
  KmsKeyId: string;
  SnapshotType: string;
  SnapshotCreateTime: string;
  TagList: FakeTag[];
}

export interface FakeRdsCall {
  action: string;
  params: Record<string, string>;
}

export interface FakeRds {
  endpoint: string;
  region: string;
  account: string;
  instances: Map<string, FakeDbInstance>;
  snapshots: Map<string, FakeDbSnapshot>;
  calls: FakeRdsCall[];
  /** Actions called, in order. */
  actions: () => string[];
  addInstance: (id: string, overrides?: Partial<FakeDbInstance>) => FakeDbInstance;
  snapshotArn: (id: string) => string;
  /** Snapshots that stay `creating` at this PercentProgress (never finish). */
  stuck: Set<string>;
  /** The next snapshot created ends `failed`. */
  failNextSnapshot: () => void;
  /** The next instance restored from a snapshot ends in this status (e.g. incompatible-restore). */
  failNextRestore: (status: string) => void;
  close: () => Promise<void>;
}

const XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/";
const API_VERSION = "2014-10-31";
const IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$|^[a-zA-Z]$/;

class RdsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeRds(
  options: { region?: string; account?: string; accessKeyId?: string; ticks?: number } = {},
): Promise<FakeRds> {
  const region = options.region ?? "us-east-1";
  const account = options.account ?? "123456789012";
  const accessKeyId = options.accessKeyId ?? "AKIAFAKE";
  const ticks = options.ticks ?? 3;
  const instances = new Map<string, FakeDbInstance>();
  const snapshots = new Map<string, FakeDbSnapshot>();
  const calls: FakeRdsCall[] = [];
  const stuck = new Set<string>();
  /** Steps left of each resource that is changing, by `instance:<id>` / `snapshot:<id>`. */
  const pending = new Map<string, number>();
  let failSnapshot = false;
  let failRestore: string | null = null;
  const failing = new Map<string, string>();

  const arn = (kind: string, id: string) => `arn:aws:rds:${region}:${account}:${kind}:${id}`;
  const now = () => new Date().toISOString();

  function addInstance(id: string, overrides: Partial<FakeDbInstance> = {}): FakeDbInstance {
    const instance: FakeDbInstance = {
      DBInstanceIdentifier: id,
      DBInstanceClass: "db.m6g.large",
      Engine: "mysql",
      EngineVersion: "8.0.39",
      DBInstanceStatus: "available",
      DBName: "app",
      MasterUsername: "admin",
      AllocatedStorage: 100,
      StorageType: "gp3",
      StorageEncrypted: true,
      KmsKeyId: `arn:aws:kms:${region}:${account}:key/${id}-key`,
      DbiResourceId: `db-${randomUUID().replace(/-/g, "").slice(0, 26).toUpperCase()}`,
      DBSubnetGroupName: `${id}-subnets`,
      VpcSecurityGroupIds: ["sg-0db"],
      DBParameterGroupName: `${id}-params`,
      MultiAZ: false,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: "03:00-03:30",
      PreferredMaintenanceWindow: "sun:04:00-sun:04:30",
      MasterUserSecretKmsKeyId: `arn:aws:kms:${region}:${account}:key/${id}-key`,
      MasterUserSecretArn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!db-${randomUUID()}`,
      TagList: [],
      restoredFrom: null,
      pendingIdentifier: null,
      deleteAutomatedBackups: null,
      ...overrides,
    };
    instances.set(id, instance);
    return instance;
  }

  /** One request's worth of time: every changing resource moves a step on. */
  function tick(): void {
    for (const [key, left] of [...pending]) {
      const [kind, id] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
      if (kind === "snapshot") {
        const snapshot = snapshots.get(id);
        if (!snapshot) {
          pending.delete(key);
          continue;
        }
        if (snapshot.Status === "creating" && stuck.has(id)) continue;
        if (left > 1) {
          pending.set(key, left - 1);
          if (snapshot.Status === "creating") {
            snapshot.PercentProgress = Math.round((100 * (ticks - left + 1)) / ticks);
          }
          continue;
        }
        pending.delete(key);
        if (snapshot.Status === "deleting") snapshots.delete(id);
        else if (failing.get(key)) {
          snapshot.Status = failing.get(key)!;
          failing.delete(key);
        } else {
          snapshot.Status = "available";
          snapshot.PercentProgress = 100;
        }
        continue;
      }
      const instance = instances.get(id);
      if (!instance) {
        pending.delete(key);
        continue;
      }
      if (left > 1) {
        pending.set(key, left - 1);
        continue;
      }
      pending.delete(key);
      if (instance.DBInstanceStatus === "deleting") {
        instances.delete(id);
      } else if (instance.DBInstanceStatus === "renaming" && instance.pendingIdentifier) {
        instances.delete(id);
        instance.DBInstanceIdentifier = instance.pendingIdentifier;
        instance.pendingIdentifier = null;
        instance.DBInstanceStatus = "available";
        instances.set(instance.DBInstanceIdentifier, instance);
      } else if (failing.get(key)) {
        instance.DBInstanceStatus = failing.get(key)!;
        failing.delete(key);
      } else {
        instance.DBInstanceStatus = "available";
      }
    }
  }

  function instanceOf(params: Record<string, string>, name = "DBInstanceIdentifier"): FakeDbInstance {
    const id = required(params, name);
    const instance = instances.get(id);
    if (!instance) throw new RdsError(404, "DBInstanceNotFound", `DBInstance ${id} not found.`);
    return instance;
  }

  function snapshotOf(params: Record<string, string>, name = "DBSnapshotIdentifier"): FakeDbSnapshot {
    const given = required(params, name);
    // Restores accept the snapshot's ARN too.
    const id = given.startsWith("arn:") ? given.slice(given.lastIndexOf(":") + 1) : given;
    const snapshot = snapshots.get(id);
    if (!snapshot) throw new RdsError(404, "DBSnapshotNotFound", `DBSnapshot ${id} not found.`);
    return snapshot;
  }

  function newSnapshot(
    id: string,
    from: FakeDbInstance | FakeDbSnapshot,
    tags: FakeTag[],
    kmsKeyId?: string,
  ) {
    validIdentifier(id, "DBSnapshotIdentifier", 255);
    if (snapshots.has(id)) {
      throw new RdsError(
        400,
        "DBSnapshotAlreadyExists",
        `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
      );
    }
    const snapshot: FakeDbSnapshot = {
      DBSnapshotIdentifier: id,
      DBInstanceIdentifier: from.DBInstanceIdentifier,
      Status: "creating",
      PercentProgress: 0,
      AllocatedStorage: from.AllocatedStorage,
      Engine: from.Engine,
      EngineVersion: from.EngineVersion,
      KmsKeyId: kmsKeyId ?? from.KmsKeyId,
      SnapshotType: "manual",
      SnapshotCreateTime: now(),
      TagList: tags,
    };
    snapshots.set(id, snapshot);
    pending.set(`snapshot:${id}`, ticks);
    if (failSnapshot) {
      failing.set(`snapshot:${id}`, "failed");
      failSnapshot = false;
    }
    return snapshot;
  }

  const actions: Record<string, (params: Record<string, string>) => string> = {
    DescribeDBInstances(params) {
      const list = params.DBInstanceIdentifier ? [instanceOf(params)] : [...instances.values()];
      return `<DBInstances>${list.map((i) => `<DBInstance>${instanceXml(i)}</DBInstance>`).join("")}</DBInstances>`;
    },
    DescribeDBSnapshots(params) {
      let list = params.DBSnapshotIdentifier ? [snapshotOf(params)] : [...snapshots.values()];
      if (params.DBInstanceIdentifier) {
        list = list.filter((s) => s.DBInstanceIdentifier === params.DBInstanceIdentifier);
      }
      return `<DBSnapshots>${list.map((s) => `<DBSnapshot>${snapshotXml(s)}</DBSnapshot>`).join("")}</DBSnapshots>`;
    },
    CreateDBSnapshot(params) {
      const instance = instanceOf(params);
      if (instance.DBInstanceStatus !== "available") {
        throw new RdsError(
          400,
          "InvalidDBInstanceState",
          `Cannot create a snapshot because the database instance ${instance.DBInstanceIdentifier} is not currently in the available state.`,
        );
      }
      const snapshot = newSnapshot(required(params, "DBSnapshotIdentifier"), instance, tagsOf(params));
      return `<DBSnapshot>${snapshotXml(snapshot)}</DBSnapshot>`;
    },
    CopyDBSnapshot(params) {
      const source = snapshotOf(params, "SourceDBSnapshotIdentifier");
      if (source.Status !== "available") {
        throw new RdsError(
          400,
          "InvalidDBSnapshotState",
          `Snapshot ${source.DBSnapshotIdentifier} is not available.`,
        );
      }
      const copy = newSnapshot(
        required(params, "TargetDBSnapshotIdentifier"),
        source,
        tagsOf(params),
        params.KmsKeyId,
      );
      return `<DBSnapshot>${snapshotXml(copy)}</DBSnapshot>`;
    },
    DeleteDBSnapshot(params) {
      const snapshot = snapshotOf(params);
      if (snapshot.Status !== "available" && snapshot.Status !== "failed") {
        throw new RdsError(
          400,
          "InvalidDBSnapshotState",
          `Cannot delete the snapshot because it is not in the available state (${snapshot.Status}).`,
        );
      }
      snapshot.Status = "deleting";
      pending.set(`snapshot:${snapshot.DBSnapshotIdentifier}`, ticks);
      return `<DBSnapshot>${snapshotXml(snapshot)}</DBSnapshot>`;
    },
    RestoreDBInstanceFromDBSnapshot(params) {
      const snapshot = snapshotOf(params);
      if (snapshot.Status !== "available") {
        throw new RdsError(
          400,
          "InvalidDBSnapshotState",
          `Snapshot ${snapshot.DBSnapshotIdentifier} is not in the available state.`,
        );
      }
      const id = required(params, "DBInstanceIdentifier");
      validIdentifier(id, "DBInstanceIdentifier", 63);
      if (instances.has(id) || [...instances.values()].some((i) => i.pendingIdentifier === id)) {
        throw new RdsError(400, "DBInstanceAlreadyExists", `DB instance already exists`);
      }
      const manage = params.ManageMasterUserPassword === "true";
      const instance = addInstance(id, {
        DBInstanceStatus: "creating",
        DBInstanceClass: params.DBInstanceClass ?? "db.m6g.large",
        Engine: snapshot.Engine,
        EngineVersion: snapshot.EngineVersion,
        AllocatedStorage: snapshot.AllocatedStorage,
        KmsKeyId: snapshot.KmsKeyId,
        StorageType: params.StorageType ?? "gp2",
        DBSubnetGroupName: params.DBSubnetGroupName ?? "default",
        VpcSecurityGroupIds: listOf(params, "VpcSecurityGroupIds"),
        DBParameterGroupName: params.DBParameterGroupName ?? `default.mysql8.0`,
        MultiAZ: params.MultiAZ === "true",
        PubliclyAccessible: params.PubliclyAccessible === "true",
        AutoMinorVersionUpgrade: params.AutoMinorVersionUpgrade !== "false",
        CopyTagsToSnapshot: params.CopyTagsToSnapshot === "true",
        DeletionProtection: params.DeletionProtection === "true",
        BackupRetentionPeriod: params.BackupRetentionPeriod ? Number(params.BackupRetentionPeriod) : 1,
        PreferredBackupWindow: params.PreferredBackupWindow ?? "05:00-05:30",
        MasterUserSecretKmsKeyId: manage ? (params.MasterUserSecretKmsKeyId ?? null) : null,
        MasterUserSecretArn: manage
          ? `arn:aws:secretsmanager:${region}:${account}:secret:rds!db-${randomUUID()}`
          : null,
        TagList: tagsOf(params),
        restoredFrom: snapshot.DBSnapshotIdentifier,
      });
      pending.set(`instance:${id}`, ticks);
      if (failRestore) {
        failing.set(`instance:${id}`, failRestore);
        failRestore = null;
      }
      return `<DBInstance>${instanceXml(instance)}</DBInstance>`;
    },
    ModifyDBInstance(params) {
      const instance = instanceOf(params);
      if (instance.DBInstanceStatus !== "available") {
        throw new RdsError(
          400,
          "InvalidDBInstanceState",
          `Database instance ${instance.DBInstanceIdentifier} is not in available state.`,
        );
      }
      if (params.DeletionProtection !== undefined)
        instance.DeletionProtection = params.DeletionProtection === "true";
      const renameTo = params.NewDBInstanceIdentifier;
      if (renameTo) {
        validIdentifier(renameTo, "NewDBInstanceIdentifier", 63);
        if (instances.has(renameTo)) {
          throw new RdsError(400, "DBInstanceAlreadyExists", `DB instance already exists`);
        }
        instance.pendingIdentifier = renameTo;
        // Without ApplyImmediately the rename waits for the next maintenance window.
        if (params.ApplyImmediately === "true") {
          instance.DBInstanceStatus = "renaming";
          pending.set(`instance:${instance.DBInstanceIdentifier}`, ticks);
        }
      }
      return `<DBInstance>${instanceXml(instance)}</DBInstance>`;
    },
    DeleteDBInstance(params) {
      const instance = instanceOf(params);
      if (instance.DeletionProtection) {
        throw new RdsError(
          400,
          "InvalidParameterCombination",
          "Cannot delete protected DB Instance, please disable deletion protection and try again.",
        );
      }
      if (params.SkipFinalSnapshot !== "true" && !params.FinalDBSnapshotIdentifier) {
        throw new RdsError(
          400,
          "InvalidParameterCombination",
          "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
        );
      }
      if (instance.DBInstanceStatus === "deleting") {
        throw new RdsError(
          400,
          "InvalidDBInstanceState",
          `Instance ${instance.DBInstanceIdentifier} is already being deleted.`,
        );
      }
      if (["creating", "renaming", "modifying"].includes(instance.DBInstanceStatus)) {
        throw new RdsError(
          400,
          "InvalidDBInstanceState",
          `Instance ${instance.DBInstanceIdentifier} is not in a state from which it can be deleted (${instance.DBInstanceStatus}).`,
        );
      }
      instance.DBInstanceStatus = "deleting";
      instance.deleteAutomatedBackups = params.DeleteAutomatedBackups !== "false";
      pending.set(`instance:${instance.DBInstanceIdentifier}`, ticks);
      return `<DBInstance>${instanceXml(instance)}</DBInstance>`;
    },
  };

  function instanceXml(i: FakeDbInstance): string {
    return [
      el("DBInstanceIdentifier", i.DBInstanceIdentifier),
      el("DBInstanceClass", i.DBInstanceClass),
      el("Engine", i.Engine),
      el("DBInstanceStatus", i.DBInstanceStatus),
      el("MasterUsername", i.MasterUsername),
      el("DBName", i.DBName),
      `<Endpoint>${el("Address", `${i.DBInstanceIdentifier}.abc123.${region}.rds.amazonaws.com`)}${el("Port", 3306)}${el("HostedZoneId", "Z2R2ITUGPM61AM")}</Endpoint>`,
      el("AllocatedStorage", i.AllocatedStorage),
      el("PreferredBackupWindow", i.PreferredBackupWindow),
      el("BackupRetentionPeriod", i.BackupRetentionPeriod),
      `<VpcSecurityGroups>${i.VpcSecurityGroupIds.map((g) => `<VpcSecurityGroupMembership>${el("VpcSecurityGroupId", g)}${el("Status", "active")}</VpcSecurityGroupMembership>`).join("")}</VpcSecurityGroups>`,
      `<DBParameterGroups><DBParameterGroup>${el("DBParameterGroupName", i.DBParameterGroupName)}${el("ParameterApplyStatus", "in-sync")}</DBParameterGroup></DBParameterGroups>`,
      `<DBSubnetGroup>${el("DBSubnetGroupName", i.DBSubnetGroupName)}${el("VpcId", "vpc-0fake")}${el("SubnetGroupStatus", "Complete")}</DBSubnetGroup>`,
      el("PreferredMaintenanceWindow", i.PreferredMaintenanceWindow),
      i.pendingIdentifier && i.DBInstanceStatus !== "renaming"
        ? `<PendingModifiedValues>${el("DBInstanceIdentifier", i.pendingIdentifier)}</PendingModifiedValues>`
        : "<PendingModifiedValues/>",
      el("MultiAZ", i.MultiAZ),
      el("EngineVersion", i.EngineVersion),
      el("AutoMinorVersionUpgrade", i.AutoMinorVersionUpgrade),
      el("PubliclyAccessible", i.PubliclyAccessible),
      el("StorageType", i.StorageType),
      el("StorageEncrypted", i.StorageEncrypted),
      el("KmsKeyId", i.KmsKeyId),
      el("DbiResourceId", i.DbiResourceId),
      el("CopyTagsToSnapshot", i.CopyTagsToSnapshot),
      el("DBInstanceArn", arn("db", i.DBInstanceIdentifier)),
      el("DeletionProtection", i.DeletionProtection),
      `<TagList>${i.TagList.map((t) => `<Tag>${el("Key", t.Key)}${el("Value", t.Value)}</Tag>`).join("")}</TagList>`,
      i.MasterUserSecretArn
        ? `<MasterUserSecret>${el("SecretArn", i.MasterUserSecretArn)}${el("SecretStatus", "active")}${el("KmsKeyId", i.MasterUserSecretKmsKeyId ?? "")}</MasterUserSecret>`
        : "",
    ].join("");
  }

  function snapshotXml(s: FakeDbSnapshot): string {
    return [
      el("DBSnapshotIdentifier", s.DBSnapshotIdentifier),
      el("DBInstanceIdentifier", s.DBInstanceIdentifier),
      el("SnapshotCreateTime", s.SnapshotCreateTime),
      el("Engine", s.Engine),
      el("AllocatedStorage", s.AllocatedStorage),
      el("Status", s.Status),
      el("Port", 3306),
      el("VpcId", "vpc-0fake"),
      el("MasterUsername", "admin"),
      el("EngineVersion", s.EngineVersion),
      el("LicenseModel", "general-public-license"),
      el("SnapshotType", s.SnapshotType),
      el("PercentProgress", s.PercentProgress),
      el("StorageType", "gp3"),
      el("Encrypted", true),
      el("KmsKeyId", s.KmsKeyId),
      el("DBSnapshotArn", arn("snapshot", s.DBSnapshotIdentifier)),
      `<TagList>${s.TagList.map((t) => `<Tag>${el("Key", t.Key)}${el("Value", t.Value)}</Tag>`).join("")}</TagList>`,
    ].join("");
  }

  function validIdentifier(id: string, name: string, max: number): void {
    if (id.length > max || !IDENTIFIER.test(id)) {
      throw new RdsError(
        400,
        "InvalidParameterValue",
        `The parameter ${name} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const body = await new Promise<string>((resolve, reject) => {
      let text = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (text += chunk));
      req.on("end", () => resolve(text));
      req.on("error", reject);
    });
    const params = Object.fromEntries(new URLSearchParams(body));
    const reply = (status: number, xml: string) => {
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    try {
      if (req.method !== "POST")
        throw new RdsError(400, "InvalidAction", "The RDS Query API takes POST requests.");
      const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
        req.headers.authorization ?? "",
      );
      if (!scope) throw new RdsError(403, "IncompleteSignature", "Request must contain a signature.");
      if (scope[1] !== accessKeyId) {
        throw new RdsError(
          403,
          "InvalidClientTokenId",
          "The security token included in the request is invalid.",
        );
      }
      if (scope[2] !== region || scope[3] !== "rds") {
        throw new RdsError(
          403,
          "SignatureDoesNotMatch",
          `Credential should be scoped to a valid region and service: ${region}/rds.`,
        );
      }
      if (params.Version !== API_VERSION) {
        throw new RdsError(
          400,
          "InvalidParameterValue",
          `Unsupported Version ${params.Version ?? "(none)"}.`,
        );
      }
      const action = params.Action ?? "";
      const run = actions[action];
      if (!run)
        throw new RdsError(400, "InvalidAction", `The action ${action} is not valid for this web service.`);
      calls.push({ action, params });
      tick();
      const result = run(params);
      reply(
        200,
        `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (error) {
      const e = error instanceof RdsError ? error : new RdsError(500, "InternalFailure", String(error));
      reply(
        e.status,
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${e.status >= 500 ? "Receiver" : "Sender"}</Type>` +
          `${el("Code", e.code)}${el("Message", e.message)}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    account,
    instances,
    snapshots,
    calls,
    actions: () => calls.map((c) => c.action),
    addInstance,
    snapshotArn: (id) => arn("snapshot", id),
    stuck,
    failNextSnapshot: () => (failSnapshot = true),
    failNextRestore: (status) => (failRestore = status),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (!value) throw new RdsError(400, "MissingParameter", `The request must contain the parameter ${name}.`);
  return value;
}

/** A Query API list: `Name.Member.1`, `Name.Member.2`, ... (or `Name.member.N`). */
function listOf(params: Record<string, string>, name: string): string[] {
  const pattern = new RegExp(`^${name}\\.[A-Za-z]+\\.(\\d+)$`);
  return Object.entries(params)
    .flatMap(([key, value]) => {
      const match = pattern.exec(key);
      return match ? [[Number(match[1]), value] as const] : [];
    })
    .sort((a, b) => a[0] - b[0])
    .map(([, value]) => value);
}

/** `Tags.Tag.N.Key` / `Tags.Tag.N.Value`. */
function tagsOf(params: Record<string, string>): FakeTag[] {
  const tags = new Map<number, FakeTag>();
  for (const [key, value] of Object.entries(params)) {
    const match = /^Tags\.[A-Za-z]+\.(\d+)\.(Key|Value)$/.exec(key);
    if (!match) continue;
    const tag = tags.get(Number(match[1])) ?? { Key: "", Value: "" };
    tag[match[2] as "Key" | "Value"] = value;
    tags.set(Number(match[1]), tag);
  }
  return [...tags.entries()].sort((a, b) => a[0] - b[0]).map(([, tag]) => tag);
}

function el(name: string, value: string | number | boolean): string {
  const text = String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<${name}>${text}</${name}>`;
}
