import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type Engine, loadEngine } from './engine.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine({ indexDir: inject('seedsIndexDir') });
});

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('answers from the seed articles', () => {
  it('quotes the articles word for word: every sentence of the answer is inside its cited quote', async () => {
    const r = await engine.ask({ question: 'How many rounds of negotiations took place in Belarus?' });
    expect(r.abstained).toBe(false);
    expect(r.answer).toContain('three rounds');
    for (const part of r.answer.split(/\s*\[\d+\]\s*/).filter(Boolean)) {
      const marker = Number(r.answer.slice(r.answer.indexOf(part) + part.length).match(/\[(\d+)\]/)?.[1]);
      const cited = r.citations.find((c) => c.marker === marker);
      expect(oneLine(cited?.quote ?? '')).toContain(oneLine(part));
    }
  });

  it('finds a name in any of its spellings', async () => {
    for (const name of ['Lukashenko', 'Lukashenka', 'Lukashenco']) {
      const [top] = await engine.retrieve(`What did ${name} say about the stalemate?`, {
        mode: 'bm25',
        k: 1,
      });
      expect(top?.passage.docId).toBe('004_ec9c24d3208588b7');
    }
    const kyiv = await engine.retrieve('What does Kyiv want from Moscow?', { mode: 'bm25', k: 3 });
    expect(kyiv[0]?.passage.text).toContain('Kiev, on the other hand, wants the withdrawal');
  });

  it('abstains when no article mentions what is asked, and says which word', async () => {
    const r = await engine.ask({ question: 'What is the population of Belarus?' });
    expect(r.abstained).toBe(true);
    expect(r.answer).toBe("The articles don't say: none of them mentions “population”.");
    expect(r.citations.length).toBeGreaterThan(0);
  });

  it('does not take a year for a count', async () => {
    const r = await engine.ask({ question: 'How many soldiers were killed in the battle for Moshchun?' });
    expect(r.abstained).toBe(true);
  });

  it('answers a two-part question from both articles', async () => {
    const r = await engine.ask({ question: "What do both articles on Putin's demands say about Crimea?" });
    expect(r.abstained).toBe(false);
    expect(new Set(r.citations.map((c) => c.docId))).toEqual(
      new Set(['000_d2ab432fcddea531', '003_34b0f79b61c39af3']),
    );
  });

  it('ranks with BM25, dense and hybrid retrieval', async () => {
    for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
      const hits = await engine.retrieve('ceasefire talks in Doha', { mode, k: 5 });
      expect(hits.length).toBe(5);
      expect(hits.map((h) => h.passage.text).join(' ')).toContain('Doha');
    }
  });
});
