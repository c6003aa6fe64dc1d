/**
 * The setter marker grammar (automation.md §2.1), as kyaml's `fieldmeta.Read` applies it for Flux.
 */

/** The result of reading one comment as a marker. */
export type MarkerParse =
  | { readonly kind: 'marker'; readonly setter: string }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'none' };

const REF_PREFIX = '#/definitions/io.k8s.cli.setters.';
const NONE: MarkerParse = { kind: 'none' };

/** Whether a comment mentions a setter at all (case-insensitively), so a near miss deserves a warning. */
export function looksLikeMarker(comment: string): boolean {
  return /\$imagepolicy/i.test(comment) || comment.includes('io.k8s.cli.setters.');
}

/**
 * Reads a comment (with its leading `#`s) as a setter marker.
 *
 * - Every leading `#` is stripped; nothing else is trimmed (JSON ignores surrounding whitespace).
 * - The rest must be one JSON object whose values are all strings; its `$imagepolicy` key (exact
 *   case) names the setter.
 * - Otherwise the comment is read as an OpenAPI schema whose `$ref` is
 *   `#/definitions/io.k8s.cli.setters.<setter>` (the old kpt long form).
 * - Anything else is no marker; it is `malformed` when it mentions `$imagepolicy` in any case.
 */
export function parseMarker(comment: string): MarkerParse {
  const text = comment.replace(/^#+/, '');
  const mentions = looksLikeMarker(text);
  if (!text.includes('{')) {
    return mentions ? { kind: 'malformed', reason: 'a marker must be a JSON object' } : NONE;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return mentions
      ? {
          kind: 'malformed',
          reason: 'not one valid JSON object (double quotes, nothing after the closing brace)',
        }
      : NONE;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return mentions ? { kind: 'malformed', reason: 'a marker must be a JSON object' } : NONE;
  }
  const record = parsed as Record<string, unknown>;
  const allStrings = Object.values(record).every((v) => typeof v === 'string');
  const policy = record['$imagepolicy'];
  if (allStrings && typeof policy === 'string') return { kind: 'marker', setter: policy };
  // The schema form: any JSON object with a setter `$ref` (kyaml falls back to it).
  const ref = record['$ref'];
  if (typeof ref === 'string' && ref.startsWith(REF_PREFIX)) {
    return { kind: 'marker', setter: ref.slice(REF_PREFIX.length) };
  }
  if (!mentions) return NONE;
  if (!allStrings && policy !== undefined) {
    return { kind: 'malformed', reason: 'every value of the marker object must be a string' };
  }
  return {
    kind: 'malformed',
    reason: 'the key must be exactly "$imagepolicy" (case-sensitive)',
  };
}
