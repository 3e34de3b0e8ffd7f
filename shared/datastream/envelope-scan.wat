;; Reads the envelope of each JSONL line of a chunk of Datastream bytes, everything before "payload", so
;; that only the payload goes through JSON.parse. JSON.parse of a whole line builds a string for every
;; field and objects for source_metadata and its arrays, most of which the engine only type-checks;
;; here they are checked in place, and the few values the engine keeps come back as offsets and codes.
;; (On the ingest benchmark's lines the envelope is most of a line, and JSON.parse of the payload alone
;; takes a fraction of the time of JSON.parse of the line: README.md, Measured.)
;;
;; The scan recognizes the layout Datastream writes and nothing more: every key of the envelope and of
;; source_metadata known and present once, "payload" last, strings of printable ASCII without escapes,
;; integers without a fraction or an exponent, a source timestamp YYYY-MM-DD[T| ]HH:MM:SS[.f…][Z], and
;; the line ending at the envelope's "}". A line it
;; does not recognize is left to the exact path (JSON.parse of the whole line, then the field-by-field
;; validation of event.ts), which either reads it the same way or names what is wrong with it. So the
;; scan never rejects a line and never has to word an error: it only has to be right when it accepts.
;; Because everything before the payload is ASCII, it can be read as Latin-1, and the payload starts at
;; the same offset in bytes as in characters of the decoded text.
;;
;; Memory is the risky-number scan's (imported): the input starts at the address the caller passes and
;; is followed by at least 32 zero bytes, so a look ahead of 16 bytes past its end reads zeros. The
;; output is one record of 128 bytes per complete line, at the address the caller passes; see
;; envelope-scan.ts for the fields.

