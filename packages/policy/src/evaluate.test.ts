import type { ImagePolicySpec as CoreImagePolicySpec } from '@tidewatch/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.js';
import { evaluatePolicy, selectTag, type ImagePolicySpec } from './evaluate.js';

const semver = (range: string, filterTags?: ImagePolicySpec['filterTags']): ImagePolicySpec => ({
  policy: { semver: { range } },
  ...(filterTags ? { filterTags } : {}),
});
const alpha = (order?: string, filterTags?: ImagePolicySpec['filterTags']): ImagePolicySpec => ({
  policy: { alphabetical: order === undefined ? {} : { order } },
  ...(filterTags ? { filterTags } : {}),
});
const num = (order?: string, filterTags?: ImagePolicySpec['filterTags']): ImagePolicySpec => ({
  policy: { numerical: order === undefined ? {} : { order } },
  ...(filterTags ? { filterTags } : {}),
});

/** Runs both entry points and checks they agree. */
function pick(tags: string[], spec: ImagePolicySpec): string | undefined {
  const fast = selectTag(tags, spec);
  expect(evaluatePolicy(tags, spec).tag).toBe(fast);
  return fast;
}

function policyError(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('semver policy (§2)', () => {
  it('picks the highest version in range and returns the original tag text', () => {
    expect(pick(['1.0.0', 'v1.3.0', '1.2.0', '2.0.0', 'latest'], semver('>=1.0.0 <2.0.0'))).toBe('v1.3.0');
    expect(pick(['2023.09.01', '2023.10.01', '2023.9.15'], semver('>=2023.0.0'))).toBe('2023.10.01');
  });

  it('skips tags that are not versions for Flux (two dots anywhere)', () => {
    expect(pick(['1.9', 'v2', '1.0.0'], semver('*'))).toBe('1.0.0');
    expect(pick(['1.0-rc.1', '0.9.0'], semver('*-0'))).toBe('1.0-rc.1');
  });

  it('breaks ties between equal versions by the greatest string (§1)', () => {
    expect(pick(['1.0.0', 'v1.0.0', '1.0.0+b', '01.0.0'], semver('1.0.0'))).toBe('v1.0.0');
    expect(pick(['1.0.0', '1.0.0+b', '01.0.0'], semver('1.0.0'))).toBe('1.0.0+b');
    expect(pick(['01.0.0', '1.0.0'], semver('1.0.0'))).toBe('1.0.0');
  });

  it('does not admit prereleases unless the group has one (§2.5)', () => {
    expect(pick(['1.0.0', '2.0.0-rc.1'], semver('>=1.0.0'))).toBe('1.0.0');
    expect(pick(['1.0.0', '2.0.0-rc.1'], semver('>=1.0.0-0'))).toBe('2.0.0-rc.1');
    expect(pick(['1.5.0-rc.1', '1.4.0', '3.1.0-rc.1'], semver('>=1.0.0 <2.0.0 || >=3.0.0-0'))).toBe(
      '3.1.0-rc.1',
    );
  });

  it('returns undefined when nothing is eligible, with Flux’s reasons', () => {
    expect(pick(['latest', '1.0.0'], semver('>=2.0.0'))).toBeUndefined();
    expect(evaluatePolicy(['latest', '1.0.0'], semver('>=2.0.0')).noResult).toBe(
      'unable to determine latest version from provided list',
    );
    expect(pick([], semver('*'))).toBeUndefined();
    expect(evaluatePolicy([], semver('*')).noResult).toBe('version list argument cannot be empty');
    expect(evaluatePolicy(['a'], semver('*', { pattern: '^b' })).noResult).toBe(
      'version list argument cannot be empty',
    );
  });

  it('orders uint64 parts exactly', () => {
    expect(pick(['9007199254740993.0.0', '9007199254740992.0.0'], semver('*'))).toBe('9007199254740993.0.0');
  });

  it('throws POLICY_INVALID before looking at tags', () => {
    const tags: Iterable<string> = {
      [Symbol.iterator]: () => {
        throw new Error('tags must not be read');
      },
    };
    const err = policyError(() => selectTag(tags, semver('foo')));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.fluxMessage).toBe('invalid policy: improper constraint: "foo"');
  });
});

