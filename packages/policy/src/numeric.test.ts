import { describe, expect, it } from 'vitest';
import { parseGoFloat } from './numeric.js';

/** Every form of spec/policy.md §4 (Go `strconv.ParseFloat(s, 64)`). */
describe('parseGoFloat: accepted forms', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['-5', -5],
    ['+5', 5],
    ['.5', 0.5],
    ['5.', 5],
    ['-.5', -0.5],
    ['010', 10], // leading zeros: decimal, not octal
    ['1.5', 1.5],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['1e-3', 0.001],
    ['2.5E-1', 0.25],
    ['1_000', 1000],
    ['1_000.000_1', 1000.0001],
    ['1e1_0', 1e10],
    ['0x1p4', 16],
    ['0X1P4', 16],
    ['0x1p-2', 0.25],
    ['0x1.8p1', 3],
    ['0x.8p1', 1],
    ['-0x1p4', -16],
    ['0x_1p4', 16], // underscore after the base prefix
    ['0xAbCp0', 0xabc],
    ['1e-400', 0], // underflow → 0, no error
    ['4.9e-324', 5e-324], // smallest denormal
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['9007199254740993', 9007199254740992], // float64: collapses onto 2^53
    ['99999999999999999999', 1e20],
    ['20230101', 20230101],
    ['1700000000', 1700000000],
  ])('%j → %d', (input, expected) => {
    expect(parseGoFloat(input)).toBe(expected);
  });

  it.each([
    ['inf', Infinity],
    ['Inf', Infinity],
    ['+INF', Infinity],
    ['-inf', -Infinity],
    ['infinity', Infinity],
    ['-Infinity', -Infinity],
    ['+iNfInItY', Infinity],
  ])('%j → %d', (input, expected) => {
    expect(parseGoFloat(input)).toBe(expected);
  });

  it.each(['nan', 'NaN', 'NAN', 'nAn'])('%j → NaN', (input) => {
    expect(parseGoFloat(input)).toBeNaN();
  });

  it('gives -0 for "-0"', () => {
    expect(Object.is(parseGoFloat('-0'), -0)).toBe(true);
  });

  it('rounds hex mantissas to nearest even', () => {
    // 2^53 + 1 is halfway between 2^53 and 2^53 + 2: ties to even → 2^53.
    expect(parseGoFloat('0x20000000000001p0')).toBe(2 ** 53);
    // 2^53 + 3 is halfway between 2^53 + 2 and 2^53 + 4: ties to even → 2^53 + 4.
    expect(parseGoFloat('0x20000000000003p0')).toBe(2 ** 53 + 4);
    expect(parseGoFloat('0x1p-1074')).toBe(5e-324);
    expect(parseGoFloat('0x1p-1075')).toBe(0); // exactly half the smallest denormal: ties to even (0)
    expect(parseGoFloat('0x1.8p-1075')).toBe(5e-324);
    expect(parseGoFloat('0x1.fffffffffffffp1023')).toBe(Number.MAX_VALUE);
  });
});

describe('parseGoFloat: rejected forms', () => {
  it.each([
    '',
    ' ',
    ' 5',
    '5 ',
    '-nan',
    '+nan',
    'nan1',
    'infin',
    'infinityx',
    '0x10', // hex without exponent
    '0x1.8',
    '0b101',
    '0o17',
    '0x',
    '٣', // non-ASCII digit
    '1.0.0',
    '1e',
    '1e+',
    'e3',
    '.',
    '-',
    '+',
    '.e1',
    '1__0',
    '_1',
    '1_',
    '1_.5',
    '1._5',
    '1e_1',
    '0x1p',
    '1e400', // out of range
    '-1e400',
    '0x1p1024',
    '1.2.3',
    'latest',
    '1,000',
    '١٢',
  ])('%j is not a Go float', (input) => {
    expect(parseGoFloat(input)).toBeUndefined();
  });
});
