import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tidewatch/core';
import { parseAllDocuments } from 'yaml';
import { applySetters } from './apply.js';
import type { Policies } from './types.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const policies: Policies = {
  'apps:web': { image: 'ghcr.io/acme/web', tag: '1.1.0' },
  'apps:pinned': { image: 'ghcr.io/acme/pinned', tag: '2.0.0', digest: DIGEST },
  'apps:float': { image: 'r/f', tag: '1.10' },
  'apps:yes': { image: 'r/y', tag: 'yes' },
  'apps:quote': { image: 'r/q', tag: "it's" },
};
const m = (setter: string): string => `# {"$imagepolicy": "${setter}"}`;
const run = (src: string, p: Policies = policies) => applySetters(src, p, { file: 'f.yaml' });
const codes = (src: string) => run(src).warnings.map((w) => w.code);

describe('the four setters (§2.2)', () => {
  it('writes image:tag, tag, name and digest', () => {
    const src = [
      `a: old ${m('apps:web')}`,
      `b: old ${m('apps:web:tag')}`,
      `c: old ${m('apps:web:name')}`,
      `d: old ${m('apps:pinned:digest')}`,
      `e: old ${m('apps:pinned')}`,
      '',
    ].join('\n');
    expect(run(src).output).toBe(
      [
        `a: ghcr.io/acme/web:1.1.0 ${m('apps:web')}`,
        `b: 1.1.0 ${m('apps:web:tag')}`,
        `c: ghcr.io/acme/web ${m('apps:web:name')}`,
        `d: ${DIGEST} ${m('apps:pinned:digest')}`,
        `e: ghcr.io/acme/pinned:2.0.0@${DIGEST} ${m('apps:pinned')}`,
        '',
      ].join('\n'),
    );
  });

  it('writes the empty string for :digest of a digest-less policy, as Flux does, with a warning', () => {
    const r = run(`d: "sha256:old" ${m('apps:web:digest')}\n`);
    expect(r.output).toBe(`d: "" ${m('apps:web:digest')}\n`);
    expect(r.changes).toHaveLength(1);
    expect(r.warnings.map((w) => w.code)).toEqual(['digest-missing']);
  });

  it('drops an old @digest when the policy has none', () => {
    expect(run(`i: r/x:1@${DIGEST} ${m('apps:web')}\n`).output).toBe(
      `i: ghcr.io/acme/web:1.1.0 ${m('apps:web')}\n`,
    );
  });

  it('replaces the entire scalar, never a part of it (fixture 24)', () => {
    expect(run(`image: repo:1.0 ${m('apps:web:tag')}\n`).output).toBe(`image: 1.1.0 ${m('apps:web:tag')}\n`);
  });

  it('accepts a resolver function and a Map', () => {
    const fn = (name: string) => (name === 'apps:web' ? { image: 'x/y', tag: '9' } : undefined);
    expect(applySetters(`a: 1 ${m('apps:web:name')}\n`, fn).output).toBe(`a: x/y ${m('apps:web:name')}\n`);
    const map = new Map([['apps:web', { image: 'x/y', tag: '9.0.1' }]]);
    expect(applySetters(`a: 1 ${m('apps:web:tag')}\n`, map).output).toBe(`a: 9.0.1 ${m('apps:web:tag')}\n`);
  });
});