describe('alphabetical policy (§3)', () => {
  const tags = ['9', '10', 'Zebra', 'apple', 'a-1', 'a.1', 'a1', 'aZ', 'a_', 'az'];
  it('asc (default) picks the greatest by UTF-8 bytes; desc the smallest', () => {
    expect(pick(tags, alpha())).toBe('az');
    expect(pick(tags, alpha('asc'))).toBe('az');
    expect(pick(tags, alpha('ASC'))).toBe('az');
    expect(pick(tags, alpha('desc'))).toBe('10');
    expect(pick(tags, alpha('Desc'))).toBe('10');
    expect(pick(['9', '10'], alpha())).toBe('9');
    expect(pick(['Zebra', 'apple'], alpha('desc'))).toBe('Zebra');
  });

  it('compares code points, not UTF-16 units (astral > U+FFFF region)', () => {
    expect(pick(['\uffff', '😀'], alpha())).toBe('😀');
    expect(pick(['\uffff', '😀'], alpha('desc'))).toBe('\uffff');
    expect(pick(['\ue000x', '𝟘'], alpha())).toBe('𝟘');
  });

  it('rejects an unknown order, echoing it upper-cased', () => {
    const err = policyError(() => selectTag(['a'], alpha('sideways')));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.fluxMessage).toBe(
      "invalid policy: invalid order argument provided: 'SIDEWAYS', must be one of: ASC, DESC",
    );
  });
});

describe('numerical policy (§4)', () => {
  it('asc picks the maximum, desc the minimum', () => {
    expect(pick(['1', '10', '9', '-3', '2.5'], num())).toBe('10');
    expect(pick(['1', '10', '9', '-3', '2.5'], num('desc'))).toBe('-3');
    expect(pick(['1e3', '999', '0x1p10'], num('asc'))).toBe('0x1p10');
  });

  it('lets the later of equal values win: the smallest string (§1)', () => {
    expect(pick(['1', '1.0', '01'], num())).toBe('01');
    expect(pick(['1', '1.0', '01'], num('desc'))).toBe('01');
    expect(pick(['9007199254740993', '9007199254740992'], num())).toBe('9007199254740992');
    expect(pick(['99999999999999999999', '1e20'], num())).toBe('1e20');
  });

  it('lets NaN replace the running value, then be replaced by the next candidate', () => {
    // Sorted descending: nan, 5, 3 → nan seeds, 5 replaces NaN, 3 < 5 is skipped.
    expect(pick(['3', '5', 'nan'], num())).toBe('5');
    // Sorted descending: inf, NaN → NaN replaces even +Inf.
    expect(pick(['NaN', 'inf'], num())).toBe('NaN');
    expect(pick(['NaN', 'inf'], num('desc'))).toBe('NaN');
    // Sorted descending: inf, NaN, 5 → 5 replaces NaN.
    expect(pick(['5', 'NaN', 'inf'], num())).toBe('5');
  });

  it('fails the whole evaluation on one non-numeric tag, naming the first in descending order', () => {
    const err = policyError(() => selectTag(['1', 'latest', 'beta', '2'], num()));
    expect(err.code).toBe('POLICY_EVALUATION');
    expect(err.reason).toBe('Failure');
    expect(err.fluxMessage).toBe("failed to parse invalid numeric value 'latest'");
    expect(err.message).toBe("[policy:numerical] failed to parse invalid numeric value 'latest'");
    expect(policyError(() => evaluatePolicy(['1e400'], num())).fluxMessage).toBe(
      "failed to parse invalid numeric value '1e400'",
    );
  });

  it('works with filterTags to drop non-numeric tags', () => {
    expect(pick(['1', 'latest', '2'], num('asc', { pattern: '^\\d+$' }))).toBe('2');
  });
});

