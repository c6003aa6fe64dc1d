import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adler32, sortTagsDescending, tagsRevision } from './revision.js';

describe('Flux revisions (policy.md §6.3)', () => {
  it('Badger form: decimal Adler-32 of the JSON array', () => {
    expect(tagsRevision(['latest', '1.0.0', '0.9.0'], 'adler32')).toBe('1613694540');
  });
  it('FluxStorage form: sha256 of the tags each followed by a newline', () => {
    expect(tagsRevision(['latest', '1.0.0', '0.9.0'], 'sha256')).toBe(
      'sha256:7925d69912c71516fc4d2432dd7758b00ac5a1a84c3ad69033332aaf6515bc6a',
    );
  });
  it('empty list: Adler-32 of "[]" and sha256 of nothing', () => {
    expect(tagsRevision([], 'adler32')).toBe(String(adler32(Buffer.from('[]'))));
    expect(tagsRevision([], 'sha256')).toBe(
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
  it('Adler-32 of a long input matches the RFC 1950 definition (modular sums)', () => {
    const data = Buffer.alloc(100_000, 0xff);
    let a = 1;
    let b = 0;
    for (const byte of data) {
      a = (a + byte) % 65521;
      b = (b + a) % 65521;
    }
    expect(adler32(data)).toBe(((b << 16) | a) >>> 0);
  });
});

describe('sortTagsDescending', () => {
  it('sorts by bytes, descending (no natural or case-insensitive order)', () => {
    expect(sortTagsDescending(['1.9.0', '1.10.0', 'Zebra', 'apple', 'v1', 'latest'])).toEqual([
      'v1',
      'latest',
      'apple',
      'Zebra',
      '1.9.0',
      '1.10.0',
    ]);
  });
  it('orders astral characters by code point (UTF-8 order), not UTF-16 units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts below U+1F600 (F0 9F 98 80), though its UTF-16 unit is larger.
    expect(sortTagsDescending(['a\uff5e', 'a\u{1f600}'])).toEqual(['a\u{1f600}', 'a\uff5e']);
  });
});

describe('sortTagsDescending on lists a registry already sorted', () => {
  it('reverses an ascending list and keeps a descending one', () => {
    const asc = Array.from({ length: 200 }, (_, i) => `1.${String(i).padStart(3, '0')}.0`);
    const expected = [...asc].reverse();
    expect(sortTagsDescending([...asc])).toEqual(expected);
    expect(sortTagsDescending([...expected])).toEqual(expected);
    expect(sortTagsDescending(['a', 'a', 'b'])).toEqual(['b', 'a', 'a']);
  });
  it('does not trust UTF-16 order when a tag holds an astral character', () => {
    // Ascending in UTF-16 units (D83D < FF5E) but not in UTF-8 bytes (F0 9F… > EF BD…).
    expect(sortTagsDescending(['a\u{1f600}', 'a\uff5e'])).toEqual(['a\u{1f600}', 'a\uff5e']);
    expect(sortTagsDescending(['a', 'a\u{1f600}', 'a\uff5e'])).toEqual(['a\u{1f600}', 'a\uff5e', 'a']);
  });
});

describe('sortTagsDescending agrees with a plain byte-order sort', () => {
  it('on generated tag lists (property)', async () => {
    const fc = (await import('fast-check')).default;
    const tag = fc.oneof(
      fc.stringMatching(/^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,4}(-rc\.[0-9])?$/),
      fc.string({
        unit: fc.constantFrom('a', 'b', 'A', '.', '-', '_', '0', '9', 'z', '~', ' '),
        maxLength: 14,
      }),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(tag, { maxLength: 400 }), (tags) => {
        const expected = [...tags].sort((a, b) => Buffer.compare(Buffer.from(b), Buffer.from(a)));
        expect(sortTagsDescending([...tags])).toEqual(expected);
        // Lists that arrive sorted either way (as registries send them).
        expect(sortTagsDescending([...expected])).toEqual(expected);
        expect(sortTagsDescending([...expected].reverse())).toEqual(expected);
        const utf16 = [...tags].sort();
        expect(sortTagsDescending(utf16)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the native Adler-32 path', () => {
  it('equals the RFC 1950 Adler-32 of Go’s HTML-safe JSON, escapes included', async () => {
    const { goJsonStringArray } = await import('./revision.js');
    const tags = ['1.0.0', 'a<b>&c', 'quote"back\\slash', 'tab\tnl\n', '\u2028', 'ünï', 'x'.repeat(10_000)];
    const json = goJsonStringArray(tags);
    expect(json).toContain('a\\u003cb\\u003e\\u0026c');
    expect(json).toContain('\\u2028');
    expect(tagsRevision(tags, 'adler32')).toBe(String(adler32(Buffer.from(json, 'utf8'))));
  });
});

describe('the one-pass Adler-32 path (plain ASCII tags)', () => {
  it('equals the RFC 1950 Adler-32 of the JSON text, on lists long enough to need modular sums', async () => {
    const { goJsonStringArray } = await import('./revision.js');
    const fc = (await import('fast-check')).default;
    const tag = fc.oneof(
      fc.stringMatching(/^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,4}(-rc\.[0-9])?$/),
      fc.string({ unit: fc.constantFrom('a', 'Z', '.', '-', '_', '0', '~', ' ', '+'), maxLength: 40 }),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(tag, { maxLength: 600 }), (tags) => {
        const json = goJsonStringArray(tags);
        expect(tagsRevision(tags, 'adler32')).toBe(String(adler32(Buffer.from(json, 'utf8'))));
      }),
      { numRuns: 200 },
    );
    const big = Array.from({ length: 3000 }, (_, i) => `~${'z'.repeat(i % 300)}${i}`);
    big.push('~'.repeat(70_000));
    expect(tagsRevision(big, 'adler32')).toBe(String(adler32(Buffer.from(JSON.stringify(big), 'utf8'))));
  });
  it('leaves every character outside the plain set (and only those) to the general path', async () => {
    const { goJsonStringArray } = await import('./revision.js');
    const expected = (tags: string[]): string =>
      String(adler32(Buffer.from(goJsonStringArray(tags), 'utf8')));
    for (const c of [
      '\u001f',
      ' ',
      '~',
      '\u007f',
      '"',
      '\\',
      '<',
      '>',
      '&',
      '\u0080',
      '\u2028',
      '\uffff',
      '\ud800',
    ]) {
      for (const tags of [[`${c}1.0`], [`1${c}0`, 'a'], ['b', `1.0${c}`], [c]]) {
        expect(tagsRevision(tags, 'adler32'), JSON.stringify(tags)).toBe(expected(tags));
      }
    }
    // The largest sums the one pass can meet: a tag of 100,000 code units of U+FFFF, and a longer one.
    for (const tags of [['a', '\uffff'.repeat(100_000), 'b'], ['~'.repeat(100_001)]])
      expect(tagsRevision(tags, 'adler32')).toBe(expected(tags));
  });
  it('when the caller knows every tag is plain, skips the check and gives the same sums (DEL included)', async () => {
    const { goJsonStringArray, revisionOf } = await import('./revision.js');
    const fc = (await import('fast-check')).default;
    // Every character Go's encoder writes as it is in ASCII: printable ASCII but " \ < > &, and DEL.
    const chars: string[] = ['\u007f'];
    for (let c = 0x20; c <= 0x7e; c++)
      if (!'"\\<>&'.includes(String.fromCharCode(c))) chars.push(String.fromCharCode(c));
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom(...chars), maxLength: 30 }), { maxLength: 400 }),
        (tags) => {
          const expected = String(adler32(Buffer.from(goJsonStringArray(tags), 'utf8')));
          expect(revisionOf(tags, 'adler32', true)).toBe(expected);
          expect(revisionOf(tags, 'adler32', false)).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
    // A tag too long for exact one-pass sums goes the general way.
    const long = ['a', '~'.repeat(100_001)];
    expect(revisionOf(long, 'adler32', true)).toBe(
      String(adler32(Buffer.from(JSON.stringify(long), 'utf8'))),
    );
  });
  it('sha256 form is unchanged: each tag followed by a newline', () => {
    const tags = ['b', '', 'a\u{1f600}', 'x\ud800'];
    const h = createHash('sha256');
    for (const t of tags) h.update(`${t}\n`);
    expect(tagsRevision(tags, 'sha256')).toBe(`sha256:${h.digest('hex')}`);
  });
});
