/**
 * Typed Flux objects as tidewatch reads them from manifests: the `spec` of each kind, field for
 * field as in Flux's API type files (`*_types.go`), with Flux's defaults already applied.
 * Where apiVersions differ the types hold the union and the object records its `apiVersion`.
 *
 * @packageDocumentation
 */

/** Where an object was read from. */
export interface ManifestSource {
  /** File path as given to the loader (or the `file` name given with a source string). */
  readonly file: string;
  /** 1-based line of the document's first key (usually `apiVersion`); 1 for objects not read from text. */
  readonly line: number;
}

/** The subset of Kubernetes `ObjectMeta` that tidewatch uses. */
export interface ObjectMeta {
  /** Object name (a DNS-1123 subdomain). */
  readonly name: string;
  /**
   * Object namespace.
   * @default 'default' (the loader's `namespace` option overrides it)
   */
  readonly namespace: string;
  /** Labels (used by `policySelector` and Alert `matchLabels`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations (`event.toolkit.fluxcd.io/*` ones become event metadata). */
  readonly annotations: Readonly<Record<string, string>>;
}

/** A reference to an object in the same namespace. */
export interface LocalObjectReference {
  /** Name of the referent. */
  readonly name: string;
}

/** A reference to an object, in the same namespace unless `namespace` is set. */
export interface NamespacedObjectReference {
  /** Name of the referent. */
  readonly name: string;
  /** Namespace of the referent; the referring object's namespace when absent. */
  readonly namespace?: string;
}

/** Cross-namespace access list (`accessFrom`); kept for fidelity, Flux does not enforce it for sources. */
export interface AccessFrom {
  /** Namespaces allowed, by label selector. */
  readonly namespaceSelectors: readonly { readonly matchLabels?: Readonly<Record<string, string>> }[];
}

/** Fields every Flux object has. */
interface FluxObjectBase<K extends string, V extends string> {
  /** The apiVersion as written in the manifest. */
  readonly apiVersion: V;
  /** The kind. */
  readonly kind: K;
  /** Name, namespace, labels and annotations. */
  readonly metadata: ObjectMeta;
  /** Where the object was read from. */
  readonly source: ManifestSource;
}

// ---------------------------------------------------------------------------------------------
// image.toolkit.fluxcd.io

/** API versions of the image automation kinds. */
export type ImageApiVersion = 'image.toolkit.fluxcd.io/v1beta2' | 'image.toolkit.fluxcd.io/v1';

/** Cloud provider used for registry auto-login. */
export type ImageRepositoryProvider = 'generic' | 'aws' | 'azure' | 'gcp';

/** `ImageRepository.spec` (`spec/policy.md` §6.1). */
export interface ImageRepositorySpec {
  /** Image repository without tag, digest or scheme, e.g. `ghcr.io/coder/coder`. */
  readonly image: string;
  /** Scan interval (Go duration, pattern {@link FLUX_INTERVAL_PATTERN}). */
  readonly interval: string;
  /**
   * Scan timeout: covers authentication and listing. When the manifest has none it is `interval`,
   * as written (so it may use the `h` unit, which a written `timeout` may not). Flux never waits
   * less than one second, whatever this says.
   * @default the value of `interval` (Flux's `GetTimeout()`)
   */
  readonly timeout: string;
  /** Secret of type `kubernetes.io/dockerconfigjson` with registry credentials. */
  readonly secretRef?: LocalObjectReference;
  /** Secret with `address`, `username`, `password` of an HTTP proxy. */
  readonly proxySecretRef?: LocalObjectReference;
  /** Service account for image pull secrets / workload identity. */
  readonly serviceAccountName?: string;
  /** Secret with `ca.crt` and/or `tls.crt` + `tls.key`. */
  readonly certSecretRef?: LocalObjectReference;
  /** Skip scans of this repository (as Flux does while it is set). @default false */
  readonly suspend: boolean;
  /** Cross-namespace ACL for ImagePolicies. */
  readonly accessFrom?: AccessFrom;
  /**
   * Regexes of tags to ignore (max 25).
   * @default ['^.*\\.sig$']
   */
  readonly exclusionList: readonly string[];
  /** Cloud provider whose credentials log in to the registry. @default 'generic' (none) */
  readonly provider: ImageRepositoryProvider;
  /** Use plain HTTP. @default false */
  readonly insecure: boolean;
}

/** An `ImageRepository`: which image to scan for tags. */
export interface ImageRepository extends FluxObjectBase<'ImageRepository', ImageApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: ImageRepositorySpec;
}

/** Sort order of alphabetical and numerical policies. */
export type PolicyOrder = 'asc' | 'desc';