describe('filterTags (§5)', () => {
  const tags = ['main-abc123-100', 'main-def456-99', 'dev-aaa-200', 'main-ffff-1000', 'x-main-1-5'];

  it('matches unanchored; ^…$ anchors', () => {
    expect(pick(tags, num('asc', { pattern: 'main-[a-f0-9]+-(?P<ts>\\d+)', extract: '$ts' }))).toBe(
      'main-ffff-1000',
    );
    expect(pick(['x-main-1-5', 'main-a-1'], alpha('asc', { pattern: 'main-' }))).toBe('x-main-1-5');
    expect(pick(['x-main-1-5', 'main-a-1'], alpha('asc', { pattern: '^main-' }))).toBe('main-a-1');
  });

  it('uses only the expanded template as the candidate, then maps back to the tag', () => {
    const spec = num('asc', { pattern: '^main-[a-f0-9]+-(?P<ts>\\d+)$', extract: '$ts' });
    const r = evaluatePolicy(tags, spec);
    expect(r.tag).toBe('main-ffff-1000');
    expect(r.candidate).toBe('1000');
  });

  it.each([
    ['$1.$2.$3', 'v1-2-3', '1.2.3'],
    ['${maj}.${min}.${pat}', 'v1-2-3', '1.2.3'],
    ['$maj.$min.$pat', 'v1-2-3', '1.2.3'],
    ['$0', 'v1-2-3', 'v1-2-3'],
    ['$maj$$', 'v1-2-3', '1$'],
    ['$1x', 'v1-2-3', ''], // `1x` is a name: unknown → empty
  ])('extract %j from %s → candidate %j', (extract, tag, candidate) => {
    const spec = alpha('asc', { pattern: '^v(?P<maj>\\d+)-(?P<min>\\d+)-(?P<pat>\\d+)$', extract });
    expect(evaluatePolicy([tag], spec).candidate).toBe(candidate);
  });

  it('supports Go-only syntax: (?i), (?P<n>), [[:digit:]], \\pL', () => {
    expect(pick(['RC-1', 'rc-2', 'x'], alpha('asc', { pattern: '(?i)^rc-[[:digit:]]$' }))).toBe('rc-2');
    expect(pick(['é1', 'e2'], alpha('asc', { pattern: '^\\pL\\d$' }))).toBe('é1');
  });

  it('an empty pattern keeps every tag', () => {
    expect(pick(['b', 'a'], alpha('asc', { pattern: '' }))).toBe('b');
    expect(pick(['b', 'a'], alpha('asc', {}))).toBe('b');
  });

  it('on extraction collisions keeps the smallest original (Flux’s last write)', () => {
    const spec = semver('*', { pattern: '^(?:v|release-)?(?P<v>\\d+\\.\\d+\\.\\d+)$', extract: '$v' });
    expect(pick(['v1.0.0', '1.0.0', 'release-1.0.0'], spec)).toBe('1.0.0');
    const r = evaluatePolicy(['v1.0.0', '1.0.0', 'release-1.0.0'], spec);
    const collided = r.trace.filter((v) => v.outcome === 'extraction-collision').map((v) => v.tag);
    expect(collided.sort()).toEqual(['release-1.0.0', 'v1.0.0']);
  });

  it('breaks ties between different candidates by the sorted tag order (determinism rule)', () => {
    // Candidates `1.0.0` (from a-1.0.0) and `v1.0.0` (from b-v1.0.0) are equal versions; Flux's
    // choice is random (map order). tidewatch: the candidate whose tag comes first in descending
    // byte order, here b-v1.0.0.
    const spec = semver('*', { pattern: '^[ab]-(?P<v>.*)$', extract: '$v' });
    expect(pick(['a-1.0.0', 'b-v1.0.0'], spec)).toBe('b-v1.0.0');
    expect(pick(['b-1.0.0', 'a-v1.0.0'], spec)).toBe('b-1.0.0');
  });

  it('with filterTags, lets the first of equal numerical values in sorted order win (determinism rule)', () => {
    // Candidates `1` (from b-1) and `01` (from a-01) are equal numbers; Flux's choice is random (map
    // order). Spec README rule 1: the candidate whose tag comes first in descending byte order wins.
    const f = { pattern: '^[ab]-(?P<n>\\d+)$', extract: '$n' };
    expect(pick(['a-01', 'b-1'], num('asc', f))).toBe('b-1');
    expect(pick(['a-1', 'b-01'], num('asc', f))).toBe('b-01');
    expect(pick(['a-1', 'b-01', 'a-0'], num('desc', f))).toBe('a-0');
    expect(evaluatePolicy(['b-1', 'a-01'], num('asc', f)).tag).toBe('b-1');
  });

  it('lets an empty candidate be chosen by alphabetical desc, and fail numerical', () => {
    const f = { pattern: '^x(?P<n>\\d*)$', extract: '$n' };
    expect(pick(['x', 'x5'], alpha('desc', f))).toBe('x');
    expect(policyError(() => selectTag(['x', 'x5'], num('asc', f))).fluxMessage).toBe(
      "failed to parse invalid numeric value ''",
    );
  });

  it('rejects an invalid pattern with Flux’s text', () => {
    const err = policyError(() => selectTag(['a'], alpha('asc', { pattern: '(a' })));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.fluxMessage).toBe(
      "failed to filter tags: invalid regular expression pattern '(a': error parsing regexp: missing closing ): `(a`",
    );
    expect(policyError(() => selectTag(['a'], alpha('asc', { pattern: '(a)\\1' }))).fluxMessage).toBe(
      "failed to filter tags: invalid regular expression pattern '(a)\\1': error parsing regexp: invalid escape sequence: `\\1`",
    );
    expect(policyError(() => selectTag(['a'], alpha('asc', { pattern: 'a(?=b)' }))).fluxMessage).toBe(
      "failed to filter tags: invalid regular expression pattern 'a(?=b)': error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    );
  });
});