describe('change records (§2.4)', () => {
  it('records file, line, column, setter as written, old and new value, and the object', () => {
    const src = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  namespace: apps',
      'spec:',
      `  image: ghcr.io/acme/web:1.0.0 ${m('apps:web')}`,
      '---',
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'images:',
      `  - newTag: 1.0.0 ${m('apps:web:tag')}`,
      '',
    ].join('\n');
    expect(run(src).changes).toEqual([
      {
        file: 'f.yaml',
        line: 7,
        column: 10,
        setter: 'apps:web',
        oldValue: 'ghcr.io/acme/web:1.0.0',
        newValue: 'ghcr.io/acme/web:1.1.0',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' },
      },
      {
        file: 'f.yaml',
        line: 12,
        column: 13,
        setter: 'apps:web:tag',
        oldValue: '1.0.0',
        newValue: '1.1.0',
        object: {
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          name: '',
          namespace: '',
        },
      },
    ]);
  });

  it('records nothing and returns the input when the value is already equal (fixture 20)', () => {
    const src = `a:   ghcr.io/acme/web:1.1.0   ${m('apps:web')}\n`;
    const r = run(src);
    expect(r.output).toBe(src);
    expect(r.changes).toEqual([]);
  });

  it('gives items of a List their own identity (updated in place, not written elsewhere)', () => {
    const src = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: v1',
      '    kind: Pod',
      '    metadata: {name: web, namespace: apps}',
      `    image: x ${m('apps:web')}`,
      '',
    ].join('\n');
    const r = run(src);
    expect(r.changes[0]!.object).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'apps' });
    expect(r.output).toContain(`    image: ghcr.io/acme/web:1.1.0 ${m('apps:web')}`);
  });
});

describe('which comment belongs to which value (§2.3)', () => {
  it('honours the line comment of a map value and of a sequence item', () => {
    expect(run(`l:\n- x ${m('apps:web:tag')}\n- y\n`).output).toBe(`l:\n- 1.1.0 ${m('apps:web:tag')}\n- y\n`);
    expect(run(`k: x ${m('apps:web:tag')}\n`).output).toBe(`k: 1.1.0 ${m('apps:web:tag')}\n`);
  });

  it('honours a single-line comment directly above a scalar sequence item, first item included', () => {
    const src = `args:\n  # ${m('apps:web:tag').slice(2)}\n  - a\n  - b\n  ${m('apps:web:name')}\n  - c\n`;
    expect(run(src).output).toBe(
      `args:\n  ${m('apps:web:tag')}\n  - 1.1.0\n  - b\n  ${m('apps:web:name')}\n  - ghcr.io/acme/web\n`,
    );
  });

  it('lets a non-marker line comment hide the marker above (and says so)', () => {
    const src = `l:\n  ${m('apps:web:tag')}\n  - img:1 # note\n`;
    const r = run(src);
    expect(r.output).toBe(src);
    expect(r.warnings.map((w) => [w.code, w.line])).toEqual([['marker-hidden', 2]]);
  });

  it('ignores a marker above `key: value` (it belongs to the key)', () => {
    const src = `${m('apps:web:tag')}\nkey: v\n`;
    expect(run(src).output).toBe(src);
    expect(codes(src)).toEqual(['marker-on-key']);
  });

  it('honours a comment between key and value (head comment of the value)', () => {
    expect(run(`key:\n  ${m('apps:web:tag')}\n  v\n`).output).toBe(`key:\n  ${m('apps:web:tag')}\n  1.1.0\n`);
  });

  it('honours a marker at the end of a `key:` line whose value is on the next line (Flux: only on a 2nd run)', () => {
    const src = `key: ${m('apps:web:tag')}\n  v\nother: 1\n`;
    expect(run(src).output).toBe(`key: ${m('apps:web:tag')}\n  1.1.0\nother: 1\n`);
  });

  it('visits values, never keys: `repo:1.0: something # m` sets `something`', () => {
    expect(run(`repo:1.0: something ${m('apps:web:tag')}\n`).output).toBe(
      `repo:1.0: 1.1.0 ${m('apps:web:tag')}\n`,
    );
  });

  it('ignores a marker after a one-line flow mapping, honours one inside a multi-line flow mapping', () => {
    const one = `c: {image: x} ${m('apps:web')}\n`;
    expect(run(one).output).toBe(one);
    expect(codes(one)).toEqual(['marker-on-collection']);
    const multi = `c: {image: x, ${m('apps:web')}\n  tag: y}\n`;
    expect(run(multi).output).toBe(`c: {image: ghcr.io/acme/web:1.1.0, ${m('apps:web')}\n  tag: y}\n`);
  });

  it('ignores an alias but updates the anchored value (every alias follows)', () => {
    const src = `a: &v old ${m('apps:web:tag')}\nb: *v ${m('apps:web:tag')}\n`;
    const r = run(src);
    expect(r.output).toBe(`a: &v 1.1.0 ${m('apps:web:tag')}\nb: *v ${m('apps:web:tag')}\n`);
    expect(r.warnings.map((w) => w.code)).toEqual(['marker-on-alias']);
    expect(parseAllDocuments(r.output)[0]!.toJS()).toEqual({ a: '1.1.0', b: '1.1.0' });
  });

  it('honours every duplicate key (Flux sets only the first)', () => {
    const src = `k: a ${m('apps:web:tag')}\nk: b ${m('apps:web:name')}\n`;
    expect(run(src).output).toBe(
      `k: 1.1.0 ${m('apps:web:tag')}\nk: ghcr.io/acme/web ${m('apps:web:name')}\n`,
    );
  });

  it('warns about a marker on a key with a collection value, or with no value', () => {
    expect(codes(`spec: ${m('apps:web')}\n  a: 1\n`)).toEqual(['marker-on-collection']);
    expect(codes(`spec: ${m('apps:web')}\nnext: 1\n`)).toEqual(['marker-without-value']);
  });

  it('warns about marker text inside a block scalar and about stray markers', () => {
    expect(codes(`data: |\n  image: x ${m('apps:web')}\n`)).toEqual(['marker-in-scalar']);
    expect(codes(`a: 1\n\n${m('apps:web')}\n`)).toEqual(['marker-not-attached']);
    expect(codes(`l:\n  ${m('apps:web:tag')}\n\n  - x\n`)).toEqual(['marker-not-attached']);
  });

  it('does not read a comment of several lines above an item as a marker', () => {
    const src = `l:\n  # note\n  ${m('apps:web:tag')}\n  - x\n`;
    expect(run(src).output).toBe(src);
    expect(codes(src)).toEqual(['malformed-marker']);
  });
});