/** When ImagePolicy resolves the digest of the selected tag. */
export type DigestReflectionPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** `ImagePolicy.spec.policy`: exactly one of the three is set (tidewatch rejects none or several). */
export interface ImagePolicyChoice {
  /** Semver range (Masterminds syntax), e.g. `>=2.0.0 <3.0.0`. */
  readonly semver?: { readonly range: string };
  /** Alphabetical order. `order` defaults to `asc`. */
  readonly alphabetical?: { readonly order: PolicyOrder };
  /** Numerical order. `order` defaults to `asc`. */
  readonly numerical?: { readonly order: PolicyOrder };
}

/** `ImagePolicy.spec.filterTags`. */
export interface TagFilter {
  /** Go RE2 regex the tag must match. @default '' (every tag) */
  readonly pattern: string;
  /** Replacement template (`$1`, `$name`) giving the value the policy compares. @default '' */
  readonly extract: string;
}

/** `ImagePolicy.spec`. */
export interface ImagePolicySpec {
  /** The ImageRepository to select from (may name another namespace). */
  readonly imageRepositoryRef: NamespacedObjectReference;
  /** The selection rule. */
  readonly policy: ImagePolicyChoice;
  /** Tag filter applied before the policy. */
  readonly filterTags?: TagFilter;
  /** Whether and when the digest of the selected tag is resolved. @default 'Never' */
  readonly digestReflectionPolicy: DigestReflectionPolicy;
  /** Re-evaluation interval; set exactly when `digestReflectionPolicy` is `Always`. */
  readonly interval?: string;
  /** Skip evaluating this policy. @default false */
  readonly suspend: boolean;
}

/** An `ImagePolicy`: how to pick the latest tag of an ImageRepository. */
export interface ImagePolicy extends FluxObjectBase<'ImagePolicy', ImageApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: ImagePolicySpec;
}

/** A git reference (`GitRepositoryRef`). Nothing set means branch `master`. */
export interface GitRef {
  /** Branch name. */
  readonly branch?: string;
  /** Tag name. */
  readonly tag?: string;
  /** Semver range over tags. */
  readonly semver?: string;
  /** Full reference name, e.g. `refs/pull/420/head`. */
  readonly name?: string;
  /** Commit SHA (may be combined with `branch`). */
  readonly commit?: string;
}

/** `ImageUpdateAutomation.spec.sourceRef`. */
export interface CrossNamespaceSourceReference {
  /** API version of the referent. */
  readonly apiVersion?: string;
  /** Kind of the referent. @default 'GitRepository' (the only kind allowed) */
  readonly kind: 'GitRepository';
  /** Name of the referent. */
  readonly name: string;
  /** Namespace; the automation's namespace when absent. */
  readonly namespace?: string;
}

/** `ImageUpdateAutomation.spec.git.commit`. */
export interface CommitSpec {
  /** Commit author; `email` is required. */
  readonly author: { readonly name?: string; readonly email: string };
  /** Commit signing key (`type` exists from v1; Flux defaults it to `gpg`). */
  readonly signingKey?: { readonly secretRef: LocalObjectReference; readonly type?: 'gpg' | 'ssh' };
  /** Go `text/template` of the commit message. */
  readonly messageTemplate?: string;
  /** Extra values available to the template as `.Values`. */
  readonly messageTemplateValues?: Readonly<Record<string, string>>;
}

/** `ImageUpdateAutomation.spec.git.push`. */
export interface PushSpec {
  /** Branch to push to (the checkout branch when absent). */
  readonly branch?: string;
  /** Extra refspec pushed after the branch. */
  readonly refspec?: string;
  /** Git push options. */
  readonly options?: Readonly<Record<string, string>>;
}

/** `ImageUpdateAutomation.spec.git`. */
export interface GitSpec {
  /** Ref to check out; the GitRepository's ref when absent. */
  readonly checkout?: { readonly ref: GitRef };
  /** How to commit. */
  readonly commit: CommitSpec;
  /** Where to push. */
  readonly push?: PushSpec;
}

/** `ImageUpdateAutomation.spec.update`. */
export interface UpdateStrategy {
  /** Path under the repository root to update; the whole repository when absent. */
  readonly path?: string;
  /** How files are updated: by the setter markers. @default 'Setters' (the only strategy) */
  readonly strategy: 'Setters';
}

/** A Kubernetes label selector. */
export interface LabelSelector {
  /** Labels that must all match. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Set-based requirements. */
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }[];
}

