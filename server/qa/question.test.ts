import { describe, expect, it } from 'vitest';
import { buildBm25, idf, searchBm25 } from '../../store/lexical/bm25.ts';
import { analyseQuestion, answerCategory, countedThing, questionType } from './question.ts';
import { stemWord, terms, words } from '../../store/lexical/words.ts';
import { editDistance, Vocabulary } from './variants.ts';

describe('reading a question', () => {
  it.each([
    ['Who heads the Ukrainian Center for countering disinformation?', 'who'],
    ['When did the incursion begin?', 'when'],
    ['In which month did deliveries start?', 'when'],
    ['Where were the talks due to take place?', 'where'],
    ['How many troops did Ukraine deploy?', 'how-many'],
    ['Why did the talks fall through?', 'why'],
    ['Does Lukashenko think preconditions are needed?', 'yes-no'],
    ['What did Lukashenko say about peace talks?', 'what'],
    // An auxiliary first asks yes or no, whatever wh-word a later clause has.
    ['Was construction behind schedule when FDR gave his address?', 'yes-no'],
    // "When does…" in the present asks on what condition: no date is required.
    ['When does the CLI exit with a failure status?', 'what'],
    ['How fast does the missile fly?', 'how-many'],
    ['How often are releases published?', 'how-many'],
    // Where someone stands on something is a view, not a place.
    ['Where did Eisenhower stand on socialized medicine?', 'what'],
    ['Where does the project stand?', 'what'],
    // A "when" inside a clause sets a condition; the question is the sentence that asks.
    ['My app throws "not supported" when I generate UUIDs. What package fixes that?', 'what'],
    ['How do I make picomatch ignore case differences when matching?', 'what'],
    ['And the event that fires only when a new client gets connected?', 'what'],
    ['And in Afghanistan, when could US troops start coming home?', 'when'],
    ['Remind me when the treaty was signed?', 'when'],
    ['Why had the American minister at St. Petersburg been instructed to negotiate?', 'why'],
  ])('%s → %s', (q, type) => {
    expect(questionType(q)).toBe(type);
  });

  it('finds what a "how many" question counts', () => {
    expect(countedThing('How many Ukrainian troops did he say were at the border?')).toEqual([
      'ukrainian',
      'troops',
    ]);
    expect(countedThing('Who is he?')).toEqual([]);
  });

  it('treats the noun after what/which as the answer category, not a required word', () => {
    expect([...answerCategory('Which news organisation interviewed Lukashenko?')]).toEqual(
      expect.arrayContaining([stemWord('organisation')]),
    );
    // A name inside the phrase is part of it, whatever its tag: "Associated" reads as a verb.
    expect([...answerCategory('Which Associated Press journalist interviewed Lukashenko?')]).toEqual([stemWord('journalist')]);
    const q = analyseQuestion('What position does Mikhail Podolyak hold?');
    expect(q.terms.find((t) => t.word === 'position')?.weight).toBeLessThan(1);
    expect(q.terms.find((t) => t.word === 'podolyak')?.weight).toBe(1);
  });

  it('carries the subject of the conversation into a follow-up that says "he"', () => {
    const q = analyseQuestion('What did he say about nuclear weapons?', [
      { role: 'user', content: 'What did Lukashenko say about peace talks?' },
      { role: 'assistant', content: 'We need to sit down at the negotiating table. [1]' },
    ]);
    expect(q.searchText).toContain('lukashenko');
    const carried = q.terms.find((t) => t.word === 'lukashenko');
    expect(carried?.weight).toBeGreaterThan(0);
    expect(carried?.weight).toBeLessThan(1);
  });

  it('carries the whole question before into one that leaves it out ("And the following year?")', () => {
    const history = [
      { role: 'user' as const, content: 'What size federal deficit did Ford expect in 1975?' },
      { role: 'assistant' as const, content: 'He said "This year\'s Federal deficit will be about $30 billion."' },
    ];
    const q = analyseQuestion('And the following year?', history);
    const carried = q.terms.filter((t) => !t.own).map((t) => t.word);
    expect(carried).toEqual(expect.arrayContaining(['deficit', 'ford']));
    expect(q.terms.find((t) => t.word === 'ford')?.entity).toBe(true);
    // A question that stands on its own carries nothing.
    expect(analyseQuestion('How large was the national debt in 1975?', history).terms.every((t) => t.own)).toBe(true);
  });

  it('after a who-question, takes "he" to be the one answered with, not the one asked about', () => {
    const weight = (q: ReturnType<typeof analyseQuestion>, word: string) => q.terms.find((t) => t.word === word)?.weight ?? 0;
    const told = analyseQuestion('How old is he?', [
      { role: 'user', content: 'Who told Lukashenko about "positive changes" in the negotiations?' },
      { role: 'assistant', content: 'Russian President Vladimir Putin, at a meeting with Lukashenko. [1]' },
    ]);
    expect(weight(told, 'putin')).toBeGreaterThan(weight(told, 'lukashenko'));
    expect(weight(told, 'lukashenko')).toBeGreaterThan(0);
    // "Who is <name>?" asks about the one named: "he" is still that one.
    const defined = analyseQuestion('When was he appointed?', [
      { role: 'user', content: 'Who is Mikhail Podolyak?' },
      { role: 'assistant', content: "An adviser to the head of Ukraine's President's Office." },
    ]);
    expect(weight(defined, 'podolyak')).toBeGreaterThan(weight(defined, 'ukraine'));
  });

  it('carries the option or flag a technical conversation is about into "that option", "it"', () => {
    const q = analyseQuestion("What's its default value?", [
      { role: 'user', content: 'What does the hideCursor option do in cli-progress?' },
      { role: 'assistant', content: 'It hides the cursor while the bar runs.' },
    ]);
    // The identifier is the subject (itself and its words): not every word of the previous question.
    expect(q.terms.filter((t) => !t.own).map((t) => t.word)).toEqual(['hidecursor', 'hide', 'cursor']);
    const fromAnswer = analyseQuestion('What does that option default to?', [
      { role: 'user', content: 'Which option sets the spaces between table columns?' },
      { role: 'assistant', content: 'That is the `colSpacing` option of the dataTable formatter.' },
    ]);
    expect(fromAnswer.terms.map((t) => t.word)).toContain('colspacing');
    expect(analyseQuestion("Why don't the bars stop?").terms.map((t) => t.word)).toEqual(['bars', 'stop']);
  });

  it('does not take a semi-modal ("supposed to", "going to") for a key word', () => {
    const words = analyseQuestion('Where were the ceasefire talks supposed to be held?').terms.map((t) => t.word);
    expect(words).toEqual(['ceasefire', 'talks', 'held']);
    expect(analyseQuestion('What is the supposed cause of the fire?').terms.map((t) => t.word)).toContain('supposed');
  });

  it('leaves a self-contained question alone', () => {
    const q = analyseQuestion('How many troops did Ukraine deploy along the border with Belarus?', [
      { role: 'user', content: 'Who is Hanna Liubakova?' },
    ]);
    expect(q.terms.every((t) => t.weight !== 0.6)).toBe(true);
  });
});

