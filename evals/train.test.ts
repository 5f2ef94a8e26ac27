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

  it('takes the lowest point of a flat plateau: answering where the utility cannot tell the difference', () => {
    const outcomes = [...many(10, 0.2, false, false), ...many(10, 0.7, true, true), ...many(2, 0.8, true, false)];
    // Every threshold between 0.2 and 0.7 scores the same: abstains on the unanswerable, answers the rest.
    expect(utility(outcomes, 0.3)).toBe(utility(outcomes, 0.6));
    const t = chooseThreshold(outcomes);
    expect(t).toBeGreaterThan(0.2);
    expect(t).toBeLessThan(0.3);
  });
});
