/**
 * Per-kind, per-apiVersion schemas and cross-field rules of the Flux objects tidewatch models,
 * taken from Flux's CRDs (field names, enums, patterns, defaults, CEL rules), plus tidewatch's
 * own "loud config" rules (`spec/README.md` rule 3).
 *
 * @packageDocumentation
 */
import { FLUX_INTERVAL_PATTERN, FLUX_TIMEOUT_PATTERN } from './duration.js';
import type {
  ArraySchema,
  BooleanSchema,
  FieldSchema,
  MapSchema,
  ObjectSchema,
  PropSchema,
  StringSchema,
  WalkContext,
} from './schema.js';
import { report, warn } from './schema.js';
import type { FluxKind, GitRef } from './types.js';

const str = (extra: Omit<StringSchema, 'type'> = {}): StringSchema => ({ type: 'string', ...extra });
const bool = (value = false): BooleanSchema => ({ type: 'boolean', default: value });
const map = (secret = false): MapSchema => ({ type: 'map', secret });
const list = (items: FieldSchema, extra: Omit<ArraySchema, 'type' | 'items'> = {}): ArraySchema => ({
  type: 'array',
  items,
  ...extra,
});
const obj = (
  fields: Record<string, PropSchema>,
  extra: Omit<ObjectSchema, 'type' | 'fields'> = {},
): ObjectSchema => ({
  type: 'object',
  fields,
  ...extra,
});
const req = <T extends FieldSchema>(schema: T): T & { required: true } => ({ ...schema, required: true });

const interval = str({ pattern: FLUX_INTERVAL_PATTERN, patternHint: 'a duration such as 30s, 5m or 1h' });
const timeout = (value?: string) =>
  str({
    pattern: FLUX_TIMEOUT_PATTERN,
    patternHint: 'a duration in ms, s or m, such as 60s or 5m',
    ...(value === undefined ? {} : { default: value }),
  });
const localRef = obj({ name: req(str()) });
const namespacedRef = obj({ name: req(str()), namespace: str() });
const accessFrom = obj({ namespaceSelectors: req(list(obj({ matchLabels: map() }))) });
const gitRef = obj({ branch: str(), tag: str(), semver: str(), name: str(), commit: str() });

/** DNS-1123 subdomain: object names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** DNS-1123 label: namespaces. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const metadata = obj(
  {
    name: req(
      str({ pattern: DNS_SUBDOMAIN, patternHint: 'lower-case letters, digits, "-" and "."', maxLength: 253 }),
    ),
    namespace: str({ pattern: DNS_LABEL, patternHint: 'lower-case letters, digits and "-"', maxLength: 63 }),
    labels: map(),
    annotations: map(),
  },
  {
    // Present in `kubectl get -o yaml` output; accepted and ignored.
    ignored: [
      'uid',
      'resourceVersion',
      'generation',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'finalizers',
      'ownerReferences',
      'managedFields',
      'generateName',
      'selfLink',
    ],
  },
);

/** Wraps a spec schema into a whole-object schema. */
function fluxObject(spec: ObjectSchema): ObjectSchema {
  return obj(
    { apiVersion: req(str()), kind: req(str()), metadata: req(metadata), spec: req(spec) },
    { ignored: ['status'] },
  );
}

// -- image.toolkit.fluxcd.io ---------------------------------------------------------------------

const imageRepositorySpec = obj({
  image: req(str()),
  interval: req(interval),
  timeout: timeout(),
  secretRef: localRef,
  proxySecretRef: localRef,
  serviceAccountName: str({ maxLength: 253 }),
  certSecretRef: localRef,
  suspend: bool(),
  accessFrom,
  exclusionList: list(str({ regex: true }), { maxItems: 25, default: ['^.*\\.sig$'] }),
  provider: str({ enum: ['generic', 'aws', 'azure', 'gcp'], default: 'generic' }),
  insecure: bool(),
});

const order = str({ enum: ['asc', 'desc'], default: 'asc' });
const imagePolicySpec = obj({
  imageRepositoryRef: req(namespacedRef),
  policy: req(
    obj({
      semver: obj({ range: req(str()) }),
      alphabetical: obj({ order }),
      numerical: obj({ order }),
    }),
  ),
  filterTags: obj({ pattern: str({ default: '', regex: true }), extract: str({ default: '' }) }),
  digestReflectionPolicy: str({ enum: ['Always', 'IfNotPresent', 'Never'], default: 'Never' }),
  interval,
  suspend: bool(),
});

