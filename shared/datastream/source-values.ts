// Typed payload values that come from Avro (JSON gives plain JSON values). Each says what it already
// is, so coercion never has to guess between, say, a day number and an integer column value.

/** A timestamp already in µs since the epoch (UTC for zoned values; wall clock for naive ones). */
export class TimestampMicros {
  constructor(readonly micros: bigint) {}
}

/** A date as days since 1970-01-01. */
export class DateDays {
  constructor(readonly days: number) {}
}

/** A time of day in µs since midnight. */
export class TimeOfDayMicros {
  constructor(readonly micros: bigint) {}
}

/** An exact decimal: unscaled digits at a scale (Avro decimal logical type). */
export class ScaledDecimal {
  constructor(
    readonly unscaled: bigint,
    readonly scale: number,
  ) {}
}

/** JSON document text (Avro `json`/`Json` logical type): stored as canonical JSON text. */
export class JsonDocumentText {
  constructor(readonly text: string) {}
}
