// One seedable pseudo-random generator (mulberry32: 32-bit integer arithmetic, full period) for every
// generated workload — fuzz cases, chaos histories, benchmark data — so any run can be replayed from its
// seed.

export type Random = () => number;

/** Numbers in [0, 1) from a 32-bit seed. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