/** `ImageUpdateAutomation.spec` (`spec/automation.md` §6). */
export interface ImageUpdateAutomationSpec {
  /** The GitRepository to update. */
  readonly sourceRef: CrossNamespaceSourceReference;
  /** Git checkout, commit and push settings (required by tidewatch, as Flux requires it in practice). */
  readonly git: GitSpec;
  /** Run interval. */
  readonly interval: string;
  /** Which ImagePolicies apply (all in the namespace when absent). */
  readonly policySelector?: LabelSelector;
  /** How files are updated (the setter markers under `path`). @default { strategy: 'Setters' } */
  readonly update: UpdateStrategy;
  /** Skip runs of this automation. @default false */
  readonly suspend: boolean;
}

/** An `ImageUpdateAutomation`: rewrite marked fields and commit/push. */
export interface ImageUpdateAutomation extends FluxObjectBase<'ImageUpdateAutomation', ImageApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: ImageUpdateAutomationSpec;
}

// ---------------------------------------------------------------------------------------------
// source.toolkit.fluxcd.io

/** API versions of the source kinds. */
export type SourceApiVersion = 'source.toolkit.fluxcd.io/v1beta2' | 'source.toolkit.fluxcd.io/v1';

/** GitRepository auth provider (v1). */
export type GitProvider = 'generic' | 'aws' | 'azure' | 'github';

/** Commit verification mode (`head` is v1beta2's spelling of `HEAD`). */
export type GitVerificationMode = 'head' | 'HEAD' | 'Tag' | 'TagAndHEAD';

/** `GitRepository.spec` (`spec/sources.md` §4). */
export interface GitRepositorySpec {
  /** `http://`, `https://` or `ssh://` URL (scp-style is rejected). */
  readonly url: string;
  /** Secret with `username`/`password`, `bearerToken`, or `identity`/`known_hosts`. */
  readonly secretRef?: LocalObjectReference;
  /** Auth provider (v1 only). @default 'generic' */
  readonly provider: GitProvider;
  /** Poll interval. */
  readonly interval: string;
  /** Git operation timeout. @default '60s' */
  readonly timeout: string;
  /**
   * The ref to follow; at most one of `branch`/`tag`/`semver`/`name`, `commit` alone or with
   * `branch`. @default { branch: 'master' }
   */
  readonly ref: GitRef;
  /** Commit signature verification. `mode` defaults to `HEAD` (v1). */
  readonly verify?: { readonly mode: GitVerificationMode; readonly secretRef: LocalObjectReference };
  /** Proxy secret (v1 only). */
  readonly proxySecretRef?: LocalObjectReference;
  /** Extra `.sourceignore` lines. */
  readonly ignore?: string;
  /** Skip fetches of this repository. @default false */
  readonly suspend: boolean;
  /** Also fetch the repository's submodules. @default false */
  readonly recurseSubmodules: boolean;
  /** Other GitRepositories whose content is included. */
  readonly include?: readonly {
    readonly repository: LocalObjectReference;
    readonly fromPath?: string;
    readonly toPath?: string;
  }[];
  /** Sparse checkout directories (v1 only). */
  readonly sparseCheckout?: readonly string[];
  /** Workload identity service account (v1 only; providers aws and azure). */
  readonly serviceAccountName?: string;
  /** Deprecated implementation switch (v1beta2 only). */
  readonly gitImplementation?: 'go-git' | 'libgit2';
  /** Cross-namespace ACL (v1beta2 only). */
  readonly accessFrom?: AccessFrom;
}

/** A `GitRepository`: a git remote and the ref to follow. */
export interface GitRepository extends FluxObjectBase<'GitRepository', SourceApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: GitRepositorySpec;
}

/** `HelmRepository.spec` (`spec/sources.md` §2–3). */
export interface HelmRepositorySpec {
  /** `http(s)://` index URL, or `oci://` when `type` is `oci`. */
  readonly url: string;
  /** Secret with `username`/`password` (or dockerconfigjson for OCI). */
  readonly secretRef?: LocalObjectReference;
  /** Secret with `ca.crt`, `tls.crt`, `tls.key`. */
  readonly certSecretRef?: LocalObjectReference;
  /** Send credentials to hosts other than the URL's. @default false */
  readonly passCredentials: boolean;
  /** Poll interval (not used for `oci`). @default '1m' (Flux's requeue when unset) */
  readonly interval: string;
  /** Plain HTTP for OCI. @default false */
  readonly insecure: boolean;
  /** Index fetch / OCI operation timeout. @default '60s' */
  readonly timeout: string;
  /** Skip fetches of this repository's index. @default false */
  readonly suspend: boolean;
  /** Cross-namespace ACL. */
  readonly accessFrom?: AccessFrom;
  /** `oci` for a Helm repository in an OCI registry; `default` for an HTTP/S `index.yaml`. @default 'default' */
  readonly type: 'default' | 'oci';
  /** OCI auto-login provider. @default 'generic' */
  readonly provider: ImageRepositoryProvider;
}

