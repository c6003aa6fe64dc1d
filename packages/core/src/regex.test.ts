import { describe, expect, it } from 'vitest';
import { compileGoRegex, RegexError } from './regex.js';

describe('compileGoRegex: Go RE2 syntax', () => {
  it.each([
    ['^main-[a-fA-F0-9]+-(?P<ts>\\d+)$', 'main-3f2a-1700000000', true],
    ['(?<ver>\\d+)', 'v12', true], // Go 1.22+ named group form
    ['(?i)^RC$', 'rc', true],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false], // . excludes \n by default
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['a$', 'a\n', false], // $ without (?m) is \z in Go
    ['[[:digit:]]+', 'x42', true],
    ['[[:^alpha:]]', 'abc', false],
    ['\\pL', 'é', true],
    ['\\pN', '٣', true],
    ['\\p{Greek}', 'λ', true],
    ['\\PL', 'abc', false],
    ['\\Q1.0\\E', '1x0', false],
    ['\\Q1.0\\E', '1.0', true],
    ['\\Aab', 'ab', true],
    ['ab\\z', 'abc', false],
    ['\\d', '٣', false], // \d is ASCII only
    ['\\w', 'é', false], // \w is ASCII only
    ['\\s', '\v', false], // \s is [\t\n\f\r ]
    ['\\s', '\f', true],
    ['\\bfoo\\b', 'a foo b', true],
    ['^.$', '😀', true], // . is one code point
    ['', 'anything', true], // empty pattern matches everything
    ['1\\.0', 'v1.0.0', true], // unanchored
    ['x{1000}', 'x'.repeat(1000), true],
  ])('%j on %j → %s', (pattern, input, expected) => {
    expect(compileGoRegex(pattern).test(input)).toBe(expected);
  });

  it.each([
    // Go's own messages, from regexp/syntax's ErrorCode texts.
    ['a(?=b)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['a(?!b)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=a)b', 'error parsing regexp: invalid named capture: `(?<=a)b`'],
    ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
    ['\\C', 'error parsing regexp: invalid escape sequence: `\\C`'],
    ['\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
    ['\\u0041', 'error parsing regexp: invalid escape sequence: `\\u`'],
    ['a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
    ['(a{1000}){1000}', 'error parsing regexp: invalid repeat count: `{1000}`'],
    ['a{2,1}', 'error parsing regexp: invalid repeat count: `{2,1}`'],
    ['a++', 'error parsing regexp: invalid nested repetition operator: `++`'],
    ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
    ['*', 'error parsing regexp: missing argument to repetition operator: `*`'],
    ['(a', 'error parsing regexp: missing closing ): `(a`'],
    ['a)', 'error parsing regexp: unexpected ): `a)`'],
    ['[a', 'error parsing regexp: missing closing ]: `[a`'],
    ['[z-a]', 'error parsing regexp: invalid character class range: `z-a`'],
    ['[[:foo:]]', 'error parsing regexp: invalid character class range: `[:foo:]`'],
    ['\\p{Foo}', 'error parsing regexp: invalid character class range: `\\p{Foo}`'],
    ['(?P<a>x)(?P<a>y)', 'error parsing regexp: duplicate capture group name: `a`'],
    ['(?P<na-me>a)', 'error parsing regexp: invalid named capture: `(?P<na-me>`'],
    ['(?P<é>a)', 'error parsing regexp: invalid named capture: `(?P<é>`'],
    ['(?P<>a)', 'error parsing regexp: invalid named capture: `(?P<>`'],
    ['\\', 'error parsing regexp: trailing backslash at end of expression: ``'],
  ])('rejects %j with Go’s text', (pattern, goMessage) => {
    let caught: unknown;
    try {
      compileGoRegex(pattern, { scope: 'test:regex', cache: false });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RegexError);
    const err = caught as RegexError;
    expect(err.code).toBe('REGEX_INVALID');
    expect(err.pattern).toBe(pattern);
    expect(err.cause).toBeDefined();
    expect(err.goMessage).toBe(goMessage);
    expect(err.message).toBe(`[test:regex] invalid regular expression pattern '${pattern}': ${goMessage}`);
  });
});

describe('exec: leftmost-first submatches', () => {
  it('reports groups, indices and names; non-participating groups are undefined', () => {
    const re = compileGoRegex('(?P<first>a)|(?P<second>b)(c)?');
    expect(re.groupNames).toEqual(['', 'first', 'second', '']);
    expect(re.groupCount).toBe(3);
    const m = re.exec('xxb');
    expect(m).not.toBeNull();
    expect(m!.index).toBe(2);
    expect(m!.end).toBe(3);
    expect(m!.groups).toEqual(['b', undefined, 'b', undefined]);
    expect(m!.indices).toEqual([[2, 3], undefined, [2, 3], undefined]);
    expect(m!.named).toEqual({ first: undefined, second: 'b' });
    expect(re.execIndices('xxb')).toEqual([2, 3, -1, -1, 2, 3, -1, -1]);
    expect(re.exec('zzz')).toBeNull();
  });

  it('prefers the leftmost match, then the first alternative (Perl order, not longest)', () => {
    expect(compileGoRegex('(a|ab)(c|bcd)(d*)').exec('abcd')!.groups).toEqual(['abcd', 'a', 'bcd', '']);
    expect(compileGoRegex('a*?').exec('aaa')!.groups).toEqual(['']);
    expect(compileGoRegex('(?U)a+').exec('aaa')!.groups).toEqual(['a']);
  });

  it('counts offsets in UTF-16 units and returns whole code points', () => {
    const m = compileGoRegex('😀(.)').exec('x😀😀')!;
    expect(m.indices[0]).toEqual([1, 5]);
    expect(m.groups[1]).toBe('😀');
  });
});

describe('expand: Go Regexp.ExpandString', () => {
  const re = compileGoRegex('^(?P<maj>\\d+)\\.(?P<min>\\d+)\\.(\\d+)(?:-(?P<pre>\\w+))?$');
  const src = '1.22.333';
  const m = re.execIndices(src)!;
  it.each([
    ['$1.$2.$3', '1.22.333'],
    ['${1}x', '1x'],
    ['$1x', ''], // `1x` is a name, unknown → ''
    ['$maj.$min', '1.22'],
    ['${maj}-${min}', '1-22'],
    ['$maj_x', ''], // name is `maj_x`
    ['$0', '1.22.333'],
    ['$01', ''], // leading zero → a name, unknown
    ['$9', ''], // out of range
    ['$pre', ''], // did not participate
    ['$$1', '$1'],
    ['a$', 'a$'], // malformed: `$` kept
    ['${', '${'],
    ['${}', '${}'],
    ['${maj', '${maj'], // no closing brace
    ['$-$.', '$-$.'],
    ['v$maj', 'v1'],
    ['plain', 'plain'],
    ['', ''],
  ])('%j → %j', (template, expected) => {
    expect(re.expand(template, src, m)).toBe(expected);
  });

  it('treats up to 9 digits as a number and longer runs as names', () => {
    const named = compileGoRegex('(?P<1234567890>a)(b)');
    const mm = named.execIndices('ab')!;
    expect(named.expand('$1234567890', 'ab', mm)).toBe('a');
    expect(named.expand('$000000002', 'ab', mm)).toBe('');
    expect(named.expand('$2', 'ab', mm)).toBe('b');
    expect(named.expand('$123456789', 'ab', mm)).toBe('');
  });

  it('ends names at any non-letter/digit/underscore, and accepts Unicode letters in names', () => {
    const r = compileGoRegex('(?P<a>x)');
    const mm = r.execIndices('x')!;
    expect(r.expand('$a.$a-$a/$aé', 'x', mm)).toBe('x.x-x/');
  });
});

describe('cache', () => {
  it('returns the same compiled object for the same pattern', () => {
    expect(compileGoRegex('^cache-me$')).toBe(compileGoRegex('^cache-me$'));
    expect(compileGoRegex('^no-cache$', { cache: false })).not.toBe(compileGoRegex('^no-cache$'));
  });

  it('evicts the least recently used pattern beyond its limit', () => {
    const first = compileGoRegex('^evict-0$');
    for (let i = 1; i <= 300; i++) compileGoRegex(`^evict-${i}$`);
    expect(compileGoRegex('^evict-0$')).not.toBe(first);
  });

  it('runs pathological patterns in linear time', () => {
    const re = compileGoRegex('^(a+)+$');
    const t0 = performance.now();
    expect(re.test('a'.repeat(5000) + 'b')).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