describe('marker warnings (spec README rule 2.3)', () => {
  it('reports unknown policies, namespace-less markers, bad suffixes and malformed JSON with their line', () => {
    const src = [
      `a: x ${m('apps:nope')}`,
      `b: x ${m('web')}`,
      `c: x ${m('apps:web:TAG')}`,
      `d: x ${m('apps:web:version')}`,
      `e: x # {'$imagepolicy': 'apps:web'}`,
      `f: x ${m('apps:web')} # trailing`,
      '',
    ].join('\n');
    const r = run(src);
    expect(r.output).toBe(src);
    expect(r.warnings.map((w) => [w.code, w.line, w.column])).toEqual([
      ['unknown-policy', 1, 6],
      ['unknown-policy', 2, 6],
      ['unknown-suffix', 3, 6],
      ['unknown-suffix', 4, 6],
      ['malformed-marker', 5, 6],
      ['malformed-marker', 6, 6],
    ]);
    expect(r.warnings[0]!.message).toBe(
      '[setters:apply] f.yaml:1:6: setter "apps:nope" cannot apply: no policy "apps:nope" with a latest image',
    );
    expect(r.warnings[0]!.setter).toBe('apps:nope');
  });

  it('never parses text without the exact "$imagepolicy" token (the $ref-only form included)', () => {
    const src = `a: x # {"$ref": "#/definitions/io.k8s.cli.setters.apps:web"}\n`;
    expect(run(src)).toEqual({ output: src, changes: [], warnings: [] });
    const both = `${src}b: y ${m('apps:web:tag')}\n`;
    expect(run(both).output).toBe(
      `a: ghcr.io/acme/web:1.1.0 # {"$ref": "#/definitions/io.k8s.cli.setters.apps:web"}\nb: 1.1.0 ${m('apps:web:tag')}\n`,
    );
  });
});