(module
  (import "chunk" "memory" (memory 1))
  ;; risky-numbers.wat's check of a byte range for numbers a double may not keep.
  (import "chunk" "riskyRange" (func $riskyRange (param i32 i32) (result i32)))

  ;; Where the scan stopped when the output was full: the start of the first line without a record.
  (global $resume (export "resume") (mut i32) (i32.const 0))
  ;; The content of the last string read (its first byte, and the byte of its closing quote).
  (global $spanStart (mut i32) (i32.const 0))
  (global $spanEnd (mut i32) (i32.const 0))

  ;; Record fields, as byte offsets in a record (i32 each).
  ;; 0 status (1 recognized, 0 not), 4 payload start, 8/12 uuid, 16 source_timestamp in ms (f64),
  ;; 24 read method (1 backfill, 2 CDC), 28/32 schema, 36/40 table, 44 is_deleted (0 absent or null,
  ;; 1 false, 2 true), 48 change type (index in CHANGE_TYPES), 52 LSN kind (0 none, 1 HI/LO),
  ;; 56 LSN HI, 60 LSN LO, 64 risky numbers in the payload (1 or 0), 68 the envelope's closing "}", 72 the
  ;; line's first byte and 76 its newline (from the input's start). Other offsets of text are from the
  ;; line's first byte; spans are [start, end). Fields past 60 are written for every line (72, 76) or
  ;; for recognized ones (64, 68).

  ;; The first min($len, 8) bytes at $at as a little-endian integer.
  (func $word (param $at i32) (param $len i32) (result i64)
    (if (result i64) (i32.ge_s (local.get $len) (i32.const 8))
      (then (i64.load (local.get $at)))
      (else
        (if (result i64) (i32.le_s (local.get $len) (i32.const 0))
          (then (i64.const 0))
          (else
            (i64.and
              (i64.load (local.get $at))
              (i64.sub
                (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (local.get $len) (i32.const 3))))
                (i64.const 1))))))))

  ;; Past JSON whitespace other than a newline. (Callers look at the first byte before calling: most
  ;; tokens have no whitespace before them, and a call per token cost more than the test.)
  (func $ws (param $at i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $at)))
        (br_if $done
          (i32.eqz
            (i32.or
              (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
              (i32.eq (local.get $c) (i32.const 13)))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (local.get $at))

;; A string at $at of printable ASCII without escapes: its content in $spanStart..$spanEnd, returns the
  ;; address after the closing quote, or 0 if it is anything else. Sixteen bytes at a time: the first
  ;; that is a quote, a backslash, a control character (a newline, the zeros after the input) or outside
  ;; printable ASCII ends the string, and must be the quote.
  (func $string (param $at i32) (result i32)
    (local $block v128)
    (local $stops i32)
    (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 34)) (then (return (i32.const 0))))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (global.set $spanStart (local.get $at))
    (loop $blocks
      (local.set $block (v128.load (local.get $at)))
      (local.set $stops
        (i8x16.bitmask
          (v128.or
            (v128.or
              (i8x16.eq (local.get $block) (i8x16.splat (i32.const 34)))
              (i8x16.eq (local.get $block) (i8x16.splat (i32.const 92))))
            ;; c - 0x20 > 0x5e (unsigned): c < 0x20 or c > 0x7e.
            (i8x16.gt_u (i8x16.sub (local.get $block) (i8x16.splat (i32.const 32))) (i8x16.splat (i32.const 94))))))
      (if (i32.eqz (local.get $stops))
        (then
          (local.set $at (i32.add (local.get $at) (i32.const 16)))
          (br $blocks))))
    (local.set $at (i32.add (local.get $at) (i32.ctz (local.get $stops))))
    (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 34)) (then (return (i32.const 0))))
    (global.set $spanEnd (local.get $at))
    (i32.add (local.get $at) (i32.const 1)))

  ;; null at $at: returns the address after it, or 0.
  (func $null (param $at i32) (result i32)
    (if (result i32) (i32.eq (i32.load (local.get $at)) (i32.const 0x6c6c756e))
      (then (i32.add (local.get $at) (i32.const 4)))
      (else (i32.const 0))))

  ;; A string or null at $at ($spanStart is -1 for null).
  (func $stringOrNull (param $at i32) (result i32)
    (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 34))
      (then (return (call $string (local.get $at)))))
    (global.set $spanStart (i32.const -1))
    (call $null (local.get $at)))

  ;; An integer in JSON's syntax (-?(0|[1-9][0-9]*)) not followed by a fraction or an exponent.
  (func $integer (param $at i32) (result i32)
    (local $c i32)
    (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 45))
      (then (local.set $at (i32.add (local.get $at) (i32.const 1)))))
    (local.set $c (i32.load8_u (local.get $at)))
    (if (i32.ge_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)) (then (return (i32.const 0))))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (if (i32.eq (local.get $c) (i32.const 48))
      (then
        (if (i32.lt_u (i32.sub (i32.load8_u (local.get $at)) (i32.const 48)) (i32.const 10))
          (then (return (i32.const 0))))))
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $at)))
        (br_if $done (i32.ge_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    ;; "." or "e"/"E": a number JSON.parse reads, but not one this scan vouches for.
    (if (i32.or (i32.eq (local.get $c) (i32.const 46)) (i32.eq (i32.or (local.get $c) (i32.const 32)) (i32.const 101)))
      (then (return (i32.const 0))))
    (local.get $at))

  ;; An integer or null.
  (func $integerOrNull (param $at i32) (result i32)
    (if (result i32) (i32.eq (i32.load8_u (local.get $at)) (i32.const 110))
      (then (call $null (local.get $at)))
      (else (call $integer (local.get $at)))))

  ;; One sort_keys element: a string, null or an integer.
  (func $sortKey (param $at i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $at)))
    (if (i32.eq (local.get $c) (i32.const 34)) (then (return (call $string (local.get $at)))))
    (if (i32.eq (local.get $c) (i32.const 110)) (then (return (call $null (local.get $at)))))
    (call $integer (local.get $at)))

  ;; An array at $at whose elements are strings ($stringsOnly) or sort keys; returns the address after
  ;; it, or 0.
  (func $array (param $at i32) (param $stringsOnly i32) (result i32)
    (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 91)) (then (return (i32.const 0))))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
    (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 93))
      (then (return (i32.add (local.get $at) (i32.const 1)))))
    (loop $element
      (local.set $at
        (if (result i32) (local.get $stringsOnly)
          (then (call $string (local.get $at)))
          (else (call $sortKey (local.get $at)))))
      (if (i32.eqz (local.get $at)) (then (return (i32.const 0))))
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 44))
        (then
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
          (br $element))))
    (if (result i32) (i32.eq (i32.load8_u (local.get $at)) (i32.const 93))
      (then (i32.add (local.get $at) (i32.const 1)))
      (else (i32.const 0))))

  ;; An array or null.
  (func $arrayOrNull (param $at i32) (param $stringsOnly i32) (result i32)
    (if (result i32) (i32.eq (i32.load8_u (local.get $at)) (i32.const 110))
      (then (call $null (local.get $at)))
      (else (call $array (local.get $at) (local.get $stringsOnly)))))

  ;; The key of an envelope field (1..10), from its length and bytes; 0 for any other key.
  (func $envelopeKey (param $len i32) (param $w1 i64) (param $w2 i64) (result i32)
    (if (i32.eq (local.get $len) (i32.const 4))
      (then (if (i64.eq (local.get $w1) (i64.const 0x64697575)) (then (return (i32.const 1))))))
    (if (i32.eq (local.get $len) (i32.const 14))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x6d69745f64616572)) (i64.eq (local.get $w2) (i64.const 0x706d61747365)))
          (then (return (i32.const 2))))))
    (if (i32.eq (local.get $len) (i32.const 16))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x745f656372756f73)) (i64.eq (local.get $w2) (i64.const 0x706d617473656d69)))
          (then (return (i32.const 3))))))
    (if (i32.eq (local.get $len) (i32.const 6))
      (then (if (i64.eq (local.get $w1) (i64.const 0x7463656a626f)) (then (return (i32.const 4))))))
    (if (i32.eq (local.get $len) (i32.const 11))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x74656d5f64616572)) (i64.eq (local.get $w2) (i64.const 0x646f68)))
          (then (return (i32.const 5))))
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x6e5f6d6165727473)) (i64.eq (local.get $w2) (i64.const 0x656d61)))
          (then (return (i32.const 6))))))
    (if (i32.eq (local.get $len) (i32.const 10))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x6b5f616d65686373)) (i64.eq (local.get $w2) (i64.const 0x7965)))
          (then (return (i32.const 7))))))
    (if (i32.eq (local.get $len) (i32.const 9))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x79656b5f74726f73)) (i64.eq (local.get $w2) (i64.const 0x73)))
          (then (return (i32.const 8))))))
    (if (i32.eq (local.get $len) (i32.const 15))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x6d5f656372756f73)) (i64.eq (local.get $w2) (i64.const 0x61746164617465)))
          (then (return (i32.const 9))))))
    (if (i32.eq (local.get $len) (i32.const 7))
      (then (if (i64.eq (local.get $w1) (i64.const 0x64616f6c796170)) (then (return (i32.const 10))))))
    (i32.const 0))

  ;; The key of a source_metadata field (1..7); 0 for any other key.
  (func $metadataKey (param $len i32) (param $w1 i64) (param $w2 i64) (result i32)
    (if (i32.eq (local.get $len) (i32.const 6))
      (then (if (i64.eq (local.get $w1) (i64.const 0x616d65686373)) (then (return (i32.const 1))))))
    (if (i32.eq (local.get $len) (i32.const 5))
      (then
        (if (i64.eq (local.get $w1) (i64.const 0x656c626174)) (then (return (i32.const 2))))
        (if (i64.eq (local.get $w1) (i64.const 0x64695f7874)) (then (return (i32.const 5))))))
    (if (i32.eq (local.get $len) (i32.const 10))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x74656c65645f7369)) (i64.eq (local.get $w2) (i64.const 0x6465)))
          (then (return (i32.const 3))))))
    (if (i32.eq (local.get $len) (i32.const 11))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x745f65676e616863)) (i64.eq (local.get $w2) (i64.const 0x657079)))
          (then (return (i32.const 4))))))
    (if (i32.eq (local.get $len) (i32.const 3))
      (then (if (i64.eq (local.get $w1) (i64.const 0x6e736c)) (then (return (i32.const 6))))))
    (if (i32.eq (local.get $len) (i32.const 12))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x5f7972616d697270)) (i64.eq (local.get $w2) (i64.const 0x7379656b)))
          (then (return (i32.const 7))))))
    (i32.const 0))

  ;; The index in CHANGE_TYPES of the string in $spanStart..$spanEnd, or -1.
  (func $changeType (result i32)
    (local $len i32)
    (local $w1 i64)
    (local $w2 i64)
    (local.set $len (i32.sub (global.get $spanEnd) (global.get $spanStart)))
    (local.set $w1 (call $word (global.get $spanStart) (local.get $len)))
    (local.set $w2 (call $word (i32.add (global.get $spanStart) (i32.const 8)) (i32.sub (local.get $len) (i32.const 8))))
    (if (i32.eqz (local.get $len)) (then (return (i32.const 0))))
    (if (i32.eq (local.get $len) (i32.const 6))
      (then
        (if (i64.eq (local.get $w1) (i64.const 0x545245534e49)) (then (return (i32.const 1))))
        (if (i64.eq (local.get $w1) (i64.const 0x455441445055)) (then (return (i32.const 2))))
        (if (i64.eq (local.get $w1) (i64.const 0x4554454c4544)) (then (return (i32.const 3))))))
    (if (i32.eq (local.get $len) (i32.const 13))
      (then
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x492d455441445055)) (i64.eq (local.get $w2) (i64.const 0x545245534e)))
          (then (return (i32.const 4))))
        (if (i32.and (i64.eq (local.get $w1) (i64.const 0x442d455441445055)) (i64.eq (local.get $w2) (i64.const 0x4554454c45)))
          (then (return (i32.const 5))))))
    (i32.const -1))

  ;; The read method in $spanStart..$spanEnd: 1 if it contains "backfill", else 2 if it contains "cdc"
  ;; (either in any case, as event.ts classifies it), else 0. OR-ing 0x20 into a letter lowers its case
  ;; and maps no other byte onto a lower-case letter.
  (func $readMethod (result i32)
    (local $at i32)
    (local $cdc i32)
    (local.set $at (global.get $spanStart))
    (block $done
      (loop $next
        (br_if $done (i32.gt_s (i32.add (local.get $at) (i32.const 3)) (global.get $spanEnd)))
        (if (i32.le_s (i32.add (local.get $at) (i32.const 8)) (global.get $spanEnd))
          (then
            (if (i64.eq
                  (i64.or (i64.load (local.get $at)) (i64.const 0x2020202020202020))
                  (i64.const 0x6c6c69666b636162))
              (then (return (i32.const 1))))))
        (if (i32.eq
              (i32.and (i32.or (i32.load (local.get $at)) (i32.const 0x202020)) (i32.const 0xffffff))
              (i32.const 0x636463))
          (then (local.set $cdc (i32.const 2))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (local.get $cdc))

  ;; 1 to 8 hex digits at $from..$to → their value, or -1 if they are not that.
  (func $hex (param $from i32) (param $to i32) (result i64)
    (local $value i32)
    (local $c i32)
    (local $len i32)
    (local.set $len (i32.sub (local.get $to) (local.get $from)))
    (if (i32.or (i32.lt_s (local.get $len) (i32.const 1)) (i32.gt_s (local.get $len) (i32.const 8)))
      (then (return (i64.const -1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
        (local.set $c (i32.load8_u (local.get $from)))
        (if (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
          (then (local.set $c (i32.sub (local.get $c) (i32.const 48))))
          (else
            ;; a..f or A..F (OR-ing 0x20 lowers the case) → 10..15.
            (local.set $c (i32.sub (i32.or (local.get $c) (i32.const 32)) (i32.const 87)))
            (if (i32.ge_u (i32.sub (local.get $c) (i32.const 10)) (i32.const 6))
              (then (return (i64.const -1))))))
        (local.set $value (i32.or (i32.shl (local.get $value) (i32.const 4)) (local.get $c)))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $next)))
    (i64.extend_i32_u (local.get $value)))

  ;; The LSN text in $spanStart..$spanEnd ("HI/LO" in hex, or empty) into the record; returns 0 if it
  ;; is neither.
  (func $lsn (param $record i32) (result i32)
    (local $slash i32)
    (local $start i32)
    (local $end i32)
    (local $hi i64)
    (local $lo i64)
    (local.set $start (global.get $spanStart))
    (local.set $end (global.get $spanEnd))
    (if (i32.eq (local.get $start) (local.get $end)) (then (return (i32.const 1))))
    (local.set $slash (local.get $start))
    (block $found
      (loop $next
        (br_if $found (i32.eq (i32.load8_u (local.get $slash)) (i32.const 47)))
        (local.set $slash (i32.add (local.get $slash) (i32.const 1)))
        (if (i32.ge_u (local.get $slash) (local.get $end)) (then (return (i32.const 0))))
        (br $next)))
    (local.set $hi (call $hex (local.get $start) (local.get $slash)))
    (local.set $lo (call $hex (i32.add (local.get $slash) (i32.const 1)) (local.get $end)))
    (if (i32.or (i64.lt_s (local.get $hi) (i64.const 0)) (i64.lt_s (local.get $lo) (i64.const 0)))
      (then (return (i32.const 0))))
    (i32.store offset=52 (local.get $record) (i32.const 1))
    (i32.store offset=56 (local.get $record) (i32.wrap_i64 (local.get $hi)))
    (i32.store offset=60 (local.get $record) (i32.wrap_i64 (local.get $lo)))
    (i32.const 1))

;; $count digits at $at as a number, or -1 if they are not all digits.
  (func $digits (param $at i32) (param $count i32) (result i32)
    (local $value i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $c (i32.sub (i32.load8_u (local.get $at)) (i32.const 48)))
        (if (i32.ge_u (local.get $c) (i32.const 10)) (then (return (i32.const -1))))
        (local.set $value (i32.add (i32.mul (local.get $value) (i32.const 10)) (local.get $c)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $next)))
    (local.get $value))

  ;; The timestamp text in $spanStart..$spanEnd, YYYY-MM-DD[T| ]HH:MM:SS[.f…][Z], as ms since the epoch
  ;; (an f64 at offset 16 of the record), floored as temporal.ts's timestampTextToMillis floors it.
  ;; Returns 0 for any other text, zone offsets included, and for one that form would refuse (a date
  ;; out of the calendar, sub-microsecond digits other than zeros): the exact path reads or refuses it.
  (func $timestampMillis (param $record i32) (result i32)
    (local $at i32)
    (local $end i32)
    (local $year i32)
    (local $month i32)
    (local $day i32)
    (local $hour i32)
    (local $minute i32)
    (local $second i32)
    (local $millis i32)
    (local $places i32)
    (local $c i32)
    (local $y i32)
    (local $era i32)
    (local $yoe i32)
    (local $doy i32)
    (local $days i32)
    (local $limit i32)
    (local.set $at (global.get $spanStart))
    (local.set $end (global.get $spanEnd))
    (if (i32.lt_s (i32.sub (local.get $end) (local.get $at)) (i32.const 19)) (then (return (i32.const 0))))
    (local.set $year (call $digits (local.get $at) (i32.const 4)))
    (local.set $month (call $digits (i32.add (local.get $at) (i32.const 5)) (i32.const 2)))
    (local.set $day (call $digits (i32.add (local.get $at) (i32.const 8)) (i32.const 2)))
    (local.set $hour (call $digits (i32.add (local.get $at) (i32.const 11)) (i32.const 2)))
    (local.set $minute (call $digits (i32.add (local.get $at) (i32.const 14)) (i32.const 2)))
    (local.set $second (call $digits (i32.add (local.get $at) (i32.const 17)) (i32.const 2)))
    (local.set $c (i32.load8_u offset=10 (local.get $at)))
    (if (i32.or
          (i32.or
            (i32.or (i32.ne (i32.load8_u offset=4 (local.get $at)) (i32.const 45)) (i32.ne (i32.load8_u offset=7 (local.get $at)) (i32.const 45)))
            (i32.or (i32.ne (i32.load8_u offset=13 (local.get $at)) (i32.const 58)) (i32.ne (i32.load8_u offset=16 (local.get $at)) (i32.const 58))))
          (i32.and
            (i32.and (i32.ne (local.get $c) (i32.const 84)) (i32.ne (local.get $c) (i32.const 116)))
            (i32.ne (local.get $c) (i32.const 32))))
      (then (return (i32.const 0))))
    ;; -1 (not digits) fails these too.
    (if (i32.or
          (i32.or
            (i32.or (i32.lt_s (local.get $year) (i32.const 1)) (i32.gt_u (i32.sub (local.get $month) (i32.const 1)) (i32.const 11)))
            (i32.or (i32.lt_s (local.get $day) (i32.const 1)) (i32.gt_u (local.get $hour) (i32.const 23))))
          (i32.or (i32.gt_u (local.get $minute) (i32.const 59)) (i32.gt_u (local.get $second) (i32.const 59))))
      (then (return (i32.const 0))))
    ;; Days in the month.
    (local.set $limit (i32.const 31))
    (if (i32.eq (local.get $month) (i32.const 2))
      (then
        (local.set $limit
          (select (i32.const 29) (i32.const 28)
            (i32.or
              (i32.and (i32.eqz (i32.rem_u (local.get $year) (i32.const 4))) (i32.ne (i32.rem_u (local.get $year) (i32.const 100)) (i32.const 0)))
              (i32.eqz (i32.rem_u (local.get $year) (i32.const 400))))))))
    (if (i32.or
          (i32.or (i32.eq (local.get $month) (i32.const 4)) (i32.eq (local.get $month) (i32.const 6)))
          (i32.or (i32.eq (local.get $month) (i32.const 9)) (i32.eq (local.get $month) (i32.const 11))))
      (then (local.set $limit (i32.const 30))))
    (if (i32.gt_s (local.get $day) (local.get $limit)) (then (return (i32.const 0))))
    ;; The fraction: its first three digits are the milliseconds; digits past the sixth must be zeros.
    (local.set $at (i32.add (local.get $at) (i32.const 19)))
    (if (i32.and (i32.lt_u (local.get $at) (local.get $end)) (i32.eq (i32.load8_u (local.get $at)) (i32.const 46)))
      (then
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
            (local.set $c (i32.sub (i32.load8_u (local.get $at)) (i32.const 48)))
            (br_if $done (i32.ge_u (local.get $c) (i32.const 10)))
            (if (i32.lt_u (local.get $places) (i32.const 3))
              (then (local.set $millis (i32.add (i32.mul (local.get $millis) (i32.const 10)) (local.get $c)))))
            (if (i32.and (i32.ge_u (local.get $places) (i32.const 6)) (i32.ne (local.get $c) (i32.const 0)))
              (then (return (i32.const 0))))
            (local.set $places (i32.add (local.get $places) (i32.const 1)))
            (local.set $at (i32.add (local.get $at) (i32.const 1)))
            (br $next)))
        (if (i32.eqz (local.get $places)) (then (return (i32.const 0))))
        (if (i32.eq (local.get $places) (i32.const 1)) (then (local.set $millis (i32.mul (local.get $millis) (i32.const 100)))))
        (if (i32.eq (local.get $places) (i32.const 2)) (then (local.set $millis (i32.mul (local.get $millis) (i32.const 10)))))))
    ;; Then nothing, or Z alone.
    (if (i32.lt_u (local.get $at) (local.get $end))
      (then
        (if (i32.or
              (i32.ne (i32.add (local.get $at) (i32.const 1)) (local.get $end))
              (i32.ne (i32.or (i32.load8_u (local.get $at)) (i32.const 32)) (i32.const 122)))
          (then (return (i32.const 0))))))
    ;; H. Hinnant's days_from_civil, for years 1..9999 (no negative divisions).
    (local.set $y (i32.sub (local.get $year) (i32.le_u (local.get $month) (i32.const 2))))
    (local.set $era (i32.div_u (local.get $y) (i32.const 400)))
    (local.set $yoe (i32.sub (local.get $y) (i32.mul (local.get $era) (i32.const 400))))
    (local.set $doy
      (i32.add
        (i32.div_u
          (i32.add
            (i32.mul (i32.const 153)
              (i32.add (local.get $month) (select (i32.const -3) (i32.const 9) (i32.gt_u (local.get $month) (i32.const 2)))))
            (i32.const 2))
          (i32.const 5))
        (i32.sub (local.get $day) (i32.const 1))))
    (local.set $days
      (i32.sub
        (i32.add
          (i32.mul (local.get $era) (i32.const 146097))
          (i32.add
            (i32.sub
              (i32.add (i32.mul (local.get $yoe) (i32.const 365)) (i32.div_u (local.get $yoe) (i32.const 4)))
              (i32.div_u (local.get $yoe) (i32.const 100)))
            (local.get $doy)))
        (i32.const 719468)))
    (f64.store offset=16 (local.get $record)
      (f64.convert_i64_s
        (i64.add
          (i64.mul (i64.extend_i32_s (local.get $days)) (i64.const 86400000))
          (i64.extend_i32_u
            (i32.add
              (i32.mul
                (i32.add
                  (i32.add (i32.mul (local.get $hour) (i32.const 3600)) (i32.mul (local.get $minute) (i32.const 60)))
                  (local.get $second))
                (i32.const 1000))
              (local.get $millis))))))
    (i32.const 1))

  ;; source_metadata at $at into the record; returns the address after it, or 0.
  (func $metadata (param $at i32) (param $line i32) (param $record i32) (result i32)
    (local $seen i32)
    (local $key i32)
    (local $len i32)
    (local $code i32)
    (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 123)) (then (return (i32.const 0))))
    (i32.store offset=44 (local.get $record) (i32.const 0))
    (i32.store offset=48 (local.get $record) (i32.const 0))
    (i32.store offset=52 (local.get $record) (i32.const 0))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (loop $member
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (local.set $at (call $string (local.get $at)))
      (if (i32.eqz (local.get $at)) (then (return (i32.const 0))))
      (local.set $len (i32.sub (global.get $spanEnd) (global.get $spanStart)))
      (local.set $key
        (call $metadataKey
          (local.get $len)
          (call $word (global.get $spanStart) (local.get $len))
          (call $word (i32.add (global.get $spanStart) (i32.const 8)) (i32.sub (local.get $len) (i32.const 8)))))
      (if (i32.or (i32.eqz (local.get $key)) (i32.and (local.get $seen) (i32.shl (i32.const 1) (local.get $key))))
        (then (return (i32.const 0))))
      (local.set $seen (i32.or (local.get $seen) (i32.shl (i32.const 1) (local.get $key))))
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 58)) (then (return (i32.const 0))))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (block $value
        (block $primaryKeys
          (block $lsn
            (block $txId
              (block $changeType
                (block $isDeleted
                  (block $table
                    (block $schema
                      (br_table $schema $table $isDeleted $changeType $txId $lsn $primaryKeys $primaryKeys
                        (i32.sub (local.get $key) (i32.const 1))))
                    ;; schema
                    (local.set $at (call $string (local.get $at)))
                    (i32.store offset=28 (local.get $record) (i32.sub (global.get $spanStart) (local.get $line)))
                    (i32.store offset=32 (local.get $record) (i32.sub (global.get $spanEnd) (local.get $line)))
                    (br $value))
                  ;; table
                  (local.set $at (call $string (local.get $at)))
                  (i32.store offset=36 (local.get $record) (i32.sub (global.get $spanStart) (local.get $line)))
                  (i32.store offset=40 (local.get $record) (i32.sub (global.get $spanEnd) (local.get $line)))
                  (br $value))
                ;; is_deleted: true, false or null
                (if (i32.eq (i32.load (local.get $at)) (i32.const 0x65757274))
                  (then
                    (i32.store offset=44 (local.get $record) (i32.const 2))
                    (local.set $at (i32.add (local.get $at) (i32.const 4)))
                    (br $value)))
                (if (i32.and
                      (i32.eq (i32.load (local.get $at)) (i32.const 0x736c6166))
                      (i32.eq (i32.load8_u offset=4 (local.get $at)) (i32.const 101)))
                  (then
                    (i32.store offset=44 (local.get $record) (i32.const 1))
                    (local.set $at (i32.add (local.get $at) (i32.const 5)))
                    (br $value)))
                (local.set $at (call $null (local.get $at)))
                (br $value))
              ;; change_type: a known one, '' or null
              (local.set $at (call $stringOrNull (local.get $at)))
              (br_if $value (i32.eq (global.get $spanStart) (i32.const -1)))
              (local.set $code (call $changeType))
              (if (i32.lt_s (local.get $code) (i32.const 0)) (then (return (i32.const 0))))
              (i32.store offset=48 (local.get $record) (local.get $code))
              (br $value))
            ;; tx_id
            (local.set $at (call $integerOrNull (local.get $at)))
            (br $value))
          ;; lsn: HI/LO, '' or null
          (local.set $at (call $stringOrNull (local.get $at)))
          (br_if $value (i32.eqz (local.get $at)))
          (br_if $value (i32.eq (global.get $spanStart) (i32.const -1)))
          (if (i32.eqz (call $lsn (local.get $record))) (then (return (i32.const 0))))
          (br $value))
        ;; primary_keys
        (local.set $at (call $arrayOrNull (local.get $at) (i32.const 1))))
      (if (i32.eqz (local.get $at)) (then (return (i32.const 0))))
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 44))
        (then
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (br $member))))
    (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 125)) (then (return (i32.const 0))))
    ;; schema and table are required.
    (if (i32.ne (i32.and (local.get $seen) (i32.const 6)) (i32.const 6)) (then (return (i32.const 0))))
    (i32.add (local.get $at) (i32.const 1)))

  ;; The envelope of the line at $line into the record. Returns where the payload's value starts, or 0 if
  ;; the envelope is not recognized. (Every token stops at a newline, so neither is past the line's end.)
  (func $envelope (param $line i32) (param $record i32) (result i32)
    (local $at i32)
    (local $seen i32)
    (local $key i32)
    (local $len i32)
    (local $code i32)
    (if (i32.ne (i32.load8_u (local.get $line)) (i32.const 123)) (then (return (i32.const 0))))
    (local.set $at (i32.add (local.get $line) (i32.const 1)))
    (loop $member
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (local.set $at (call $string (local.get $at)))
      (if (i32.eqz (local.get $at)) (then (return (i32.const 0))))
      (local.set $len (i32.sub (global.get $spanEnd) (global.get $spanStart)))
      (local.set $key
        (call $envelopeKey
          (local.get $len)
          (call $word (global.get $spanStart) (local.get $len))
          (call $word (i32.add (global.get $spanStart) (i32.const 8)) (i32.sub (local.get $len) (i32.const 8)))))
      (if (i32.or (i32.eqz (local.get $key)) (i32.and (local.get $seen) (i32.shl (i32.const 1) (local.get $key))))
        (then (return (i32.const 0))))
      (local.set $seen (i32.or (local.get $seen) (i32.shl (i32.const 1) (local.get $key))))
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 58)) (then (return (i32.const 0))))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (block $value
        (block $payload
          (block $metadata
            (block $sortKeys
              (block $readMethod
                (block $optionalString
                  (block $sourceTimestamp
                    (block $uuid
                      (br_table $uuid $optionalString $sourceTimestamp $optionalString $readMethod
                        $optionalString $optionalString $sortKeys $metadata $payload $payload
                        (i32.sub (local.get $key) (i32.const 1))))
                    ;; uuid: a non-empty string
                    (local.set $at (call $string (local.get $at)))
                    (if (i32.eq (global.get $spanStart) (global.get $spanEnd)) (then (return (i32.const 0))))
                    (i32.store offset=8 (local.get $record) (i32.sub (global.get $spanStart) (local.get $line)))
                    (i32.store offset=12 (local.get $record) (i32.sub (global.get $spanEnd) (local.get $line)))
                    (br $value))
                  ;; source_timestamp: text in the common form, in ms (epoch milliseconds and any other form
                  ;; are left to the exact path)
                  (local.set $at (call $string (local.get $at)))
                  (br_if $value (i32.eqz (local.get $at)))
                  (if (i32.eqz (call $timestampMillis (local.get $record))) (then (return (i32.const 0))))
                  (br $value))
                ;; read_timestamp, object, stream_name, schema_key: a string or null
                (local.set $at (call $stringOrNull (local.get $at)))
                (br $value))
              ;; read_method
              (local.set $at (call $string (local.get $at)))
              (br_if $value (i32.eqz (local.get $at)))
              (local.set $code (call $readMethod))
              (if (i32.eqz (local.get $code)) (then (return (i32.const 0))))
              (i32.store offset=24 (local.get $record) (local.get $code))
              (br $value))
            ;; sort_keys
            (local.set $at (call $arrayOrNull (local.get $at) (i32.const 0)))
            (br $value))
          ;; source_metadata
          (local.set $at (call $metadata (local.get $at) (local.get $line) (local.get $record)))
          (br $value))
        ;; payload, the last field, with uuid, source_timestamp, read_method and source_metadata seen. Its
        ;; value is left to JSON.parse.
        (if (i32.ne (i32.and (local.get $seen) (i32.const 0x22a)) (i32.const 0x22a)) (then (return (i32.const 0))))
        (i32.store offset=4 (local.get $record) (i32.sub (local.get $at) (local.get $line)))
        (return (local.get $at)))
      (if (i32.eqz (local.get $at)) (then (return (i32.const 0))))
      (if (i32.le_u (i32.load8_u (local.get $at)) (i32.const 32)) (then (local.set $at (call $ws (local.get $at)))))
      (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 44))
        (then
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (br $member))))
    ;; The envelope ended (or broke off) before "payload".
    (i32.const 0))

  ;; The address of the first newline at or after $at, or $end if there is none before it.
  (func $newline (param $at i32) (param $end i32) (result i32)
    (local $mask i32)
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $mask
          (i8x16.bitmask (i8x16.eq (v128.load (local.get $at)) (i8x16.splat (i32.const 10)))))
        (if (local.get $mask)
          (then
            ;; Zero bytes follow the input, so a newline found past its end is never there.
            (return (i32.add (local.get $at) (i32.ctz (local.get $mask))))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $blocks)))
    (local.get $end))

