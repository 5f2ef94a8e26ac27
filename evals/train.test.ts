import { describe, expect, it } from 'vitest';
import { chooseThreshold, type Outcome, utility } from './train.ts';

let n = 0;
const many = (count: number, probability: number, answerable: boolean, correct: boolean): Outcome[] =>
  Array.from({ length: count }, () => ({ set: 'dev', id: String(n++), answerable, probability, correct }));

describe('the abstention threshold', () => {
  it('sits on the broad plateau of utility, not on a spike one grid step wide', () => {
    const outcomes = [
      ...many(10, 0.25, false, false), // unanswerable, abstained on above 0.25
      ...many(6, 0.45, true, true), // right answers, kept up to 0.45
      ...many(6, 0.695, false, false),
      ...many(3, 0.7, true, true),
      ...many(6, 0.705, true, true),
    ];
    // The single best point is 0.70 (between the unanswerable at 0.695 and the right answers at 0.705)...
    expect(utility(outcomes, 0.7)).toBeGreaterThan(utility(outcomes, 0.35));
    expect(utility(outcomes, 0.69)).toBeLessThan(utility(outcomes, 0.35));
    expect(utility(outcomes, 0.71)).toBeLessThan(utility(outcomes, 0.35));
    // ...but a threshold there keeps its utility only if the next questions fall exactly as these did.
    const t = chooseThreshold(outcomes);
    expect(t).toBeGreaterThan(0.25);
    expect(t).toBeLessThanOrEqual(0.45);
  });
});