function imageUpdateAutomationSpec(v1: boolean): ObjectSchema {
  const signingKey = v1
    ? obj({ secretRef: req(localRef), type: str({ enum: ['gpg', 'ssh'] }) })
    : obj({ secretRef: req(localRef) });
  return obj({
    sourceRef: req(
      obj({
        apiVersion: str(),
        kind: str({ enum: ['GitRepository'], default: 'GitRepository' }),
        name: req(str()),
        namespace: str(),
      }),
    ),
    git: obj({
      checkout: obj({ ref: req(gitRef) }),
      commit: req(
        obj({
          author: req(obj({ name: str(), email: req(str()) })),
          signingKey,
          messageTemplate: str(),
          messageTemplateValues: map(),
        }),
      ),
      push: obj({ branch: str(), refspec: str(), options: map() }),
    }),
    interval: req(interval),
    policySelector: obj({
      matchLabels: map(),
      matchExpressions: list(
        obj({
          key: req(str()),
          operator: req(str({ enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] })),
          values: list(str()),
        }),
      ),
    }),
    update: obj(
      { path: str(), strategy: str({ enum: ['Setters'], default: 'Setters' }) },
      { default: { strategy: 'Setters' } },
    ),
    suspend: bool(),
  });
}

// -- source.toolkit.fluxcd.io --------------------------------------------------------------------

function gitRepositorySpec(v1: boolean): ObjectSchema {
  const common: Record<string, PropSchema> = {
    url: req(str({ pattern: /^(http|https|ssh):\/\/.*$/, patternHint: 'http://, https:// or ssh://' })),
    secretRef: localRef,
    interval: req(interval),
    timeout: timeout('60s'),
    ref: gitRef,
    ignore: str(),
    suspend: bool(),
    recurseSubmodules: bool(),
    include: list(obj({ repository: req(localRef), fromPath: str(), toPath: str() })),
  };
  if (v1) {
    return obj({
      ...common,
      provider: str({ enum: ['generic', 'aws', 'azure', 'github'], default: 'generic' }),
      verify: obj({
        mode: str({ enum: ['head', 'HEAD', 'Tag', 'TagAndHEAD'], default: 'HEAD' }),
        secretRef: req(localRef),
      }),
      proxySecretRef: localRef,
      sparseCheckout: list(str()),
      serviceAccountName: str(),
    });
  }
  return obj({
    ...common,
    accessFrom,
    gitImplementation: {
      ...str({ enum: ['go-git', 'libgit2'] }),
      deprecated: 'gitImplementation is deprecated and ignored (Flux always uses go-git)',
    },
    verify: obj({ mode: req(str({ enum: ['head'] })), secretRef: req(localRef) }),
  });
}

const helmRepositorySpec = obj({
  url: req(str({ pattern: /^(http|https|oci):\/\/.*$/, patternHint: 'http://, https:// or oci://' })),
  secretRef: localRef,
  certSecretRef: localRef,
  passCredentials: bool(),
  interval: { ...interval, default: '1m' },
  insecure: bool(),
  timeout: timeout('60s'),
  suspend: bool(),
  accessFrom,
  type: str({ enum: ['default', 'oci'], default: 'default' }),
  provider: str({ enum: ['generic', 'aws', 'azure', 'gcp'], default: 'generic' }),
});

function bucketSpec(v1: boolean): ObjectSchema {
  const fields: Record<string, PropSchema> = {
    bucketName: req(str()),
    endpoint: req(str()),
    interval: req(interval),
    provider: str({ enum: ['generic', 'aws', 'gcp', 'azure'], default: 'generic' }),
    region: str(),
    prefix: str(),
    insecure: bool(),
    secretRef: localRef,
    certSecretRef: localRef,
    proxySecretRef: localRef,
    sts: obj({
      provider: req(str({ enum: ['aws', 'ldap'] })),
      endpoint: req(str({ pattern: /^(http|https):\/\/.*$/, patternHint: 'http:// or https://' })),
      secretRef: localRef,
      certSecretRef: localRef,
    }),
    timeout: timeout('60s'),
    ignore: str(),
    suspend: bool(),
  };
  if (v1) fields.serviceAccountName = str();
  else fields.accessFrom = accessFrom;
  return obj(fields);
}

// -- notification.toolkit.fluxcd.io --------------------------------------------------------------

const PROVIDER_TYPES_V1BETA2 = [
  'slack',
  'discord',
  'msteams',
  'rocket',
  'generic',
  'generic-hmac',
  'github',
  'gitlab',
  'gitea',
  'bitbucketserver',
  'bitbucket',
  'azuredevops',
  'googlechat',
  'googlepubsub',
  'webex',
  'sentry',
  'azureeventhub',
  'telegram',
  'lark',
  'matrix',
  'opsgenie',
  'alertmanager',
  'grafana',
  'githubdispatch',
  'pagerduty',
  'datadog',
] as const;