describe('words and terms', () => {
  it('folds curly quotes, keeps numbers whole and drops question scaffolding', () => {
    expect(words('Lukashenko’s “120,000 troops”')).toEqual(['lukashenko', '120000', 'troops']);
    expect(terms('What did Putin say about the talks?')).toEqual(['putin', 'talk']);
  });

  it('splits plain ASCII text by the same rules: abbreviations, possessives, hyphens, contractions, numbers', () => {
    expect(words("The U.S. Congress's co-op didn't run 1,250.5 miles")).toEqual([
      'the', 'u', 's', 'congress', 'co', 'op', 'didnt', 'run', '1250.5', 'miles',
    ]);
  });

  it('reads a camel-case identifier as itself and as its words, so "buffer length" finds `bufferLength`', () => {
    expect(words('`bufferLength` and initWebAssemblySync() in HdrHistogramJS')).toEqual([
      'bufferlength', 'buffer', 'length', 'and', 'initwebassemblysync', 'init', 'web', 'assembly', 'sync', 'in',
      'hdrhistogramjs', 'hdr', 'histogram', 'js',
    ]);
    // Capitalised and all-capital words are one word each, and so is an initialism's plural.
    expect(words('NATO met Kennedy in New-York about UUIDs')).toEqual(['nato', 'met', 'kennedy', 'in', 'new', 'york', 'about', 'uuids']);
  });

  it('knows the verb and adverb phrases of a question, whose synonyms its single words lack', () => {
    const phrase = (q: string) => analyseQuestion(q).terms.filter((t) => t.phrase).map((t) => [t.word, t.phrase]);
    expect(phrase('What does read(n) give back when fewer bytes are buffered?')).toEqual([['back', 'give_back']]);
    expect(phrase('How do I get rid of a task I added?')).toEqual([['rid', 'get_rid_of']]);
    expect(phrase('Can I close the connections right away?')).toEqual([
      ['right', 'right_away'],
      ['away', 'right_away'],
    ]);
    expect(phrase('How many troops crossed the border?')).toEqual([]);
    // A verb before a preposition is no phrase: "call in" here is not "summon".
    expect(phrase('What function do I call in mustache to render a template?')).toEqual([]);
  });
});

