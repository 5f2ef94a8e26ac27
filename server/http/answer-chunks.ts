/** Splits an answer into word-sized pieces for streaming (each `[n]` marker stays whole; spaces are kept). */
export function answerChunks(answer: string): string[] {
  return answer.match(/\S+\s*|\s+/g) ?? [];
}