describe('spec validation', () => {
  it('accepts the core Flux model’s ImagePolicy spec as it is', () => {
    const core: CoreImagePolicySpec = {
      imageRepositoryRef: { name: 'app' },
      policy: { alphabetical: { order: 'desc' } },
      filterTags: { pattern: '^r-', extract: '' },
      digestReflectionPolicy: 'Never',
      suspend: false,
    };
    const spec: ImagePolicySpec = core; // compile-time check: structurally assignable
    expect(selectTag(['r-b', 'r-a', 'x'], spec)).toBe('r-a');
  });

  it('rejects a spec without a policy', () => {
    const err = policyError(() => selectTag(['a'], { policy: {} }));
    expect(err.fluxMessage).toBe('invalid policy: given ImagePolicyChoice object is invalid');
  });

  it('rejects two policies at once (Flux would silently take the first)', () => {
    const err = policyError(() => selectTag(['a'], { policy: { semver: { range: '*' }, numerical: {} } }));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.fluxMessage).toContain('semver, numerical');
  });

  it('reports every problem at once, the one Flux would report first', () => {
    const err = policyError(() =>
      selectTag(['a'], { policy: { semver: { range: 'foo' } }, filterTags: { pattern: '(' } }),
    );
    expect(err.fluxMessage).toBe('invalid policy: improper constraint: "foo"');
    expect(err.problems).toHaveLength(2);
    expect(err.problems[1]).toMatch(/^failed to filter tags: /);
  });

  it('rejects wrong types from untyped input', () => {
    const bad = { policy: { semver: { range: 5 } } } as unknown as ImagePolicySpec;
    expect(policyError(() => selectTag([], bad)).fluxMessage).toBe(
      'invalid policy: spec.policy.semver.range must be a string',
    );
  });
});

