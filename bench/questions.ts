/**
 * Questions a reader of the State of the Union corpus might ask: every question type the answer composer
 * handles (who, when, where, how many, why, yes/no, what), follow-ups with history, and questions the corpus
 * can't answer (abstentions take their own path). Latency and load tests cycle through them together with
 * known-item queries, so no single cached or trivial path dominates.
 */
export interface BenchQuestion {
  question: string;
  history?: { role: 'user' | 'assistant'; content: string }[];
}

const plain = [
  'What did the president say about the tariff?',
  'Why did the president ask Congress to reduce taxes?',
  'How many men served in the Army?',
  'When was the Panama Canal opened?',
  'Where did the treaty negotiations take place?',
  'Who commanded the Navy squadron in the Pacific?',
  'What was proposed about the national debt?',
  'How much revenue did the customs duties bring in?',
  'What did the president say about slavery?',
  'Why was the Bank of the United States opposed?',
  'What are the plans for health care reform?',
  'How many Indians were removed west of the Mississippi?',
  'What happened to the price of gold?',
  'What did the message say about the Soviet Union and nuclear weapons?',
  'When did the war with Mexico end?',
  'What was said about the railroads and interstate commerce?',
  'Who should regulate the trusts and great corporations?',
  'What did he propose for Social Security?',
  'Is the state of the Union strong?',
  'What was said about immigration and citizenship?',
  'How large was the surplus in the Treasury?',
  'Why did the president veto the bill?',
  'What did the president say about terrorism and Iraq?',
  'Where should new post offices be built?',
  'What did the address say about education and schools?',
  'How many miles of public roads were built?',
  'What was said about the civil service reform?',
  'Did Congress pass the income tax amendment?',
  'What did the president say about climate change and clean energy?',
  'Who negotiated the peace with Spain?',
  'What did Lukashenko say about peace talks?',
  'How many Bitcoin transactions were processed?',
  'What is the capital of Australia?',
];

const followUps: BenchQuestion[] = [
  {
    question: 'What did he say about its cost?',
    history: [
      { role: 'user', content: 'What did the president say about the Panama Canal?' },
      { role: 'assistant', content: 'The canal is being built.' },
    ],
  },
  {
    question: 'Why did they oppose it?',
    history: [
      { role: 'user', content: 'What was said about the Bank of the United States?' },
      { role: 'assistant', content: 'The bank was discussed.' },
    ],
  },
];

export const QUESTIONS: BenchQuestion[] = [...plain.map((question) => ({ question })), ...followUps];
