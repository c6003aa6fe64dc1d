/**
 * Where credentials may go. A token realm, a redirect or a pagination link is chosen by the
 * remote side, so each is checked before anything is sent there.
 *
 * @packageDocumentation
 */
import { BlockList, isIP } from 'node:net';

const PRIVATE = new BlockList();
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, cloud metadata
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addAddress('::', 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

/** Strips IPv6 brackets from a URL hostname. */
function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Whether a URL hostname is a loopback, private (RFC 1918/4193), link-local or unspecified IP
 * literal, or `localhost`. Names are not resolved.
 */
export function isPrivateHost(hostname: string): boolean {
  const h = bare(hostname.toLowerCase());
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const kind = isIP(h);
  if (kind === 4) return PRIVATE.check(h, 'ipv4');
  if (kind === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
    return PRIVATE.check(h, 'ipv6');
  }
  return false;
}

/**
 * Whether go-containerregistry would talk plain HTTP to this registry host by default:
 * `localhost`, `*.localhost`, `*.local`, anything containing `127.0.0.1` or `::1`, and RFC 1918
 * addresses.
 */
export function allowsHttpByDefault(registry: string): boolean {
  const r = registry.toLowerCase();
  if (r === 'localhost' || r.startsWith('localhost:')) return true;
  if (/.*\.local(?:host)?(?::\d{1,5})?$/.test(r)) return true;
  if (r.includes('127.0.0.1') || r.includes('::1')) return true;
  const host = r.replace(/:\d+$/, '');
  if (isIP(host) === 4) {
    const rfc1918 = new BlockList();
    rfc1918.addSubnet('10.0.0.0', 8, 'ipv4');
    rfc1918.addSubnet('172.16.0.0', 12, 'ipv4');
    rfc1918.addSubnet('192.168.0.0', 16, 'ipv4');
    return rfc1918.check(host, 'ipv4');
  }
  return false;
}

/** Why a URL may not receive anything, or `undefined` when it may. */
export function realmProblem(
  realm: URL,
  registry: URL,
  options: { readonly insecure: boolean },
): string | undefined {
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:')
    return `scheme ${realm.protocol} is not allowed`;
  if (realm.username || realm.password) return 'it carries userinfo';
  // Plain HTTP only when the user said the registry is insecure, or the registry itself is reached over HTTP.
  if (realm.protocol === 'http:' && !options.insecure && registry.protocol !== 'http:') {
    return 'it is plain http and the registry is not marked insecure';
  }
  if (isPrivateHost(realm.hostname) && bare(realm.hostname) !== bare(registry.hostname)) {
    return 'it is a loopback or private address the registry is not on';
  }
  return undefined;
}

/** Whether two URLs share scheme, host and port. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}