const PROVIDER_TYPES_V1BETA3 = [
  ...PROVIDER_TYPES_V1BETA2,
  'giteapullrequestcomment',
  'githubpullrequestcomment',
  'gitlabmergerequestcomment',
  'nats',
  'zulip',
  'otel',
  'zoom',
  'incident.io',
] as const;

/** Git commit-status provider types (the only ones `commitStatusExpr` is allowed on). */
const COMMIT_STATUS_TYPES = ['github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops'];

function providerSpec(v1beta3: boolean): ObjectSchema {
  const fields: Record<string, PropSchema> = {
    type: req(str({ enum: v1beta3 ? PROVIDER_TYPES_V1BETA3 : PROVIDER_TYPES_V1BETA2 })),
    interval: v1beta3
      ? { ...interval, deprecated: 'interval is deprecated and not used in v1beta3' }
      : interval,
    channel: str({ maxLength: 2048 }),
    username: str({ maxLength: 2048 }),
    address: str({ maxLength: 2048 }),
    timeout: timeout('15s'),
    proxy: {
      ...str({ pattern: /^(http|https):\/\/.*$/, patternHint: 'http:// or https://', maxLength: 2048 }),
      ...(v1beta3 ? { deprecated: 'proxy is deprecated; use proxySecretRef' } : {}),
    },
    secretRef: localRef,
    certSecretRef: localRef,
    suspend: bool(),
  };
  if (v1beta3) {
    fields.proxySecretRef = localRef;
    fields.serviceAccountName = str();
    fields.commitStatusExpr = str();
  }
  return obj(fields);
}

const alertSpec = obj({
  providerRef: req(localRef),
  eventSeverity: str({ enum: ['info', 'error'], default: 'info' }),
  eventSources: req(
    list(
      obj({
        apiVersion: str(),
        kind: req(
          str({
            enum: [
              'Bucket',
              'GitRepository',
              'Kustomization',
              'HelmRelease',
              'HelmChart',
              'HelmRepository',
              'ImageRepository',
              'ImagePolicy',
              'ImageUpdateAutomation',
              'OCIRepository',
              'ArtifactGenerator',
              'ExternalArtifact',
            ],
          }),
        ),
        name: req(str({ minLength: 1, maxLength: 253 })),
        namespace: str({ minLength: 1, maxLength: 253 }),
        matchLabels: map(),
      }),
    ),
  ),
  inclusionList: list(str({ regex: true })),
  exclusionList: list(str({ regex: true })),
  eventMetadata: map(),
  summary: { ...str({ maxLength: 255 }), deprecated: 'summary is deprecated; use eventMetadata.summary' },
  suspend: bool(),
});

// -- core/v1 --------------------------------------------------------------------------------------

const secretObject = obj(
  {
    apiVersion: req(str()),
    kind: req(str()),
    metadata: req(metadata),
    type: str({ default: 'Opaque' }),
    data: map(true),
    stringData: map(true),
    immutable: bool(),
  },
  { ignored: ['status'] },
);

// -- rules -----------------------------------------------------------------------------------------

/** Values as the walker built them (defaults applied, shape checked). */
type Built = Record<string, unknown>;
type Rule = (ctx: WalkContext, spec: Built, path: string) => void;

function has(value: unknown): boolean {
  return value !== undefined && value !== '';
}

/**
 * tidewatch rule 3: a git ref names one thing. Flux resolves commit > name > tag > semver > branch
 * silently; we reject every combination except `commit` with `branch` (a documented pairing).
 */
function checkGitRef(ctx: WalkContext, ref: GitRef | undefined, path: string): void {
  if (!ref) return;
  const set = (['branch', 'tag', 'semver', 'name'] as const).filter((f) => has(ref[f]));
  if (set.length > 1) {
    report(
      ctx,
      `${path}.${set[1]!}`,
      `conflicts with ${path}.${set[0]!}: set only one of branch, tag, semver, name (Flux would silently use ${precedenceWinner(set)})`,
    );
  }
  if (has(ref.commit) && set.some((f) => f !== 'branch')) {
    report(
      ctx,
      `${path}.commit`,
      `cannot be combined with ${path}.${set.find((f) => f !== 'branch')!} (only with branch)`,
    );
  }
}

function precedenceWinner(set: readonly string[]): string {
  return ['name', 'tag', 'semver', 'branch'].find((f) => set.includes(f))!;
}