describe('quoting (spec README rule 2.1)', () => {
  it('keeps double and single quotes', () => {
    expect(run(`a: "1.0" ${m('apps:web:tag')}\n`).output).toBe(`a: "1.1.0" ${m('apps:web:tag')}\n`);
    expect(run(`a: '1.0' ${m('apps:web:tag')}\n`).output).toBe(`a: '1.1.0' ${m('apps:web:tag')}\n`);
    expect(run(`a: 'x' ${m('apps:quote:tag')}\n`).output).toBe(`a: 'it''s' ${m('apps:quote:tag')}\n`);
  });

  it('double-quotes a plain value that would not read back as the same string (no !!tag)', () => {
    expect(run(`a: 1.0 ${m('apps:float:tag')}\n`).output).toBe(`a: "1.10" ${m('apps:float:tag')}\n`);
    expect(run(`a: v1 ${m('apps:yes:tag')}\n`).output).toBe(`a: "yes" ${m('apps:yes:tag')}\n`);
    expect(run(`a: 1.0 ${m('apps:web:tag')}\n`).output).toBe(`a: 1.1.0 ${m('apps:web:tag')}\n`);
  });

  it.each([
    'true',
    'null',
    '~',
    '1e3',
    '0x1F',
    '017',
    '1_000',
    '2024-01-15',
    'a: b',
    'a #b',
    '*x',
    '-',
    '@x',
  ])('double-quotes %j', (tag) => {
    const r = applySetters(`a: v ${m('apps:x:tag')}\n`, {
      'apps:x': { image: 'r/x', tag: tag.replace(/ /g, '') },
    });
    const value = tag.replace(/ /g, '');
    const out = r.output;
    expect(parseAllDocuments(out)[0]!.toJS()).toEqual({ a: value });
    if (/^(true|null|~|1e3|0x1F|017|1_000|2024-01-15|\*x|-|@x)$/.test(value)) {
      expect(out).toBe(`a: ${JSON.stringify(value)} ${m('apps:x:tag')}\n`);
    }
  });

  it('quotes flow indicators inside flow collections only', () => {
    const p = { 'apps:x': { image: 'r/x', tag: 'a,b' } };
    expect(applySetters(`a: [v ${m('apps:x:tag')}\n  ]\n`, p).output).toBe(
      `a: ["a,b" ${m('apps:x:tag')}\n  ]\n`,
    );
    expect(applySetters(`a: v ${m('apps:x:tag')}\n`, p).output).toBe(`a: a,b ${m('apps:x:tag')}\n`);
  });
});

describe('block scalars (spec README rule 2.2)', () => {
  it('keeps the style and header, with - chomping, and records the old value with its newline', () => {
    const r = run(`a: | ${m('apps:web:tag')}\n  1.0\nb: >+ ${m('apps:web:tag')}\n  1.0\n\nc: 1\n`);
    expect(r.output).toBe(
      `a: |- ${m('apps:web:tag')}\n  1.1.0\nb: >- ${m('apps:web:tag')}\n  1.1.0\n\nc: 1\n`,
    );
    expect(r.changes.map((c) => c.oldValue)).toEqual(['1.0\n', '1.0\n\n']);
    expect(parseAllDocuments(r.output)[0]!.toJS()).toEqual({ a: '1.1.0', b: '1.1.0', c: 1 });
    expect(run(r.output).changes).toEqual([]);
  });

  it('keeps an explicit indentation indicator and CRLF line ends', () => {
    const r = run(`x:\n  a: |2 ${m('apps:web:tag')}\r\n    1.0\r\n  b: 1\r\n`);
    expect(r.output).toBe(`x:\n  a: |2- ${m('apps:web:tag')}\r\n    1.1.0\r\n  b: 1\r\n`);
  });
});

describe('bytes outside the changed scalars (spec README rule 2)', () => {
  it('keeps CRLF, BOM, ---, ..., comments, blank lines, indentation and trailing spaces', () => {
    const src =
      '\uFEFF# head\r\n---   # sep\r\napiVersion: v1  \r\n\r\nspec:\r\n    containers:\r\n    -   name: a\r\n' +
      `        image: "x:1"    ${m('apps:web')}  \r\n...\r\n--- \r\n# only a comment\r\n`;
    const r = run(src);
    expect(r.output).toBe(src.replace('"x:1"', '"ghcr.io/acme/web:1.1.0"'));
  });

  it('is idempotent', () => {
    const src = `a: 1.0 ${m('apps:float:tag')}\nb: | ${m('apps:web')}\n  x\nc:\n  ${m('apps:pinned')}\n  old\n`;
    const once = run(src).output;
    expect(run(once)).toEqual({ output: once, changes: [], warnings: [] });
  });
});