/** A `HelmRepository`: a chart repository (HTTPS index or OCI). */
export interface HelmRepository extends FluxObjectBase<'HelmRepository', SourceApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: HelmRepositorySpec;
}

/** Bucket provider. */
export type BucketProvider = 'generic' | 'aws' | 'gcp' | 'azure';

/** `Bucket.spec` (`spec/sources.md` §5). */
export interface BucketSpec {
  /** Bucket (or Azure container) name. */
  readonly bucketName: string;
  /** `host[:port]` (S3-style) or the Azure account URL. */
  readonly endpoint: string;
  /** Poll interval. */
  readonly interval: string;
  /** The bucket API: `generic` (S3-compatible), `aws`, `gcp` or `azure`. @default 'generic' */
  readonly provider: BucketProvider;
  /** S3 region. */
  readonly region?: string;
  /** Listing prefix. */
  readonly prefix?: string;
  /** Plain HTTP. @default false */
  readonly insecure: boolean;
  /** Credentials secret. */
  readonly secretRef?: LocalObjectReference;
  /** TLS secret (generic only). */
  readonly certSecretRef?: LocalObjectReference;
  /** Proxy secret. */
  readonly proxySecretRef?: LocalObjectReference;
  /** Security token service settings. */
  readonly sts?: {
    readonly provider: 'aws' | 'ldap';
    readonly endpoint: string;
    readonly secretRef?: LocalObjectReference;
    readonly certSecretRef?: LocalObjectReference;
  };
  /** Time allowed for listing and downloading the bucket's objects (Go duration). @default '60s' */
  readonly timeout: string;
  /** Extra ignore lines. */
  readonly ignore?: string;
  /** Skip fetches of this bucket. @default false */
  readonly suspend: boolean;
  /** Workload identity service account (v1 only; not with `generic` or `secretRef`). */
  readonly serviceAccountName?: string;
  /** Cross-namespace ACL (v1beta2 only). */
  readonly accessFrom?: AccessFrom;
}

/** A `Bucket`: an S3/GCS/Azure bucket to watch. */
export interface Bucket extends FluxObjectBase<'Bucket', SourceApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: BucketSpec;
}

// ---------------------------------------------------------------------------------------------
// notification.toolkit.fluxcd.io

/** API versions of the notification kinds. */
export type NotificationApiVersion =
  'notification.toolkit.fluxcd.io/v1beta2' | 'notification.toolkit.fluxcd.io/v1beta3';

/** Every Provider `type` Flux accepts (v1beta3; v1beta2 accepts a subset). */
export type ProviderType =
  | 'slack'
  | 'discord'
  | 'msteams'
  | 'rocket'
  | 'generic'
  | 'generic-hmac'
  | 'github'
  | 'gitlab'
  | 'gitea'
  | 'giteapullrequestcomment'
  | 'bitbucketserver'
  | 'bitbucket'
  | 'azuredevops'
  | 'googlechat'
  | 'googlepubsub'
  | 'webex'
  | 'sentry'
  | 'azureeventhub'
  | 'telegram'
  | 'lark'
  | 'matrix'
  | 'opsgenie'
  | 'alertmanager'
  | 'grafana'
  | 'githubdispatch'
  | 'githubpullrequestcomment'
  | 'gitlabmergerequestcomment'
  | 'pagerduty'
  | 'datadog'
  | 'nats'
  | 'zulip'
  | 'otel'
  | 'zoom'
  | 'incident.io';

/** `Provider.spec` (`spec/notify.md` §4). */
export interface ProviderSpec {
  /** Provider type. */
  readonly type: ProviderType;
  /** Deprecated, unused. */
  readonly interval?: string;
  /** Destination channel. */
  readonly channel?: string;
  /** Bot user name. */
  readonly username?: string;
  /** Endpoint address (a Secret `address` key replaces it). */
  readonly address?: string;
  /** Delivery timeout. @default '15s' */
  readonly timeout: string;
  /** Deprecated proxy URL. */
  readonly proxy?: string;
  /** Proxy secret (v1beta3). */
  readonly proxySecretRef?: LocalObjectReference;
  /** Secret with `address`, `token`, `username`/`password`, `headers`, … */
  readonly secretRef?: LocalObjectReference;
  /** TLS secret. */
  readonly certSecretRef?: LocalObjectReference;
  /** Skip sending through this provider. @default false */
  readonly suspend: boolean;
  /** Workload identity service account (v1beta3). */
  readonly serviceAccountName?: string;
  /** CEL expression for the commit status id (git status types only, v1beta3). */
  readonly commitStatusExpr?: string;
}