/** Applies Flux's default ref (branch `master`) when no field is set. */
function defaultGitRef(ref: GitRef | undefined): GitRef {
  if (ref && (['branch', 'tag', 'semver', 'name', 'commit'] as const).some((f) => has(ref[f]))) return ref;
  return { ...ref, branch: 'master' };
}

/**
 * Flux's `ImageRepository.GetTimeout()`: `spec.timeout` when set, otherwise `spec.interval` (the
 * CRD: "Defaults to 'Interval' duration"). Applied here, as written, so the loaded object carries
 * the timeout Flux would use; Flux's floor of one second is applied where the duration is used.
 */
const imageRepositoryRule: Rule = (_ctx, spec) => {
  if (spec.timeout === undefined) spec.timeout = spec.interval;
};

const imagePolicyRule: Rule = (ctx, spec, path) => {
  const policy = spec.policy as Built | undefined;
  if (policy) {
    const chosen = ['semver', 'alphabetical', 'numerical'].filter((k) => policy[k] !== undefined);
    if (chosen.length === 0) {
      report(ctx, `${path}.policy`, 'must set one of semver, alphabetical or numerical');
    } else if (chosen.length > 1) {
      report(
        ctx,
        `${path}.policy.${chosen[1]!}`,
        `conflicts with ${path}.policy.${chosen[0]!}: set only one policy (Flux would silently use ${chosen[0]!})`,
      );
    }
  }
  const always = spec.digestReflectionPolicy === 'Always';
  if (spec.interval !== undefined && !always) {
    report(
      ctx,
      `${path}.interval`,
      "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
    );
  }
  if (spec.interval === undefined && always) {
    report(
      ctx,
      `${path}.interval`,
      "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'",
    );
  }
};

const imageUpdateAutomationRule: Rule = (ctx, spec, path) => {
  const git = spec.git as Built | undefined;
  if (!git) {
    report(ctx, `${path}.git`, "is required: source kind 'GitRepository' necessitates field .spec.git");
    return;
  }
  const checkout = git.checkout as { ref?: GitRef } | undefined;
  checkGitRef(ctx, checkout?.ref, `${path}.git.checkout.ref`);
};

const gitRepositoryRule: Rule = (ctx, spec, path) => {
  checkGitRef(ctx, spec.ref as GitRef | undefined, `${path}.ref`);
  spec.ref = defaultGitRef(spec.ref as GitRef | undefined);
  if (spec.provider === undefined) spec.provider = 'generic';
  if (spec.serviceAccountName !== undefined && spec.provider !== 'azure' && spec.provider !== 'aws') {
    report(
      ctx,
      `${path}.serviceAccountName`,
      "serviceAccountName can only be set when provider is 'azure' or 'aws'",
    );
  }
};

const helmRepositoryRule: Rule = (ctx, spec, path) => {
  const url = spec.url as string | undefined;
  if (url === undefined) return;
  const isOci = url.startsWith('oci://');
  if (spec.type === 'oci' && !isOci) {
    report(ctx, `${path}.url`, "must start with oci:// when spec.type is 'oci'");
  } else if (spec.type !== 'oci' && isOci) {
    report(ctx, `${path}.url`, 'an oci:// URL needs spec.type: oci (Flux stalls with URLInvalid)');
  }
};

const bucketRule: Rule = (ctx, spec, path) => {
  const provider = spec.provider as string;
  const sts = spec.sts as Built | undefined;
  if (sts) {
    if (provider !== 'aws' && provider !== 'generic') {
      report(
        ctx,
        `${path}.sts`,
        "STS configuration is only supported for the 'aws' and 'generic' Bucket providers",
      );
    } else if (provider === 'aws' && sts.provider !== 'aws') {
      report(
        ctx,
        `${path}.sts.provider`,
        "'aws' is the only supported STS provider for the 'aws' Bucket provider",
      );
    } else if (provider === 'generic' && sts.provider !== 'ldap') {
      report(
        ctx,
        `${path}.sts.provider`,
        "'ldap' is the only supported STS provider for the 'generic' Bucket provider",
      );
    }
    if (sts.provider === 'aws' && sts.secretRef !== undefined) {
      report(ctx, `${path}.sts.secretRef`, "spec.sts.secretRef is not required for the 'aws' STS provider");
    }
    if (sts.provider === 'aws' && sts.certSecretRef !== undefined) {
      report(
        ctx,
        `${path}.sts.certSecretRef`,
        "spec.sts.certSecretRef is not required for the 'aws' STS provider",
      );
    }
  }
  if (spec.serviceAccountName !== undefined) {
    if (provider === 'generic') {
      report(
        ctx,
        `${path}.serviceAccountName`,
        "ServiceAccountName is not supported for the 'generic' Bucket provider",
      );
    }
    if (spec.secretRef !== undefined) {
      report(
        ctx,
        `${path}.serviceAccountName`,
        'cannot set both .spec.secretRef and .spec.serviceAccountName',
      );
    }
  }
};

