;; Finds the lines of a chunk of UTF-8 JSONL bytes that hold a number token a double may not keep
;; exactly: the same tokens as RISKY_NUMBER in lossless-json.ts, [:,[] ws* -? digit, then 15 more of
;; [0-9.] or an exponent of three or more digits. Every other line can go through JSON.parse as it is.
;; The regex looks at every character; this scan looks at 16 bytes at a time (SIMD) and costs a
;; fraction of it (README.md, Measured), because both kinds of token leave a trace that a few vector
;; compares find:
;;
;; - 16 or more [0-9.] in a row always cover one 8-byte-aligned group of eight such bytes;
;; - an exponent is e or E with a digit before it and [+-]? three digits after it.
;;
;; (The digit test is written out at each use: V8 does not inline one WebAssembly function into another,
;; and a call per vector compare made the scan markedly slower.)
;;
;; Each such place is then checked byte by byte: the whole run of [0-9.] around it, and the anchor
;; before the run (optional "-", JSON whitespace other than newline, then ":", "," or "["). Digits in
;; hex strings (uuids, hashes) fail the anchor, as they do in the regex.
;;
;; Memory layout, set up by risky-numbers.ts: bytes 0..15 stay zero, so every look back stops there;
;; the input starts at byte 16; at least 32 zero bytes follow it, so the look-ahead of the last block
;; reads zeros; the output (one i32 per line holding a risky token, the line's index in the chunk, in
;; ascending order and each once) goes at the address the caller passes.

(module
  (memory (export "memory") 1)

  ;; 1 if $c is a digit or ".".
  (func $isDigitOrDot (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
      (i32.eq (local.get $c) (i32.const 46))))

  ;; Address of the first byte of the [0-9.] run that holds $at.
  (func $runStart (param $at i32) (result i32)
    (block $done
      (loop $back
        (br_if $done (i32.eqz (call $isDigitOrDot (i32.load8_u (i32.sub (local.get $at) (i32.const 1))))))
        (local.set $at (i32.sub (local.get $at) (i32.const 1)))
        (br $back)))
    (local.get $at))

  ;; Address just past the [0-9.] run that holds $at.
  (func $runEnd (param $at i32) (result i32)
    (block $done
      (loop $forward
        (br_if $done (i32.eqz (call $isDigitOrDot (i32.load8_u (local.get $at)))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $forward)))
    (local.get $at))

  ;; 1 if a number token may start at $start: before it an optional "-", then spaces, tabs or
  ;; carriage returns, then ":", "," or "[".
  (func $anchored (param $start i32) (result i32)
    (local $at i32)
    (local $c i32)
    (local.set $at (i32.sub (local.get $start) (i32.const 1)))
    (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 45))
      (then (local.set $at (i32.sub (local.get $at) (i32.const 1)))))
    (block $done
      (loop $spaces
        (local.set $c (i32.load8_u (local.get $at)))
        (br_if $done
          (i32.eqz
            (i32.or
              (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
              (i32.eq (local.get $c) (i32.const 13)))))
        (local.set $at (i32.sub (local.get $at) (i32.const 1)))
        (br $spaces)))
    (i32.or
      (i32.or (i32.eq (local.get $c) (i32.const 58)) (i32.eq (local.get $c) (i32.const 44)))
      (i32.eq (local.get $c) (i32.const 91))))

  ;; A group of eight [0-9.] at $at: risky if its whole run is 16 or longer and anchored.
  (func $riskyRun (param $at i32) (result i32)
    (local $start i32)
    (local.set $start (call $runStart (local.get $at)))
    (if (result i32)
      (i32.ge_u (i32.sub (call $runEnd (local.get $at)) (local.get $start)) (i32.const 16))
      (then (call $anchored (local.get $start)))
      (else (i32.const 0))))

  ;; An exponent at $at (the e or E): risky if the run of [0-9.] before it is anchored.
  (func $riskyExponent (param $at i32) (result i32)
    (call $anchored (call $runStart (i32.sub (local.get $at) (i32.const 1)))))

  ;; Scan $length input bytes; write the risky lines' indexes at $out; return how many.
  (func (export "scan") (param $length i32) (param $out i32) (result i32)
    (local $offset i32)
    (local $at i32)
    (local $line i32)
    (local $count i32)
    (local $lastLine i32)
    (local $block v128)
    (local $newlines i32)
    (local $digitsOrDots i32)
    (local $runs i32)
    (local $exponents i32)
    (local $bit i32)
    (local $risky i32)
    (local $found i32)
    (local $next2 v128)
    (local $next3 v128)
    (local.set $lastLine (i32.const -1))
    (block $end
      (loop $blocks
        (br_if $end (i32.ge_u (local.get $offset) (local.get $length)))
        (local.set $at (i32.add (local.get $offset) (i32.const 16)))
        (local.set $block (v128.load (local.get $at)))
        (local.set $newlines
          (i8x16.bitmask (i8x16.eq (local.get $block) (i8x16.splat (i32.const 10)))))
        (local.set $digitsOrDots
          (i8x16.bitmask
            (v128.or
              (i8x16.lt_u (i8x16.sub (local.get $block) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))
              (i8x16.eq (local.get $block) (i8x16.splat (i32.const 46))))))
        ;; Bit 0 / bit 8: the low / high eight bytes are all [0-9.].
        (local.set $runs (i32.const 0))
        (if (i32.eq (i32.and (local.get $digitsOrDots) (i32.const 0xff)) (i32.const 0xff))
          (then (local.set $runs (i32.const 1))))
        (if (i32.eq (i32.shr_u (local.get $digitsOrDots) (i32.const 8)) (i32.const 0xff))
          (then (local.set $runs (i32.or (local.get $runs) (i32.const 0x100)))))
        ;; e or E (byte | 0x20 = "e") right after a digit.
        (local.set $exponents
          (i8x16.bitmask
            (v128.and
              (i8x16.eq
                (v128.or (local.get $block) (i8x16.splat (i32.const 32)))
                (i8x16.splat (i32.const 101)))
              (i8x16.lt_u (i8x16.sub (v128.load (i32.sub (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10))))))
        ;; ... and followed by three digits, or by a sign and three digits.
        (if (local.get $exponents)
          (then
            (local.set $next2 (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 2))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10))))
            (local.set $next3 (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 3))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10))))
            (local.set $exponents
              (i32.and
                (local.get $exponents)
                (i8x16.bitmask
                  (v128.and
                    (v128.and (local.get $next2) (local.get $next3))
                    (v128.or
                      (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))
                      (v128.and
                        (v128.or
                          (i8x16.eq
                            (v128.load (i32.add (local.get $at) (i32.const 1)))
                            (i8x16.splat (i32.const 43)))
                          (i8x16.eq
                            (v128.load (i32.add (local.get $at) (i32.const 1)))
                            (i8x16.splat (i32.const 45))))
                        (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 4))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))))))))))
        ;; Check each candidate, lowest byte first, so the lines come out in order.
        (block $checked
          (loop $candidates
            (br_if $checked (i32.eqz (i32.or (local.get $runs) (local.get $exponents))))
            (if (i32.and
                  (i32.ne (local.get $exponents) (i32.const 0))
                  (i32.or
                    (i32.eqz (local.get $runs))
                    (i32.lt_u (i32.ctz (local.get $exponents)) (i32.ctz (local.get $runs)))))
              (then
                (local.set $bit (i32.ctz (local.get $exponents)))
                (local.set $exponents
                  (i32.and (local.get $exponents) (i32.sub (local.get $exponents) (i32.const 1))))
                (local.set $found (call $riskyExponent (i32.add (local.get $at) (local.get $bit)))))
              (else
                (local.set $bit (i32.ctz (local.get $runs)))
                (local.set $runs (i32.and (local.get $runs) (i32.sub (local.get $runs) (i32.const 1))))
                (local.set $found (call $riskyRun (i32.add (local.get $at) (local.get $bit))))))
            (if (local.get $found)
              (then
                ;; The line of the candidate: lines before this block plus newlines before its bit.
                (local.set $risky
                  (i32.add
                    (local.get $line)
                    (i32.popcnt
                      (i32.and
                        (local.get $newlines)
                        (i32.sub (i32.shl (i32.const 1) (local.get $bit)) (i32.const 1))))))
                (if (i32.ne (local.get $risky) (local.get $lastLine))
                  (then
                    (i32.store
                      (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2)))
                      (local.get $risky))
                    (local.set $count (i32.add (local.get $count) (i32.const 1)))
                    (local.set $lastLine (local.get $risky))))))
            (br $candidates)))
        (local.set $line (i32.add (local.get $line) (i32.popcnt (local.get $newlines))))
        (local.set $offset (i32.add (local.get $offset) (i32.const 16)))
        (br $blocks)))
    (local.get $count))

  ;; 1 if the bytes $from..$to hold a risky number token (the same tokens as "scan" finds), else 0: what
  ;; the envelope scan asks of each payload it finds, so that only payloads are scanned. The look back
  ;; of a token may read bytes before $from; candidates at or past $to are ignored.
  (func (export "riskyRange") (param $from i32) (param $to i32) (result i32)
    (local $at i32)
    (local $block v128)
    (local $inRange i32)
    (local $digitsOrDots i32)
    (local $runs i32)
    (local $exponents i32)
    (local $bit i32)
    (local $next2 v128)
    (local $next3 v128)
    (local.set $at (local.get $from))
    (block $end
      (loop $blocks
        (br_if $end (i32.ge_u (local.get $at) (local.get $to)))
        (local.set $inRange
          (if (result i32) (i32.ge_u (i32.sub (local.get $to) (local.get $at)) (i32.const 16))
            (then (i32.const 0xffff))
            (else (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $to) (local.get $at))) (i32.const 1)))))
        (local.set $block (v128.load (local.get $at)))
        (local.set $digitsOrDots
          (i32.and
            (local.get $inRange)
            (i8x16.bitmask
              (v128.or
                (i8x16.lt_u (i8x16.sub (local.get $block) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))
                (i8x16.eq (local.get $block) (i8x16.splat (i32.const 46)))))))
        ;; A run of 16 covers one of any two consecutive groups of eight.
        (local.set $runs (i32.const 0))
        (if (i32.eq (i32.and (local.get $digitsOrDots) (i32.const 0xff)) (i32.const 0xff))
          (then (local.set $runs (i32.const 1))))
        (if (i32.eq (i32.shr_u (local.get $digitsOrDots) (i32.const 8)) (i32.const 0xff))
          (then (local.set $runs (i32.or (local.get $runs) (i32.const 0x100)))))
        (local.set $exponents
          (i32.and
            (local.get $inRange)
            (i8x16.bitmask
              (v128.and
                (i8x16.eq
                  (v128.or (local.get $block) (i8x16.splat (i32.const 32)))
                  (i8x16.splat (i32.const 101)))
                (i8x16.lt_u (i8x16.sub (v128.load (i32.sub (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))))))
        (if (local.get $exponents)
          (then
            (local.set $next2 (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 2))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10))))
            (local.set $next3 (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 3))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10))))
            (local.set $exponents
              (i32.and
                (local.get $exponents)
                (i8x16.bitmask
                  (v128.and
                    (v128.and (local.get $next2) (local.get $next3))
                    (v128.or
                      (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))
                      (v128.and
                        (v128.or
                          (i8x16.eq (v128.load (i32.add (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 43)))
                          (i8x16.eq (v128.load (i32.add (local.get $at) (i32.const 1))) (i8x16.splat (i32.const 45))))
                        (i8x16.lt_u (i8x16.sub (v128.load (i32.add (local.get $at) (i32.const 4))) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))))))))))
        (block $checked
          (loop $candidates
            (br_if $checked (i32.eqz (local.get $runs)))
            (local.set $bit (i32.ctz (local.get $runs)))
            (local.set $runs (i32.and (local.get $runs) (i32.sub (local.get $runs) (i32.const 1))))
            (if (call $riskyRun (i32.add (local.get $at) (local.get $bit))) (then (return (i32.const 1))))
            (br $candidates)))
        (block $checked
          (loop $candidates
            (br_if $checked (i32.eqz (local.get $exponents)))
            (local.set $bit (i32.ctz (local.get $exponents)))
            (local.set $exponents (i32.and (local.get $exponents) (i32.sub (local.get $exponents) (i32.const 1))))
            (if (call $riskyExponent (i32.add (local.get $at) (local.get $bit))) (then (return (i32.const 1))))
            (br $candidates)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $blocks)))
    (i32.const 0))
)