describe('explain trace', () => {
  it('gives a verdict for every tag', () => {
    const r = evaluatePolicy(['1.0.0', 'v1.2.0', '1.3.0-rc.1', '3.0.0', 'latest', 'foo.sig', 'v1.1'], {
      policy: { semver: { range: '>=1.0.0 <2.0.0' } },
      filterTags: { pattern: '^[^.]*(\\.[^.]*)*$' },
    });
    const byTag = Object.fromEntries(r.trace.map((v) => [v.tag, v]));
    expect(r.tag).toBe('v1.2.0');
    expect(byTag['v1.2.0']!.outcome).toBe('selected');
    expect(byTag['1.0.0']!.outcome).toBe('lost');
    expect(byTag['1.0.0']!.lostTo).toBe('v1.2.0');
    expect(byTag['1.3.0-rc.1']!.outcome).toBe('prerelease-not-admitted');
    expect(byTag['3.0.0']!.outcome).toBe('excluded-by-constraint');
    expect(byTag['latest']!.outcome).toBe('not-a-version');
    expect(byTag['v1.1']!.outcome).toBe('not-a-version');
    expect(r.trace.map((v) => v.tag)).toEqual([
      'v1.2.0',
      'v1.1',
      'latest',
      'foo.sig',
      '3.0.0',
      '1.3.0-rc.1',
      '1.0.0',
    ]);
  });

  it('marks tags the pattern filtered out', () => {
    const r = evaluatePolicy(['a1', 'b2'], alpha('asc', { pattern: '^a' }));
    expect(r.trace.find((v) => v.tag === 'b2')!.outcome).toBe('filtered-out');
    expect(r.trace.find((v) => v.tag === 'a1')!.outcome).toBe('selected');
  });
});