const providerRule: Rule = (ctx, spec, path) => {
  if (spec.commitStatusExpr !== undefined && !COMMIT_STATUS_TYPES.includes(spec.type as string)) {
    report(
      ctx,
      `${path}.commitStatusExpr`,
      "spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops' provider types",
    );
  }
};

// -- registry ----------------------------------------------------------------------------------------

/** How one (group, kind) is read. */
export interface KindDefinition {
  /** The kind. */
  readonly kind: FluxKind;
  /** API group (`''` for core). */
  readonly group: string;
  /** Schema per version of the group (`v1`, `v1beta2`, …). */
  readonly versions: Readonly<Record<string, ObjectSchema>>;
  /** Versions Flux has deprecated, with the replacement to suggest. */
  readonly deprecated?: Readonly<Record<string, string>>;
  /** Checks across fields of `spec` (run only when the spec built without problems). */
  readonly rule?: Rule;
}

const IMAGE = 'image.toolkit.fluxcd.io';
const SOURCE = 'source.toolkit.fluxcd.io';
const NOTIFICATION = 'notification.toolkit.fluxcd.io';

/** Every kind tidewatch reads, by kind name. */
export const KIND_DEFINITIONS: Readonly<Record<FluxKind, KindDefinition>> = {
  ImageRepository: {
    kind: 'ImageRepository',
    group: IMAGE,
    versions: { v1: fluxObject(imageRepositorySpec), v1beta2: fluxObject(imageRepositorySpec) },
    deprecated: { v1beta2: `${IMAGE}/v1` },
    rule: imageRepositoryRule,
  },
  ImagePolicy: {
    kind: 'ImagePolicy',
    group: IMAGE,
    versions: { v1: fluxObject(imagePolicySpec), v1beta2: fluxObject(imagePolicySpec) },
    deprecated: { v1beta2: `${IMAGE}/v1` },
    rule: imagePolicyRule,
  },
  ImageUpdateAutomation: {
    kind: 'ImageUpdateAutomation',
    group: IMAGE,
    versions: {
      v1: fluxObject(imageUpdateAutomationSpec(true)),
      v1beta2: fluxObject(imageUpdateAutomationSpec(false)),
    },
    deprecated: { v1beta2: `${IMAGE}/v1` },
    rule: imageUpdateAutomationRule,
  },
  GitRepository: {
    kind: 'GitRepository',
    group: SOURCE,
    versions: { v1: fluxObject(gitRepositorySpec(true)), v1beta2: fluxObject(gitRepositorySpec(false)) },
    deprecated: { v1beta2: `${SOURCE}/v1` },
    rule: gitRepositoryRule,
  },
  HelmRepository: {
    kind: 'HelmRepository',
    group: SOURCE,
    versions: { v1: fluxObject(helmRepositorySpec), v1beta2: fluxObject(helmRepositorySpec) },
    deprecated: { v1beta2: `${SOURCE}/v1` },
    rule: helmRepositoryRule,
  },
  Bucket: {
    kind: 'Bucket',
    group: SOURCE,
    versions: { v1: fluxObject(bucketSpec(true)), v1beta2: fluxObject(bucketSpec(false)) },
    deprecated: { v1beta2: `${SOURCE}/v1` },
    rule: bucketRule,
  },
  Provider: {
    kind: 'Provider',
    group: NOTIFICATION,
    versions: { v1beta3: fluxObject(providerSpec(true)), v1beta2: fluxObject(providerSpec(false)) },
    deprecated: { v1beta2: `${NOTIFICATION}/v1beta3` },
    rule: providerRule,
  },
  Alert: {
    kind: 'Alert',
    group: NOTIFICATION,
    versions: { v1beta3: fluxObject(alertSpec), v1beta2: fluxObject(alertSpec) },
    deprecated: { v1beta2: `${NOTIFICATION}/v1beta3` },
  },
  Secret: { kind: 'Secret', group: '', versions: { v1: secretObject } },
};

/** Splits `group/version` (or a bare core `version`). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Warns about a deprecated apiVersion (`path`: where the object's `apiVersion` is). */
export function warnDeprecatedVersion(
  ctx: WalkContext,
  def: KindDefinition,
  version: string,
  path = 'apiVersion',
): void {
  const replacement = def.deprecated?.[version];
  if (replacement) {
    warn(ctx, path, `${def.group}/${version} ${def.kind} is deprecated by Flux; use ${replacement}`);
  }
}