;; Read the lines of the input $from..$end that end with a newline, one record each at $out (at most
  ;; $capacity records). Returns how many; $resume is where the next line starts (or $end). $in is where
  ;; the input starts (line offsets in the records count from it).
  (func (export "envelopes") (param $in i32) (param $from i32) (param $end i32) (param $out i32) (param $capacity i32) (result i32)
    (local $count i32)
    (local $payload i32)
    (local $newline i32)
    (local $close i32)
    (local $record i32)
    (local $status i32)
    (block $stop
      (loop $lines
        (br_if $stop (i32.ge_u (local.get $count) (local.get $capacity)))
        (local.set $record (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 7))))
        (local.set $payload (call $envelope (local.get $from) (local.get $record)))
        ;; The newline is looked for from the payload on: the envelope's bytes were read already.
        (local.set $newline
          (call $newline
            (select (local.get $payload) (local.get $from) (local.get $payload))
            (local.get $end)))
        (br_if $stop (i32.ge_u (local.get $newline) (local.get $end)))
        ;; Recognized if the line ends with the envelope's "}" (a carriage return may follow) after the
        ;; payload's first byte.
        (local.set $status (i32.const 0))
        (if (local.get $payload)
          (then
            (local.set $close (i32.sub (local.get $newline) (i32.const 1)))
            (if (i32.eq (i32.load8_u (local.get $close)) (i32.const 13))
              (then (local.set $close (i32.sub (local.get $close) (i32.const 1)))))
            (local.set $status
              (i32.and
                (i32.eq (i32.load8_u (local.get $close)) (i32.const 125))
                (i32.gt_u (local.get $close) (local.get $payload))))))
        (i32.store (local.get $record) (local.get $status))
        (i32.store offset=72 (local.get $record) (i32.sub (local.get $from) (local.get $in)))
        (i32.store offset=76 (local.get $record) (i32.sub (local.get $newline) (local.get $in)))
        (if (local.get $status)
          (then
            (i32.store offset=64 (local.get $record) (call $riskyRange (local.get $payload) (local.get $close)))
            (i32.store offset=68 (local.get $record) (i32.sub (local.get $close) (local.get $from)))))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $from (i32.add (local.get $newline) (i32.const 1)))
        (br $lines)))
    (global.set $resume (local.get $from))
    (local.get $count))
)