describe('determinism (spec README rule 1)', () => {
  const tagArb = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('', 'v', '0'),
        fc.nat(3),
        fc.nat(3),
        fc.nat(3),
        fc.constantFrom('', '-rc.1', '-rc.2', '-alpha', '+b1', '+b2'),
      )
      .map(([p, a, b, c, s]) => `${p}${a}.${b}.${c}${s}`),
    fc.constantFrom(
      'latest',
      '1',
      '1.0',
      '01',
      '1e0',
      'nan',
      'main-1',
      'main-01',
      'release-1.0.0',
      'x-v1.0.0',
    ),
    fc.nat(20).map(String),
  );
  const specs: ImagePolicySpec[] = [
    semver('*'),
    semver('>=1.0.0-0'),
    semver('^1.x || ~2.1'),
    semver('*', { pattern: '^(?:release-|x-)?(?P<v>.*)$', extract: '$v' }),
    semver('>=0.0.0-0', { pattern: '^v?(?P<a>\\d+)\\.(?P<b>\\d+)', extract: '$a.$b.0' }),
    alpha(),
    alpha('desc'),
    alpha('asc', { pattern: '^(?:main-)?(?P<n>.*)$', extract: '$n' }),
    num('asc', { pattern: '^\\d+$' }),
    num('desc', { pattern: '^(?:main-)?(?P<n>\\d+)$', extract: '$n' }),
    num('asc', { pattern: '^(?:\\d+|nan|1e0)$' }),
  ];

  it('gives the same answer for any order of the same tags, on both paths', () => {
    fc.assert(
      fc.property(
        fc.array(tagArb, { maxLength: 25 }),
        fc.integer({ min: 0, max: specs.length - 1 }),
        fc.func(fc.integer()),
        (tags, s, rnd) => {
          const spec = specs[s]!;
          const shuffled = tags
            .map((t, i) => ({ t, k: rnd(i) }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.t);
          const run = (list: string[]): string => {
            try {
              return `ok:${String(selectTag(list, spec))}|${String(evaluatePolicy(list, spec).tag)}`;
            } catch (err) {
              return `err:${(err as PolicyError).fluxMessage}`;
            }
          };
          const a = run(tags);
          expect(run(shuffled)).toBe(a);
          if (a.startsWith('ok:')) {
            const [fast, traced] = a.slice(3).split('|');
            expect(fast).toBe(traced);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** Cases rewritten from Flux's `internal/policy/{semver,numerical,filter}_test.go`. */
describe('Flux image-reflector-controller policy tests', () => {
  it.each(['1.0.x', '^1.0', '=1.0.0', '~1.0', '>=1.0', '>0,<2.0'])('range %j is valid', (range) => {
    expect(() => selectTag([], semver(range))).not.toThrow();
  });

  it.each(['1.0.0p', '1x', 'x1', '-1', 'a', ''])('range %j is invalid', (range) => {
    expect(policyError(() => selectTag([], semver(range))).code).toBe('POLICY_INVALID');
  });

  it.each([
    [['1.0.0', '1.0.0.1', '1.0.0p', '1.0.1', '1.2.0', '0.1.0'], '1.0.x', '1.0.1'],
    [['v1.2.3', 'v1.0.0', 'v0.1.0'], '1.0.x', 'v1.0.0'],
    [['b1.2.3', 'b1.0.0', 'b0.1.0'], '1.0.x', undefined],
    [[], '1.0.x', undefined],
    [['1.2.0'], '1.0.x', undefined],
  ])('semver %j with %j → %s', (tags, range, expected) => {
    expect(pick(tags, semver(range))).toBe(expected);
  });

  it.each([
    [['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91'], undefined, '73'],
    [['5', '-8', '-78', '25', '70', '-4', '80', '92', '-20', '-24'], 'desc', '-78'],
    [
      [
        '47.40896403322944',
        '-27.8520927455902',
        '-27.930666514224427',
        '-31.352485948094568',
        '-50.41072694704882',
        '-21.962849842263736',
        '24.71884721436865',
        '-39.99177354004344',
        '53.47333823144817',
        '3.2008658570411086',
      ],
      undefined,
      '53.47333823144817',
    ],
    [
      [
        '-65.27202780220686',
        '57.82948329142309',
        '22.40184684363291',
        '-86.36934305697784',
        '-90.29082099756083',
        '-12.041712603564264',
        '77.70488240399305',
        '-38.98425003883552',
        '16.06867070412028',
        '53.735674335181216',
      ],
      'desc',
      '-90.29082099756083',
    ],
    [['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'], undefined, '1606364286'],
    [['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'], 'desc', '1606234201'],
    [['1'], undefined, '1'],
    [['1'], 'desc', '1'],
  ])('numerical %j order %s → %s', (tags, order, expected) => {
    expect(pick(tags, num(order))).toBe(expected);
  });

  it('numerical fails on a non-numeric value and reports an empty list', () => {
    expect(policyError(() => selectTag(['0', '1a', 'b'], num())).code).toBe('POLICY_EVALUATION');
    expect(evaluatePolicy([], num()).noResult).toBe('version list argument cannot be empty');
  });

  it('filter: no pattern keeps all; ^ver keeps ver*; ver(\\d+) with $1 extracts the digits', () => {
    const cands = (tags: string[], filterTags: ImagePolicySpec['filterTags']): string[] =>
      evaluatePolicy(tags, alpha('asc', filterTags))
        .trace.filter((v) => v.candidate !== undefined)
        .map((v) => v.candidate!)
        .sort();
    expect(cands(['a'], {})).toEqual(['a']);
    expect(cands(['ver1', 'ver2', 'ver3', 'rel1'], { pattern: '^ver' })).toEqual(['ver1', 'ver2', 'ver3']);
    expect(cands(['ver1', 'ver2', 'ver3', 'rel1'], { pattern: 'ver(\\d+)', extract: '$1' })).toEqual([
      '1',
      '2',
      '3',
    ]);
  });
});
