import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.js';
import { parseConstraint, parseVersion } from './semver.js';
import cases from './testdata/masterminds-cases.json' with { type: 'json' };

/** Expected values come from spec/policy.md §2 and Masterminds' own test tables. */

describe('parseVersion with the Flux tag gate (§2.1)', () => {
  it.each([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['2023.09.01', '2023.9.1'], // leading zeros dropped
    ['01.02.03', '1.2.3'],
    ['1.0-rc.1', '1.0.0-rc.1'], // two dots anywhere: the gate counts prerelease dots
    ['1-rc.1.2', '1.0.0-rc.1.2'],
    ['1.2-beta.5', '1.2.0-beta.5'],
    ['1.0+build.1', '1.0.0+build.1'],
    ['1.2.3-0abc', '1.2.3-0abc'],
    ['1.2.3+test.01', '1.2.3+test.01'], // build identifiers may have leading zeros
    ['1.2.3-alpha.-1', '1.2.3-alpha.-1'],
    ['1.2.0-x.Y.0+metadata-width-hypen', '1.2.0-x.Y.0+metadata-width-hypen'],
    ['18446744073709551615.0.0', '18446744073709551615.0.0'], // uint64 max
    ['1.2.3--', '1.2.3--'],
  ])('%j is a version: %s', (input, normalized) => {
    const v = parseVersion(input, { tag: true });
    expect(v).toBeDefined();
    expect(String(v)).toBe(normalized);
    expect(v!.original).toBe(input);
  });

  it.each([
    '1.0',
    'v1',
    '2023.01',
    '1.2-5',
    'v1.2-beta5',
    '20230101',
    '1.2.3.4',
    'V1.2.3',
    '=1.2.3',
    ' 1.2.3',
    '1.2.3 ',
    '1.2.3-',
    '1.2.3+',
    '1.2.3-rc.01', // numeric prerelease identifier with a leading zero
    '1.2.3-alpha..1',
    '1.2.3-a_b',
    '1.2.3+a_b',
    '١.٢.٣', // non-ASCII digits
    '18446744073709551616.0.0', // uint64 max + 1
    'latest',
    'sha256-abc.sig',
    '',
    '1..2.3',
    'v.1.2',
    '1.2.beta',
  ])('%j is not a version for Flux', (input) => {
    expect(parseVersion(input, { tag: true })).toBeUndefined();
  });

  it('accepts partial versions without the gate, as Masterminds NewVersion does', () => {
    expect(String(parseVersion('1.0'))).toBe('1.0.0');
    expect(String(parseVersion('v1'))).toBe('1.0.0');
    expect(String(parseVersion('1.2-5'))).toBe('1.2.0-5');
    expect(parseVersion('1.0', { tag: true })).toBeUndefined();
  });

  it('keeps uint64 parts exact beyond 2^53', () => {
    const v = parseVersion('9007199254740993.18446744073709551615.0')!;
    expect(v.major).toBe(9007199254740993n);
    expect(v.minor).toBe(18446744073709551615n);
    expect(String(v)).toBe('9007199254740993.18446744073709551615.0');
    expect(v.compare(parseVersion('9007199254740992.18446744073709551615.0')!)).toBe(1);
    expect(v.compare(parseVersion('9007199254740993.18446744073709551614.0')!)).toBe(1);
    expect(parseVersion('000000000000000000000001.0.0')!.major).toBe(1n);
  });
});

describe('precedence (§2.2)', () => {
  const cmp = (a: string, b: string): number => parseVersion(a)!.compare(parseVersion(b)!);
  it.each([
    ['1.0.0', '1.0.0-rc.1', 1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1], // numeric < alphanumeric
    ['1.0.0-Beta', '1.0.0-alpha', -1], // byte order
    ['1.0.0-rc10', '1.0.0-rc9', -1],
    ['1.0.0-rc.10', '1.0.0-rc.9', 1],
    ['1.0.0-18446744073709551616', '1.0.0-2', 1], // overflows uint64: alphanumeric, ranks above numbers
    ['1.0.0-18446744073709551615', '1.0.0-2', 1],
    ['1.0.0+a', '1.0.0+b', 0],
    ['v1.0.0', '01.0.0', 0],
    ['1.0.0-a+x', '1.0.0-a+y', 0],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(cmp(a, b)).toBe(expected);
    expect(cmp(b, a)).toBe(-expected || 0);
  });

  it.each(cases.compare)('Masterminds TestCompare: %s vs %s → %i', (a, b, expected) => {
    expect(cmp(a as string, b as string)).toBe(expected);
  });
});

describe('Masterminds NewVersion table (loose)', () => {
  it.each(cases.newVersion)('%j fails: %s', (input, fails) => {
    expect(parseVersion(input as string) === undefined).toBe(fails);
  });
});

