/**
 * Go's `strconv.ParseFloat(s, 64)`, as Flux's numerical policy uses it.
 *
 * Syntax is checked here, by Go's rules; the value of a decimal literal then comes from
 * `Number()`, which, like Go, rounds correctly to the nearest float64. Hex floats are rounded
 * here, exactly, with BigInt.
 */

function lower(c: number): number {
  return c | 0x20;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexLetter(c: number): boolean {
  const l = lower(c);
  return l >= 97 && l <= 102;
}

/** Length of the case-insensitive common prefix of `s` (from `at`) and the lowercase `word`. */
function commonPrefixLenIgnoreCase(s: string, at: number, word: string): number {
  let n = 0;
  while (n < word.length && at + n < s.length) {
    const c = s.charCodeAt(at + n);
    if (c >= 128 || lower(c) !== word.charCodeAt(n)) break;
    n++;
  }
  return n;
}

/** Go's `underscoreOK`: underscores only between digits, or between a base prefix and a digit. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(String.fromCharCode(lower(s.charCodeAt(1))))) {
    i = 2;
    saw = '0';
    hex = lower(s.charCodeAt(1)) === 120;
  }
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c) || (hex && isHexLetter(c))) {
      saw = '0';
      continue;
    }
    if (c === 95) {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** Rounds `mant * 2^exp2` to the nearest float64 (ties to even); `Infinity` on overflow. */
function hexToFloat(mant: bigint, exp2: number): number {
  if (mant === 0n) return 0;
  const bits = mant.toString(2).length;
  const topExp = bits - 1 + exp2; // exponent of the leading bit
  if (topExp > 1100) return Infinity;
  if (topExp < -1200) return 0;
  const ulpExp = Math.max(topExp - 52, -1074);
  const shift = ulpExp - exp2;
  let q: bigint;
  if (shift <= 0) {
    q = mant;
    return Number(q) * 2 ** exp2;
  }
  const s = BigInt(shift);
  q = mant >> s;
  const rem = mant - (q << s);
  const half = 1n << (s - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  // Number(q) ≤ 2^53 is exact; scaling by a power of two is exact unless it overflows.
  return Number(q) * 2 ** ulpExp;
}

/**
 * Parses `s` as Go's `strconv.ParseFloat(s, 64)` does.
 *
 * Accepted: optional sign; decimal digits with an optional `.` (`.5`, `5.`) and exponent
 * (`1e3`, `1E-3`); underscores between digits (`1_000`); hex mantissas with a mandatory `p`
 * exponent (`0x1p4`, `0x1.8P-1`); `inf`/`infinity` (any case, optional sign) and `nan` (any case,
 * no sign). Out-of-range values (`1e400`) are errors; underflow gives 0.
 *
 * @returns the value, or `undefined` when Go returns an error (syntax or range).
 * @example
 * ```ts
 * parseGoFloat('1_000'); // 1000
 * parseGoFloat('0x10');  // undefined: hex needs a p exponent
 * parseGoFloat('1e400'); // undefined: out of range
 * ```
 */
export function parseGoFloat(s: string): number | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  // special(): inf, infinity, nan.
  {
    let i = 0;
    let sign = 1;
    const c0 = s.charCodeAt(0);
    if (c0 === 43 || c0 === 45) {
      if (c0 === 45) sign = -1;
      i = 1;
    }
    const c = i < n ? lower(s.charCodeAt(i)) : 0;
    if (c === 105 /* i */) {
      let len = commonPrefixLenIgnoreCase(s, i, 'infinity');
      if (len > 3 && len < 8) len = 3;
      if ((len === 3 || len === 8) && i + len === n) return sign * Infinity;
      return undefined;
    }
    if (c === 110 /* n */ && i === 0) {
      if (commonPrefixLenIgnoreCase(s, 0, 'nan') === 3 && n === 3) return NaN;
      return undefined;
    }
  }
  // readFloat()
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  let hex = false;
  if (i + 2 < n && s[i] === '0' && lower(s.charCodeAt(i + 1)) === 120 /* x */) {
    hex = true;
    i += 2;
  }
  const mantStart = i;
  let underscores = false;
  let sawdot = false;
  let sawdigits = false;
  let fracDigits = 0;
  let hexDigits = '';
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 95) {
      underscores = true;
      continue;
    }
    if (c === 46) {
      if (sawdot) break;
      sawdot = true;
      continue;
    }
    if (isDigit(c) || (hex && isHexLetter(c))) {
      sawdigits = true;
      if (hex) {
        hexDigits += s[i];
        if (sawdot) fracDigits++;
      }
      continue;
    }
    break;
  }
  if (!sawdigits) return undefined;
  const mantEnd = i;
  let exp = 0;
  let expText = '';
  const expChar = hex ? 112 /* p */ : 101; /* e */
  if (i < n && lower(s.charCodeAt(i)) === expChar) {
    i++;
    if (i >= n) return undefined;
    let esign = 1;
    if (s[i] === '+') i++;
    else if (s[i] === '-') {
      i++;
      esign = -1;
    }
    if (i >= n || !isDigit(s.charCodeAt(i))) return undefined;
    let e = 0;
    const expStart = i;
    for (; i < n && (isDigit(s.charCodeAt(i)) || s[i] === '_'); i++) {
      if (s[i] === '_') {
        underscores = true;
        continue;
      }
      if (e < 10000) e = e * 10 + (s.charCodeAt(i) - 48);
    }
    exp = e * esign;
    expText = s.slice(expStart, i).replace(/_/g, '');
    expText = (esign < 0 ? '-' : '') + expText;
  } else if (hex) {
    return undefined; // a hex mantissa needs an exponent
  }
  if (i !== n) return undefined; // trailing garbage
  if (underscores && !underscoreOK(s)) return undefined;

  let value: number;
  if (hex) {
    const mant = hexDigits.length > 0 ? BigInt(`0x${hexDigits}`) : 0n;
    value = hexToFloat(mant, exp - 4 * fracDigits);
  } else {
    const mantissa = s.slice(mantStart, mantEnd).replace(/_/g, '');
    // Go caps the exponent at ±10000 (far outside float64), so the cap changes no result.
    value = Number(`${mantissa}e${expText || '0'}`);
  }
  if (!Number.isFinite(value)) return undefined; // ErrRange
  return neg ? -value : value;
}
