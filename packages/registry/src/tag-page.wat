;; Summarises a tag-list page from its bytes: the tag count, the ascending byte-order check, and
;; the Adler-32 (RFC 1950) of `json.Marshal` of the kept tags in descending byte order, which is
;; Flux's scan revision. Runs on the tag-page summary thread (page-summarizer.ts tells why and how).
;;
;; Memory: the excluded suffix at 0 (at most 256 bytes), the answer at 256 (count, kept, Adler-32:
;; three little-endian i32s), the page at 1024 (at most 256 KiB), from 263168 the kept tags'
;; places in the page: for each of the first 4,096 kept tags, last in the page first (Flux's
;; descending order when the page is in order), the offsets of its first byte and of its closing
;; quote (two little-endian i32s), so that the caller can cut the tag strings from the page's text
;; without parsing it; and from 295936 as much again, the scratch area of `sortPlaces`.
;;
;; `summarize(len, suffixLen)` answers 1 when the page is exactly
;;   {"name":"…","tags":["…","…",…]}   followed by nothing but JSON whitespace
;; with the tags in ascending byte order, 2 when it has that form but a tag out of that order (the
;; count, the kept count and the places are then written too, the Adler-32 is not the revision),
;; and 0 for any other page. The caller guarantees the page is ASCII and holds none of `\`, `<`, `>`,
;; `&` (so no escape: a `"` always opens or closes a string, and Go's encoder writes every tag back
;; byte for byte); a control character (below 0x20), which JSON does not allow in a string, makes
;; the answer 0. A page answered 1 is therefore valid JSON, and the strings `JSON.parse` would
;; return for "tags" are exactly the bytes between the quotes found here.
;;
;; `sortPlaces(kept)`, called after `summarize` answered 2 with at most 4,096 kept tags, sorts the
;; places into descending byte order of their tags (Flux's order; a stable bottom-up merge sort,
;; with the scratch area at 295936 for its other half, and a run already in order copied, not
;; merged), and writes the Adler-32 of `json.Marshal` of the tags in that order at 264: the page is
;; then answered as if it had been in order, and no tag need be sorted on the calling thread.
;;
;; The tags are walked from the last to the first, which is Flux's (descending) order, so each kept
;; tag is appended to the running Adler-32 as soon as it is read: for a tag of l bytes x_0…x_{l-1}
;; with t = Σx_j, appending it to the sums (a, b) gives a + t and b + l·a + Σ(l-j)·x_j, and
;; Σ(l-j)·x_j = (l+1)·t − v where v = Σ(j+1)·x_j is what a backward walk sums (v += t per byte).
;; The sums are i64 and are reduced modulo 65521 once, at the end: a page holds at most 256 KiB
;; (BODY_BYTES), so a < 2^26 and b < 2^44 throughout, far from overflowing.
(module
  (memory (export "memory") 6)
  ;; Kept tags whose places are written (the caller parses a page with more).
  (global $maxPlaces i32 (i32.const 4096))
  (func (export "summarize") (param $len i32) (param $suffixLen i32) (result i32)
    (local $end i32) (local $k i32) (local $open i32) (local $e i32) (local $x i32)
    (local $a i64) (local $b i64) (local $t i64) (local $v i64)
    (local $close i32) (local $start i32) (local $l i32)
    (local $nextStart i32) (local $nextLen i32) (local $common i32) (local $i i32)
    (local $count i32) (local $kept i32) (local $excluded i32) (local $sep i32) (local $unordered i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $len)))
    (if (i32.lt_u (local.get $len) (i32.const 22)) (then (return (i32.const 0))))
    ;; `{"name":` then `"`
    (if (i64.ne (i64.load (i32.const 1024)) (i64.const 0x3a22656d616e227b)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (i32.const 1032)) (i32.const 0x22)) (then (return (i32.const 0))))
    ;; The name: up to its closing quote.
    (local.set $k (i32.const 1033))
    (block $nameEnd
      (loop $name
        (if (i32.ge_u (local.get $k) (local.get $end)) (then (return (i32.const 0))))
        (local.set $x (i32.load8_u (local.get $k)))
        (br_if $nameEnd (i32.eq (local.get $x) (i32.const 0x22)))
        (if (i32.lt_u (local.get $x) (i32.const 0x20)) (then (return (i32.const 0))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $name)))
    ;; `","tags":[`, from the name's closing quote
    (if (i32.gt_u (i32.add (local.get $k) (i32.const 10)) (local.get $end)) (then (return (i32.const 0))))
    (if (i64.ne (i64.load (local.get $k)) (i64.const 0x2273676174222c22)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load16_u (i32.add (local.get $k) (i32.const 8))) (i32.const 0x5b3a)) (then (return (i32.const 0))))
    (local.set $open (i32.add (local.get $k) (i32.const 9)))
    ;; From the end: whitespace, `}`, `]`.
    (local.set $e (i32.sub (local.get $end) (i32.const 1)))
    (block $wsEnd
      (loop $ws
        (br_if $wsEnd (i32.le_u (local.get $e) (local.get $open)))
        (local.set $x (i32.load8_u (local.get $e)))
        (br_if $wsEnd
          (i32.and
            (i32.and (i32.ne (local.get $x) (i32.const 0x20)) (i32.ne (local.get $x) (i32.const 0x0a)))
            (i32.and (i32.ne (local.get $x) (i32.const 0x0d)) (i32.ne (local.get $x) (i32.const 0x09)))))
        (local.set $e (i32.sub (local.get $e) (i32.const 1)))
        (br $ws)))
    (if (i32.ne (i32.load8_u (local.get $e)) (i32.const 0x7d)) (then (return (i32.const 0))))
    (local.set $e (i32.sub (local.get $e) (i32.const 1)))
    (if (i32.le_u (local.get $e) (local.get $open)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (local.get $e)) (i32.const 0x5d)) (then (return (i32.const 0))))
    (local.set $e (i32.sub (local.get $e) (i32.const 1)))
    ;; The JSON text of the kept tags starts with `[`: a = 1 + 0x5b, b = a.
    (local.set $a (i64.const 92))
    (local.set $b (i64.const 92))
    (local.set $nextStart (i32.const -1))
    (if (i32.ne (local.get $e) (local.get $open))
      (then
        (block $tagsEnd
          (loop $tag
            ;; `$e` is at a tag's closing quote.
            (if (i32.ne (i32.load8_u (local.get $e)) (i32.const 0x22)) (then (return (i32.const 0))))
            (local.set $close (local.get $e))
            (local.set $t (i64.const 0))
            (local.set $v (i64.const 0))
            (block $opened
              (loop $byte
                (local.set $e (i32.sub (local.get $e) (i32.const 1)))
                (if (i32.le_u (local.get $e) (local.get $open)) (then (return (i32.const 0))))
                (local.set $x (i32.load8_u (local.get $e)))
                (br_if $opened (i32.eq (local.get $x) (i32.const 0x22)))
                (if (i32.lt_u (local.get $x) (i32.const 0x20)) (then (return (i32.const 0))))
                (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (local.get $x))))
                (local.set $v (i64.add (local.get $v) (local.get $t)))
                (br $byte)))
            (local.set $start (i32.add (local.get $e) (i32.const 1)))
            (local.set $l (i32.sub (local.get $close) (local.get $start)))
            ;; Ascending order: this tag must not sort after the one read before it (the next). Once
            ;; one does, the order is not checked further.
            (if (i32.and (i32.ge_s (local.get $nextStart) (i32.const 0)) (i32.eqz (local.get $unordered)))
              (then
                (local.set $common
                  (select (local.get $l) (local.get $nextLen) (i32.lt_u (local.get $l) (local.get $nextLen))))
                (local.set $i (i32.const 0))
                (block $differs
                  (loop $compare
                    (br_if $differs (i32.ge_u (local.get $i) (local.get $common)))
                    (br_if $differs
                      (i32.ne
                        (i32.load8_u (i32.add (local.get $start) (local.get $i)))
                        (i32.load8_u (i32.add (local.get $nextStart) (local.get $i)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $compare)))
                (if (i32.lt_u (local.get $i) (local.get $common))
                  (then
                    (if (i32.gt_u
                          (i32.load8_u (i32.add (local.get $start) (local.get $i)))
                          (i32.load8_u (i32.add (local.get $nextStart) (local.get $i))))
                      (then (local.set $unordered (i32.const 1)))))
                  (else
                    (if (i32.gt_u (local.get $l) (local.get $nextLen))
                      (then (local.set $unordered (i32.const 1))))))))
            (local.set $nextStart (local.get $start))
            (local.set $nextLen (local.get $l))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            ;; Excluded: ends with the suffix.
            (local.set $excluded (i32.const 0))
            (if (i32.and
                  (i32.gt_u (local.get $suffixLen) (i32.const 0))
                  (i32.ge_u (local.get $l) (local.get $suffixLen)))
              (then
                (local.set $excluded (i32.const 1))
                (local.set $i (i32.const 1))
                (block $suffixDone
                  (loop $suffix
                    (br_if $suffixDone (i32.gt_u (local.get $i) (local.get $suffixLen)))
                    (if (i32.ne
                          (i32.load8_u (i32.sub (local.get $close) (local.get $i)))
                          (i32.load8_u (i32.sub (local.get $suffixLen) (local.get $i))))
                      (then
                        (local.set $excluded (i32.const 0))
                        (br $suffixDone)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $suffix)))))
            (if (i32.eqz (local.get $excluded))
              (then
                ;; `,` before every kept tag but the first, then `"`, the tag, `"`.
                (if (i32.gt_u (local.get $kept) (i32.const 0))
                  (then
                    (local.set $a (i64.add (local.get $a) (i64.const 0x2c)))
                    (local.set $b (i64.add (local.get $b) (local.get $a)))))
                (if (i32.lt_u (local.get $kept) (global.get $maxPlaces))
                  (then
                    (i32.store
                      (i32.add (i32.const 263168) (i32.shl (local.get $kept) (i32.const 3)))
                      (i32.sub (local.get $start) (i32.const 1024)))
                    (i32.store
                      (i32.add (i32.const 263172) (i32.shl (local.get $kept) (i32.const 3)))
                      (i32.sub (local.get $close) (i32.const 1024)))))
                (local.set $kept (i32.add (local.get $kept) (i32.const 1)))
                (local.set $a (i64.add (local.get $a) (i64.const 0x22)))
                (local.set $b (i64.add (local.get $b) (local.get $a)))
                (local.set $b
                  (i64.sub
                    (i64.add
                      (i64.add (local.get $b) (i64.mul (local.get $a) (i64.extend_i32_u (local.get $l))))
                      (i64.mul (i64.extend_i32_u (i32.add (local.get $l) (i32.const 1))) (local.get $t)))
                    (local.get $v)))
                (local.set $a (i64.add (local.get $a) (local.get $t)))
                (local.set $a (i64.add (local.get $a) (i64.const 0x22)))
                (local.set $b (i64.add (local.get $b) (local.get $a)))))
            ;; Before the opening quote: `,` and the previous tag's closing quote, or the `[`.
            (local.set $e (i32.sub (local.get $e) (i32.const 1)))
            (local.set $sep (i32.load8_u (local.get $e)))
            (if (i32.eq (local.get $sep) (i32.const 0x2c))
              (then
                (local.set $e (i32.sub (local.get $e) (i32.const 1)))
                (br $tag)))
            (br_if $tagsEnd (i32.eq (local.get $e) (local.get $open)))
            (return (i32.const 0))))))
    ;; The closing `]`.
    (local.set $a (i64.rem_u (local.get $a) (i64.const 65521)))
    (local.set $b (i64.rem_u (local.get $b) (i64.const 65521)))
    (local.set $a (i64.add (local.get $a) (i64.const 0x5d)))
    (local.set $b (i64.add (local.get $b) (local.get $a)))
    (local.set $a (i64.rem_u (local.get $a) (i64.const 65521)))
    (local.set $b (i64.rem_u (local.get $b) (i64.const 65521)))
    (i32.store (i32.const 256) (local.get $count))
    (i32.store (i32.const 260) (local.get $kept))
    (i32.store (i32.const 264) (i32.wrap_i64 (i64.or (i64.shl (local.get $b) (i64.const 16)) (local.get $a))))
    (select (i32.const 2) (i32.const 1) (local.get $unordered)))

  ;; Compares the tags at two places (addresses of their pairs): negative, zero or positive as the
  ;; first sorts before, with or after the second in byte order.
  (func $compare (param $p i32) (param $q i32) (result i32)
    (local $ps i32) (local $pl i32) (local $qs i32) (local $ql i32) (local $n i32) (local $i i32)
    (local $x i32) (local $y i32)
    (local.set $ps (i32.add (i32.load (local.get $p)) (i32.const 1024)))
    (local.set $pl (i32.sub (i32.load offset=4 (local.get $p)) (i32.load (local.get $p))))
    (local.set $qs (i32.add (i32.load (local.get $q)) (i32.const 1024)))
    (local.set $ql (i32.sub (i32.load offset=4 (local.get $q)) (i32.load (local.get $q))))
    (local.set $n (select (local.get $pl) (local.get $ql) (i32.lt_u (local.get $pl) (local.get $ql))))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.load8_u (i32.add (local.get $ps) (local.get $i))))
        (local.set $y (i32.load8_u (i32.add (local.get $qs) (local.get $i))))
        (if (i32.ne (local.get $x) (local.get $y)) (then (return (i32.sub (local.get $x) (local.get $y)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.sub (local.get $pl) (local.get $ql)))

  ;; Copies `n` places (8 bytes each) from `from` to `to`.
  (func $copy (param $from i32) (param $to i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $from) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $pair
        (br_if $done (i32.ge_u (local.get $from) (local.get $end)))
        (i64.store (local.get $to) (i64.load (local.get $from)))
        (local.set $from (i32.add (local.get $from) (i32.const 8)))
        (local.set $to (i32.add (local.get $to) (i32.const 8)))
        (br $pair))))

  (func (export "sortPlaces") (param $n i32) (result i32)
    (local $src i32) (local $dst i32) (local $width i32) (local $lo i32) (local $mid i32) (local $hi i32)
    (local $i i32) (local $j i32) (local $k i32) (local $swap i32)
    (local $p i32) (local $start i32) (local $end i32) (local $a i64) (local $b i64)
    (if (i32.gt_u (local.get $n) (global.get $maxPlaces)) (then (return (i32.const 0))))
    (local.set $src (i32.const 263168))
    (local.set $dst (i32.const 295936))
    (local.set $width (i32.const 1))
    (block $sorted
      (loop $pass
        (br_if $sorted (i32.ge_u (local.get $width) (local.get $n)))
        (local.set $lo (i32.const 0))
        (block $passDone
          (loop $run
            (br_if $passDone (i32.ge_u (local.get $lo) (local.get $n)))
            (local.set $mid (i32.add (local.get $lo) (local.get $width)))
            (if (i32.gt_u (local.get $mid) (local.get $n)) (then (local.set $mid (local.get $n))))
            (local.set $hi (i32.add (local.get $mid) (local.get $width)))
            (if (i32.gt_u (local.get $hi) (local.get $n)) (then (local.set $hi (local.get $n))))
            (if (i32.or
                  (i32.ge_u (local.get $mid) (local.get $hi))
                  (i32.ge_s
                    (call $compare
                      (i32.add (local.get $src) (i32.shl (i32.sub (local.get $mid) (i32.const 1)) (i32.const 3)))
                      (i32.add (local.get $src) (i32.shl (local.get $mid) (i32.const 3))))
                    (i32.const 0)))
              (then
                ;; One run, or two already in (descending) order: copied as they are.
                (call $copy
                  (i32.add (local.get $src) (i32.shl (local.get $lo) (i32.const 3)))
                  (i32.add (local.get $dst) (i32.shl (local.get $lo) (i32.const 3)))
                  (i32.sub (local.get $hi) (local.get $lo))))
              (else
                (local.set $i (local.get $lo))
                (local.set $j (local.get $mid))
                (local.set $k (local.get $lo))
                (block $merged
                  (loop $take
                    (br_if $merged (i32.ge_u (local.get $i) (local.get $mid)))
                    (br_if $merged (i32.ge_u (local.get $j) (local.get $hi)))
                    ;; The larger first; the left one on a tie (stable).
                    (if (i32.ge_s
                          (call $compare
                            (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))
                            (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3))))
                          (i32.const 0))
                      (then
                        (i64.store
                          (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 3)))
                          (i64.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))
                        (local.set $i (i32.add (local.get $i) (i32.const 1))))
                      (else
                        (i64.store
                          (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 3)))
                          (i64.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3)))))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $take)))
                (call $copy
                  (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))
                  (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 3)))
                  (i32.sub (local.get $mid) (local.get $i)))
                (local.set $k (i32.add (local.get $k) (i32.sub (local.get $mid) (local.get $i))))
                (call $copy
                  (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3)))
                  (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 3)))
                  (i32.sub (local.get $hi) (local.get $j)))))
            (local.set $lo (local.get $hi))
            (br $run)))
        (local.set $swap (local.get $src))
        (local.set $src (local.get $dst))
        (local.set $dst (local.get $swap))
        (local.set $width (i32.shl (local.get $width) (i32.const 1)))
        (br $pass)))
    (if (i32.ne (local.get $src) (i32.const 263168))
      (then (call $copy (local.get $src) (i32.const 263168) (local.get $n))))
    ;; Adler-32 of `["t1","t2",…]`, the tags in the sorted order.
    (local.set $a (i64.const 92))
    (local.set $b (i64.const 92))
    (local.set $i (i32.const 0))
    (block $summed
      (loop $tag
        (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.gt_u (local.get $i) (i32.const 0))
          (then
            (local.set $a (i64.add (local.get $a) (i64.const 0x2c)))
            (local.set $b (i64.add (local.get $b) (local.get $a)))))
        (local.set $a (i64.add (local.get $a) (i64.const 0x22)))
        (local.set $b (i64.add (local.get $b) (local.get $a)))
        (local.set $p (i32.add (i32.const 263168) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $start (i32.add (i32.load (local.get $p)) (i32.const 1024)))
        (local.set $end (i32.add (i32.load offset=4 (local.get $p)) (i32.const 1024)))
        (block $tagDone
          (loop $byte
            (br_if $tagDone (i32.ge_u (local.get $start) (local.get $end)))
            (local.set $a (i64.add (local.get $a) (i64.extend_i32_u (i32.load8_u (local.get $start)))))
            (local.set $b (i64.add (local.get $b) (local.get $a)))
            (local.set $start (i32.add (local.get $start) (i32.const 1)))
            (br $byte)))
        (local.set $a (i64.add (local.get $a) (i64.const 0x22)))
        (local.set $b (i64.add (local.get $b) (local.get $a)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tag)))
    (local.set $a (i64.add (local.get $a) (i64.const 0x5d)))
    (local.set $b (i64.add (local.get $b) (local.get $a)))
    (local.set $a (i64.rem_u (local.get $a) (i64.const 65521)))
    (local.set $b (i64.rem_u (local.get $b) (i64.const 65521)))
    (i32.store (i32.const 264) (i32.wrap_i64 (i64.or (i64.shl (local.get $b) (i64.const 16)) (local.get $a))))
    (i32.const 1))
)