function check(range: string, version: string): boolean {
  return parseConstraint(range).check(parseVersion(version)!);
}

describe('operators and quirks (§2.4)', () => {
  it.each([
    // = / none / exact, build ignored, dirty = tilde
    ['=1.2.3', '1.2.3', true],
    ['1.2.3', '1.2.3+meta', true],
    ['=1.2.3+abc', '1.2.3+xyz', true],
    ['1.2', '1.2.9', true],
    ['1.2', '1.3.0', false],
    ['1', '1.9.0', true],
    ['1', '2.0.0', false],
    ['1.x', '1.5.0', true],
    ['1.x', '2.0.0', false],
    // !=
    ['!=1.2.3', '1.2.3+meta', false],
    ['!=1.2.3', '1.2.4', true],
    ['!=1.x', '1.9.9', false],
    ['!=1.x', '2.0.0', true],
    ['!=1.2.x', '1.2.7', false],
    ['!=1.2.x', '1.3.0', true],
    ['!=*', '0.0.0', false],
    ['!=*', '0.0.1', true],
    ['!=*', '5.0.0', true],
    // >
    ['>1.2.3', '1.2.4', true],
    ['>1.2.3', '1.2.3', false],
    ['>1', '1.9.9', false],
    ['>1', '2.0.0', true],
    ['>1.x', '1.5.0', false],
    ['>1.x', '2.0.0', true],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3.0', true],
    ['>*', '0.0.0', false],
    ['>*', '0.0.1', true],
    // >= and =>
    ['>=1.2', '1.2.0', true],
    ['>=1.2', '1.1.9', false],
    ['=>1.2.3', '1.2.3', true],
    ['>=*', '0.0.0', true],
    ['>=*', '99.0.0', true],
    // <
    ['<1.x', '0.9.9', true],
    ['<1.x', '1.0.0', false],
    ['<1.2', '1.1.9', true],
    ['<1.2', '1.2.0', false],
    ['<*', '0.0.0', false],
    ['<*', '1.0.0', false],
    // <= and =<
    ['<=1.2', '1.2.99', true],
    ['<=1.2', '1.3.0', false],
    ['<=1', '1.99.0', true],
    ['<=1', '2.0.0', false],
    ['=<1.2.3', '1.2.3', true],
    ['=<1.2.3', '1.2.4', false],
    ['<=*', '0.0.5', true],
    ['<=*', '0.1.0', false],
    // ~ and ~>
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['~1.2.3', '1.2.2', false],
    ['~1.2', '1.2.0', true],
    ['~1.2', '1.3.0', false],
    ['~1', '1.9.0', true],
    ['~1', '2.0.0', false],
    ['~0', '0.9.9', true],
    ['~0', '1.0.0', false],
    ['~0.0.0', '5.4.3', true],
    ['~*', '5.4.3', true],
    ['~x', '5.4.3', true],
    ['~>1.2.3', '1.2.5', true],
    ['~>1.2.3', '1.3.0', false],
    // ^
    ['^1.2.3', '1.9.9', true],
    ['^1.2.3', '2.0.0', false],
    ['^1.2.3', '1.2.2', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.3', true],
    ['^0.0.3', '0.0.4', false],
    ['^0.0', '0.0.9', true],
    ['^0.0', '0.1.0', false],
    ['^0', '0.9.0', true],
    ['^0', '1.0.0', false],
    ['^0.x', '0.9.0', true],
    ['^0.x', '1.0.0', false],
    ['^*', '0.0.0', true],
    ['^*', '0.0.1', false],
    ['^*', '1.0.0', false],
    ['^x', '1.0.0', false],
    ['^0.0.0', '0.0.0', true],
    ['^0.0.0', '0.0.1', false],
    // hyphen ranges
    ['1.2 - 2.3', '2.3.9', true],
    ['1.2 - 2.3', '2.4.0', false],
    ['1.2 - 2.3', '1.1.9', false],
    ['1 - 2', '2.99.0', true],
    ['1 - 2', '3.0.0', false],
    ['1.2.3 - 2.3.4', '2.3.4', true],
    ['1.2.3 - 2.3.4', '2.3.5', false],
    ['1.1-3', '1.1.0-3', true], // no spaces: one comparator `1.1.0-3` (dirty patch, so the tilde rule)
    ['1.1-3', '1.1.5', true],
    ['1.1-3', '3.0.0', false],
    // AND / OR separators
    ['>=1 <2', '1.5.0', true],
    ['>=1,<2', '2.0.0', false],
    ['>=1 , <2', '1.0.0', true],
    ['>=1\t<2', '1.0.0', true],
    ['>=1.0.0 <2.0.0 || >=3.0.0', '3.1.0', true],
    ['>=1.0.0 <2.0.0 || >=3.0.0', '2.5.0', false],
    ['v1.2.3', '1.2.3', true],
    ['>= 1.2.3', '1.2.3', true],
  ])('%j accepts %s: %s', (range, version, expected) => {
    expect(check(range, version)).toBe(expected);
  });
});

describe('prerelease eligibility (§2.5)', () => {
  it.each([
    ['*', '1.0.0-rc.1', false],
    ['>=1.0.0', '2.0.0-rc.1', false],
    ['*-0', '1.0.0-rc.1', true],
    ['>=0.0.0-0', '0.0.1-alpha', true],
    ['>=1.0.0-0', '2.0.0-rc.1', true], // not limited to the same major.minor.patch as npm
    ['^1.0.0-0', '1.9.0-alpha', true],
    ['^1.0.0-0', '2.0.0-alpha', false],
    ['~1.2.3-beta.2', '1.2.4-beta.2', true],
    ['~1.2.3-beta.2', '1.2.3-beta.1', false],
    ['>=1.0.0, <2.0.0-0', '1.9.0-rc.1', true], // the group admits them as a whole
    ['>=1.0.0 <2.0.0 || >=3.0.0-0', '1.5.0-rc.1', false], // each OR group decides alone
    ['>=1.0.0 <2.0.0 || >=3.0.0-0', '3.1.0-rc.1', true],
    ['^1.x-0', '1.4.0-rc.1', true],
    ['^1.x-0', '1.4.0', true],
    ['!=1.2.3-rc.1', '1.2.3-rc.2', true],
    ['!=1.2.x-0', '1.2.3-rc.2', true],
  ])('%j accepts %s: %s', (range, version, expected) => {
    expect(check(range, version)).toBe(expected);
  });

  it('reports whether a range admits prereleases at all', () => {
    expect(parseConstraint('>=1.0.0').admitsPrerelease).toBe(false);
    expect(parseConstraint('>=1.0.0 || >=2.0.0-0').admitsPrerelease).toBe(true);
  });
});

describe('Masterminds TestConstraintsCheck', () => {
  it.each(cases.constraintsCheck)('%j accepts %s: %s', (range, version, expected) => {
    expect(check(range as string, version as string)).toBe(expected);
  });
});

describe('Masterminds TestNewConstraint', () => {
  it.each(cases.newConstraint)('%j fails: %s', (range, fails) => {
    let failed = false;
    try {
      parseConstraint(range as string);
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      failed = true;
    }
    expect(failed).toBe(fails);
  });
});

describe('invalid ranges (§2.3): Masterminds v3.5.0 texts', () => {
  it.each([
    ['', 'improper constraint: ""'],
    ['   ', 'improper constraint: "   "'],
    ['1.0.0 ||', 'improper constraint: ""'],
    ['|| 1.0.0', 'improper constraint: ""'],
    ['foo', 'improper constraint: "foo"'],
    ['latest', 'improper constraint: "latest"'],
    ['V1.2.3', 'improper constraint: "V1.2.3"'],
    ['1.2.3.4', 'improper constraint: "1.2.3.4"'],
    ['==1.2.3', 'improper constraint: "==1.2.3"'],
    ['<>1.2.3', 'improper constraint: "<>1.2.3"'],
    ['!1.2.3', 'improper constraint: "!1.2.3"'],
    ['~=1.2.3', 'improper constraint: "~=1.2.3"'],
    ['>=1 && <2', 'improper constraint: ">=1 && <2"'],
    ['> = 1.2.3', 'improper constraint: "> = 1.2.3"'],
    ['>=1,,<2', 'improper constraint: ">=1,,<2"'],
    ['>=1,', 'improper constraint: ">=1,"'],
    [',>=1', 'improper constraint: ",>=1"'],
    // The rewrite turns ` 1.2.3 - 2.0.0` into `>= 1.2.3, <= 2.0.0 ` after the operator.
    ['>= 1.2.3 - 2.0.0', 'improper constraint: ">=>= 1.2.3, <= 2.0.0 "'],
    ['12.3.34~ 1.2.3', 'improper constraint: "12.3.34~ 1.2.3"'],
    ['"1.2"', 'improper constraint: "\\"1.2\\""'],
    ['1.2\v', 'improper constraint: "1.2\\v"'], // \v is not in Go's \s
    ['1x', 'constraint parser error'],
    ['x1', 'constraint parser error'],
    ['v1.2.3-beta.01', 'constraint parser error'],
    ['1.2.3-01', 'constraint parser error'],
    ['18446744073709551616', 'constraint parser error'],
    ['1|2', 'constraint parser error'],
  ])('%j → %s', (range, text) => {
    let caught: unknown;
    try {
      parseConstraint(range);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    const err = caught as PolicyError;
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.reason).toBe('InvalidPolicy');
    expect(err.fluxMessage).toBe(`invalid policy: ${text}`);
    expect(err.message).toBe(`[policy:semver] invalid policy: ${text}`);
  });
});
