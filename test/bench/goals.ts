// The benchmark's goals: each figure next to its goal, met or not. A figure the run did not measure
// (a mode left out, PyIceberg skipped) is shown as not measured, never as met.

export interface Goal {
  name: string;
  value: number | null;
  goal: string;
  met: boolean | null;
}

export function atLeast(name: string, value: number | null, least: number): Goal {
  return { name, value, goal: `>= ${least}`, met: value === null ? null : value >= least };
}

export function atMost(name: string, value: number | null, most: number): Goal {
  return { name, value, goal: `<= ${most}`, met: value === null ? null : value <= most };
}

export function printGoals(goals: readonly Goal[], note: string): void {
  const width = Math.max(...goals.map((g) => g.name.length));
  console.log(`goals (${note}):`);
  for (const g of goals) {
    const verdict = g.met === null ? 'not measured' : g.met ? 'met' : 'NOT MET';
    console.log(
      `  ${g.name.padEnd(width)}  ${String(g.value ?? '-').padStart(9)}  goal ${g.goal.padEnd(6)}  ${verdict}`,
    );
  }
}
