/**
 * Git repository address parsing for the forge providers, following Flux's `parseGitAddress`
 * (https, ssh://, scp-like `git@host:owner/repo.git`) and its Bitbucket Server variant.
 *
 * @packageDocumentation
 */

/** A git address split into the API host and the repository id. */
export interface GitAddress {
  /** `<scheme>://<host>[:port]`; `ssh` becomes `https` on the same host and port. */
  readonly host: string;
  /** Host name without port, lower case. */
  readonly hostname: string;
  /** The path without its leading `/` and trailing `.git`, e.g. `owner/repo` or `group/sub/repo`. */
  readonly id: string;
}

/** An address Flux could not parse; the message is Flux's. */
export class GitAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitAddressError';
  }
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;
// scp-like syntax: [user@]host:[port/]path (what chainguard-dev/git-urls accepts)
const SCP = /^(?:[^@\s]+@)?([^:\s/]+):(?:([0-9]{1,5})\/)?([^\\].*)$/;

/**
 * Parses any git URL form into `{ host, id }` as Flux does. `ssh` URLs become `https` on the same
 * host; the leading `/` and a trailing `.git` are removed from the path.
 *
 * @throws {@link GitAddressError} `failed parsing URL "<address>": …`
 * @example
 * ```ts
 * parseGitAddress('git@github.com:org/repo.git'); // { host: 'https://github.com', hostname: 'github.com', id: 'org/repo' }
 * ```
 */
export function parseGitAddress(address: string): GitAddress {
  let scheme: string;
  let hostPort: string;
  let hostname: string;
  let path: string;
  const m = SCHEME.exec(address);
  if (m) {
    let url: URL;
    try {
      url = new URL(address);
    } catch (err) {
      throw new GitAddressError(`failed parsing URL "${address}": ${(err as Error).message}`);
    }
    scheme = m[1]!.toLowerCase();
    hostname = url.hostname;
    hostPort = url.host;
    path = decodeURIComponent(url.pathname);
  } else {
    const scp = SCP.exec(address);
    if (!scp) throw new GitAddressError(`failed parsing URL "${address}": unsupported address form`);
    scheme = 'ssh';
    hostname = scp[1]!;
    hostPort = scp[2] ? `${scp[1]!}:${scp[2]}` : scp[1]!;
    path = scp[3]!;
  }
  if (hostname === '') throw new GitAddressError(`failed parsing URL "${address}": missing host`);
  if (scheme === 'ssh') scheme = 'https';
  let id = path.replace(/^\/+/, '');
  if (id.endsWith('.git')) id = id.slice(0, -'.git'.length);
  return { host: `${scheme}://${hostPort}`, hostname: hostname.toLowerCase(), id };
}

/** Splits `id` into exactly `count` segments, or returns `undefined` (Flux's "invalid repository id"). */
export function splitRepositoryId(id: string, count: number): string[] | undefined {
  const parts = id.split('/');
  return parts.length === count ? parts : undefined;
}

/** A Bitbucket Server repository, from its https clone URL. */
export interface BitbucketServerAddress {
  /** `<scheme>://<host><context>/rest/api/latest/projects/<KEY>/repos/<slug>/commits` */
  readonly commitsUrl: string;
  /** Project key. */
  readonly projectKey: string;
  /** Repository slug. */
  readonly repoSlug: string;
}

/**
 * Parses a Bitbucket Server/Data Center http(s) clone URL such as
 * `https://bb.example.com/context/scm/PROJ/repo.git`: the context path is everything before the
 * last `/scm/`.
 *
 * @throws {@link GitAddressError} with Flux's `could not parse git address: …` texts
 */
export function parseBitbucketServerAddress(address: string): BitbucketServerAddress {
  let url: URL;
  try {
    url = new URL(address);
  } catch (err) {
    throw new GitAddressError(`could not parse git address: ${(err as Error).message}`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') {
    throw new GitAddressError(
      `could not parse git address: unsupported scheme type in address: ${scheme}. Must be http or https`,
    );
  }
  const path = decodeURIComponent(url.pathname);
  const withContext = path.endsWith('.git') ? path.slice(0, -'.git'.length) : path;
  const at = withContext.lastIndexOf('/scm/');
  if (at < 0) {
    throw new GitAddressError(
      'could not parse git address: supplied provider address is not http(s) git clone url',
    );
  }
  const context = withContext.slice(0, at);
  const id = withContext.slice(at + '/scm/'.length);
  const parts = splitRepositoryId(id, 2);
  if (!parts) throw new GitAddressError(`could not parse git address: invalid repository id "${id}"`);
  const [projectKey, repoSlug] = parts as [string, string];
  const commitsUrl = `${url.protocol}//${url.host}${context}/rest/api/latest/projects/${projectKey}/repos/${repoSlug}/commits`;
  return { commitsUrl, projectKey, repoSlug };
}