describe('spelling variants', () => {
  it('bounds the edit distance', () => {
    expect(editDistance('lukashenka', 'lukashenko', 2)).toBe(1);
    expect(editDistance('kyiv', 'moscow', 1)).toBe(2);
  });

  it('maps transliterations and near-spellings onto the corpus vocabulary', () => {
    const vocab = new Vocabulary(new Set(['kiev', 'lukashenko', 'zelenski', 'negoti']));
    expect(vocab.variants(stemWord('kyiv'))).toEqual(['kiev']);
    expect(vocab.variants(stemWord('lukashenka'))).toEqual(['lukashenko']);
    expect(vocab.variants(stemWord('zelenskyy'))).toContain('zelenski');
    // Short words are not fuzzed: "talks" must not match "walks".
    expect(new Vocabulary(new Set(['walk'])).variants('talk')).toEqual([]);
    // A long word may be two letters off though its stem is short: "Eisenhauer" (stem "eisenhau") is Eisenhower.
    const eisenhower = new Vocabulary(new Set([stemWord('eisenhower')]));
    expect(eisenhower.variants(stemWord('eisenhauer'), true, 'eisenhauer'.length)).toEqual([stemWord('eisenhower')]);
    expect(eisenhower.variants(stemWord('eisenhauer'), true)).toEqual([]);
  });

  it('reads a near-spelling of a word the corpus uses as another word, unless it is a name', () => {
    const vocab = new Vocabulary(new Set(['project', 'protect', 'nation', 'notion', 'zelenski', 'zelenskij']));
    expect(vocab.variants('project')).toEqual([]);
    expect(vocab.variants('nation')).toEqual([]);
    // A word the corpus lacks is a misspelling of the nearest one it has.
    expect(vocab.variants('projekt')).toEqual(['project']);
    // Two spellings of one name in different documents are the same person.
    expect(vocab.variants('zelenski', true)).toEqual(['zelenskij']);
  });
});

describe('BM25', () => {
  const index = buildBm25([
    'The minister opened the new bridge on Monday.',
    'Troops were deployed along the border.',
    'The bridge cost two million and the bridge is long.',
  ]);

  it('ranks by the query terms, rarer terms weighing more', () => {
    const hits = searchBm25(index, new Map([[stemWord('bridge'), 1]]), 3);
    expect(hits.map(([i]) => i)).toEqual([2, 0]);
    expect(idf(index, stemWord('troops'))).toBeGreaterThan(idf(index, stemWord('bridge')));
  });

  it('returns nothing for a term the corpus lacks', () => {
    expect(searchBm25(index, new Map([['population', 1]]), 3)).toEqual([]);
  });
});