describe('bad input', () => {
  it('skips invalid YAML with a warning and leaves it unchanged', () => {
    const src = `a: [1, 2\nb: x ${m('apps:web')}\n`;
    const r = run(src);
    expect(r.output).toBe(src);
    expect(r.warnings.map((w) => w.code)).toEqual(['unparsable-file']);
  });

  it('reports nothing for invalid YAML whose markers are all current (composing only when it matters)', () => {
    const src = `a: [1, 2\nb: ghcr.io/acme/web:1.1.0 ${m('apps:web')}\n`;
    expect(run(src)).toEqual({ output: src, changes: [], warnings: [] });
  });

  it('skips files Flux cannot annotate: a sequence or scalar root, content on a --- line', () => {
    for (const src of [
      `- a ${m('apps:web')}\n`,
      `a: 1\n---\n- b ${m('apps:web')}\n`,
      `--- {a: x} ${m('apps:web')}\n`,
      `---\njust text ${m('apps:web')}\n`,
    ]) {
      const r = run(src);
      expect(r.output).toBe(src);
      expect(r.warnings.map((w) => w.code)).toEqual(['unsupported-document']);
    }
  });

  it('rejects a source that is not a string together with the policy problems', () => {
    const err = (() => {
      try {
        applySetters(42 as unknown as string, { x: { image: 'r', tag: '1' } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual(['source', 'policies["x"]']);
  });

  it('rejects invalid policies with every problem listed', () => {
    const bad = { web: { image: '', tag: 'a b' }, 'apps:x': { image: 'r', tag: '1', digest: 'nope' } };
    try {
      applySetters('a: 1', bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.path)).toEqual([
        'policies["web"]',
        'policies["web"].image',
        'policies["web"].tag',
        'policies["apps:x"].digest',
      ]);
    }
  });
});

describe('the "every marker is already current" shortcut', () => {
  it('skips parsing only when nothing can change', () => {
    const current = `a: ghcr.io/acme/web:1.1.0 ${m('apps:web')}\nb:\n  - "1.1.0" ${m('apps:web:tag')}\n`;
    expect(run(current)).toEqual({ output: current, changes: [], warnings: [] });
    // Lines it does not understand go to the full pass, which still changes what must change.
    for (const src of [
      `a: |\n  x\nb: ${m('apps:web:tag')}\n  1.0\n`,
      `l:\n  ${m('apps:web:tag')}\n  - 1.0\n`,
      `a: foo\n  1.1.0 ${m('apps:web:tag')}\n`,
      `a: &x 1.0 ${m('apps:web:tag')}\n`,
    ]) {
      expect(run(src).output).not.toBe(src);
    }
  });
});

describe('multi-document files: every document that may hold a marker is analysed', () => {
  // Documents without a `$`, a backslash or `io.k8s.cli.setters.` are not analysed (nothing in them
  // can be a marker); these are the forms a marker can take in a later document.
  const first = `a: 1 ${m('apps:web:tag')}\n---\n`;
  it('reads JSON-escaped keys (no `$` in the document) and warns about `io.k8s.cli.setters.` text', () => {
    const src = `${first}b: old # {"\\u0024imagepolicy": "apps:web:tag"}\n---\nc: old # {"\\u0024ref": "#/definitions/io.k8s.cli.setters.apps:web:name"}\n---\nd: old # io.k8s.cli.setters.x\n`;
    const r = run(src);
    expect(r.changes.map((c) => [c.line, c.newValue])).toEqual([
      [1, '1.1.0'],
      [3, '1.1.0'],
      [5, 'ghcr.io/acme/web'],
    ]);
    expect(r.warnings.map((w) => [w.line, w.code])).toEqual([[7, 'malformed-marker']]);
  });
  it('warns about near misses and marker text in scalars after the first document', () => {
    const src = `${first}c: |\n  ${m('apps:web')}\n---\nd: 1 # {"$ImagePolicy": "apps:web"}\n`;
    expect(codes(src)).toEqual(['marker-in-scalar', 'malformed-marker']);
  });
});
