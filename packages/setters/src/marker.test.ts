import { describe, expect, it } from 'vitest';
import { looksLikeMarker, parseMarker } from './marker.js';

// automation.md §2.1: every accepted and rejected form listed there.
describe('parseMarker: accepted forms (§2.1, fixture 22)', () => {
  it.each([
    ['# {"$imagepolicy": "ns:p"}', 'ns:p'],
    ['#{"$imagepolicy":"ns:p"}', 'ns:p'],
    ['#   {  "$imagepolicy" :  "ns:p"  }', 'ns:p'],
    ['## {"$imagepolicy": "ns:p"}', 'ns:p'],
    ['### {"$imagepolicy": "ns:p:tag"}', 'ns:p:tag'],
    ['# {"$imagepolicy": "ns:p", "owner": "x"}', 'ns:p'],
    ['# {"$ref": "#/definitions/io.k8s.cli.setters.ns:p"}', 'ns:p'],
    ['# {"$imagepolicy": "ns:p"}   ', 'ns:p'],
    ['# {"$imagepolicy": "ns:p"}\t', 'ns:p'],
    ['# {"$imagepolicy": "ns:p:digest"}', 'ns:p:digest'],
  ])('%s → %s', (comment, setter) => {
    expect(parseMarker(comment)).toEqual({ kind: 'marker', setter });
  });

  it('returns the setter verbatim, even when it will not resolve', () => {
    // `" ns:p"`, `ns/p`, `ns:p:` and `:TAG` parse as markers; they fail later, at resolution.
    expect(parseMarker('# {"$imagepolicy": " ns:p"}')).toEqual({ kind: 'marker', setter: ' ns:p' });
    expect(parseMarker('# {"$imagepolicy": "ns/p"}')).toEqual({ kind: 'marker', setter: 'ns/p' });
    expect(parseMarker('# {"$imagepolicy": "ns:p:"}')).toEqual({ kind: 'marker', setter: 'ns:p:' });
    expect(parseMarker('# {"$imagepolicy": "ns:p:TAG"}')).toEqual({ kind: 'marker', setter: 'ns:p:TAG' });
  });
});

describe('parseMarker: rejected forms (§2.1, fixture 23)', () => {
  it.each([
    ["# {'$imagepolicy': 'ns:p'}", 'single-quoted JSON'],
    ['# {"$imagepolicy": "ns:p"} # note', 'text after the closing brace'],
    ['# {"$imagepolicy": "ns:p"}x', 'text after the closing brace'],
    ['# {"$imagepolicy": "ns:p", "priority": 1}', 'a non-string value'],
    ['# {"$imagepolicy": "ns:p", "x": null}', 'a null value'],
    ['# {"$ImagePolicy": "ns:p"}', 'wrong key case'],
    ['# $imagepolicy: ns:p', 'plain text'],
    ['# note\n# {"$imagepolicy": "ns:p"}', 'a head comment of several lines'],
  ])('%s (%s) is malformed', (comment) => {
    expect(parseMarker(comment).kind).toBe('malformed');
  });

  it('ignores comments that do not mention a setter', () => {
    expect(parseMarker('# just a note')).toEqual({ kind: 'none' });
    expect(parseMarker('# {"owner": "team-a"}')).toEqual({ kind: 'none' });
    expect(parseMarker('#')).toEqual({ kind: 'none' });
    expect(parseMarker('# {"$ref": "#/definitions/io.k8s.other"}')).toEqual({ kind: 'none' });
  });

  it('flags near misses for warnings, case-insensitively', () => {
    expect(looksLikeMarker('# {"$ImagePolicy": "x"}')).toBe(true);
    expect(looksLikeMarker('# image policy')).toBe(false);
  });
});
