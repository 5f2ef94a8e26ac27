// The JSON files next to onnx/model.onnx that make transformers.js treat the model as a BERT encoder.

export const PAD_TOKEN = '[PAD]';
export const UNK_TOKEN = '[UNK]';
export const SPECIAL_TOKENS = [PAD_TOKEN, UNK_TOKEN] as const;
export const MODEL_MAX_LENGTH = 512;

/** `vocab` lists every token in id order, specials first. */
export function tokenizerJson(vocab: readonly string[]): string {
  // Written by hand so the vocabulary keeps id order (an object would move numeric keys like "1990" first).
  const vocabJson = vocab.map((token, id) => `${JSON.stringify(token)}:${id}`).join(',');
  const rest = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    // GloVe 6B is lowercased and has no accented words at all, so stripping accents maps "café" to a known word.
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: true,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    // No [CLS]/[SEP]: they would be extra rows in every mean.
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  };
  const model = `{"type":"WordPiece","unk_token":${JSON.stringify(UNK_TOKEN)},"continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{${vocabJson}}}`;
  // Splice the model in as the last key: a 200k-entry vocabulary is the bulk of the file.
  return `${JSON.stringify(rest).slice(0, -1)},"model":${model}}\n`;
}

export function tokenizerConfigJson(): string {
  return json({
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    strip_accents: true,
    tokenize_chinese_chars: true,
    pad_token: PAD_TOKEN,
    unk_token: UNK_TOKEN,
    model_max_length: MODEL_MAX_LENGTH,
    clean_up_tokenization_spaces: true,
  });
}

export function modelConfigJson(vocabSize: number, hiddenSize: number): string {
  return json({
    model_type: 'bert',
    architectures: ['BertModel'],
    vocab_size: vocabSize,
    hidden_size: hiddenSize,
    max_position_embeddings: MODEL_MAX_LENGTH,
    pad_token_id: 0,
    'transformers.js_config': { dtype: 'fp32' },
  });
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