/** A notification `Provider`: where to send events. */
export interface Provider extends FluxObjectBase<'Provider', NotificationApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: ProviderSpec;
}

/** Kinds an Alert event source may name. */
export type AlertEventSourceKind =
  | 'Bucket'
  | 'GitRepository'
  | 'Kustomization'
  | 'HelmRelease'
  | 'HelmChart'
  | 'HelmRepository'
  | 'ImageRepository'
  | 'ImagePolicy'
  | 'ImageUpdateAutomation'
  | 'OCIRepository'
  | 'ArtifactGenerator'
  | 'ExternalArtifact';

/** One `Alert.spec.eventSources` entry. */
export interface AlertEventSource {
  /** Ignored by matching. */
  readonly apiVersion?: string;
  /** Kind of the involved object. */
  readonly kind: AlertEventSourceKind;
  /** Object name, or `*` for any. */
  readonly name: string;
  /** Namespace; the Alert's namespace when absent (not "any"). */
  readonly namespace?: string;
  /** Labels the involved object must carry. */
  readonly matchLabels?: Readonly<Record<string, string>>;
}

/** `Alert.spec` (`spec/notify.md` §3.1). */
export interface AlertSpec {
  /** Provider in the same namespace. */
  readonly providerRef: LocalObjectReference;
  /** `info` means every severity, `error` errors only. @default 'info' */
  readonly eventSeverity: 'info' | 'error';
  /** Which objects' events to forward. */
  readonly eventSources: readonly AlertEventSource[];
  /** Message regexes of which at least one must match (when not empty). */
  readonly inclusionList?: readonly string[];
  /** Message regexes that drop an event. */
  readonly exclusionList?: readonly string[];
  /** Metadata added to every event. */
  readonly eventMetadata?: Readonly<Record<string, string>>;
  /** Deprecated summary (≤ 255 characters). */
  readonly summary?: string;
  /** Skip this alert. @default false */
  readonly suspend: boolean;
}

/** An `Alert`: which events go to which Provider. */
export interface Alert extends FluxObjectBase<'Alert', NotificationApiVersion> {
  /** The spec, with defaults applied. */
  readonly spec: AlertSpec;
}

// ---------------------------------------------------------------------------------------------
// core/v1

/**
 * A core/v1 `Secret` as written in a manifest. `data` values are still base64 (decode them with a
 * {@link SecretResolver}); both maps mask their values in `util.inspect` and `JSON.stringify`.
 */
export interface SecretManifest extends FluxObjectBase<'Secret', 'v1'> {
  /** The Secret's type, e.g. `kubernetes.io/dockerconfigjson`. @default 'Opaque' */
  readonly type: string;
  /** Base64-encoded values. */
  readonly data: Readonly<Record<string, string>>;
  /** Plain-text values (they win over `data` for the same key). */
  readonly stringData: Readonly<Record<string, string>>;
  /** Whether the Secret is marked immutable (recorded, not enforced). @default false */
  readonly immutable: boolean;
  /** Line of each key, as `data.<key>` / `stringData.<key>` → line (for problems that name a key). */
  readonly keyLines: Readonly<Record<string, number>>;
}

// ---------------------------------------------------------------------------------------------

/** Every kind tidewatch models, mapped to its object type. */
export interface FluxKindMap {
  /** `image.toolkit.fluxcd.io` ImageRepository. */
  ImageRepository: ImageRepository;
  /** `image.toolkit.fluxcd.io` ImagePolicy. */
  ImagePolicy: ImagePolicy;
  /** `image.toolkit.fluxcd.io` ImageUpdateAutomation. */
  ImageUpdateAutomation: ImageUpdateAutomation;
  /** `source.toolkit.fluxcd.io` GitRepository. */
  GitRepository: GitRepository;
  /** `source.toolkit.fluxcd.io` HelmRepository. */
  HelmRepository: HelmRepository;
  /** `source.toolkit.fluxcd.io` Bucket. */
  Bucket: Bucket;
  /** `notification.toolkit.fluxcd.io` Provider. */
  Provider: Provider;
  /** `notification.toolkit.fluxcd.io` Alert. */
  Alert: Alert;
  /** Core `v1` Secret. */
  Secret: SecretManifest;
}

/** A kind tidewatch models. */
export type FluxKind = keyof FluxKindMap;

/** Any object tidewatch models. */
export type FluxObject = FluxKindMap[FluxKind];
