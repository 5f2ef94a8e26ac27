import onnxProto from 'onnx-proto';
import type { QuantizedRows } from './sif.ts';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

const OPSET = 13;
const IR_VERSION = 7; // the IR version that goes with opset 13

/**
 * An embedding lookup that transformers.js can run as a BERT encoder:
 * last_hidden_state[b, s, :] = float(rows[input_ids[b, s]]) × scales[input_ids[b, s]].
 * `attention_mask` is declared because transformers.js feeds whichever inputs the session lists and mean
 * pooling reads the mask from the tokenizer anyway; `token_type_ids` is deliberately not declared, so
 * transformers.js neither requires nor synthesises it.
 */
export function encodeEmbeddingModel({ values, scales }: QuantizedRows, dimensions: number): Uint8Array {
  const vocabSize = scales.length;
  const batchBySequence = [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }];
  const tokenInput = (name: string) => ({
    name,
    type: { tensorType: { elemType: DataType.INT64, shape: { dim: batchBySequence } } },
  });

  const graph = {
    name: 'footnote_word_embeddings',
    initializer: [
      {
        name: 'embeddings_int8',
        dataType: DataType.INT8,
        dims: [vocabSize, dimensions],
        rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      },
      { name: 'embeddings_scale', dataType: DataType.FLOAT, dims: [vocabSize], rawData: float32LE(scales) },
      { name: 'last_axis', dataType: DataType.INT64, dims: [1], int64Data: [2] },
    ],
    input: [tokenInput('input_ids'), tokenInput('attention_mask')],
    node: [
      {
        opType: 'Gather',
        input: ['embeddings_int8', 'input_ids'],
        output: ['rows_int8'],
        name: 'gather_rows',
      },
      {
        opType: 'Cast',
        input: ['rows_int8'],
        output: ['rows'],
        name: 'cast_rows',
        attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }],
      },
      {
        opType: 'Gather',
        input: ['embeddings_scale', 'input_ids'],
        output: ['row_scale'],
        name: 'gather_scale',
      },
      {
        opType: 'Unsqueeze',
        input: ['row_scale', 'last_axis'],
        output: ['row_scale_3d'],
        name: 'unsqueeze_scale',
      },
      { opType: 'Mul', input: ['rows', 'row_scale_3d'], output: ['last_hidden_state'], name: 'dequantize' },
    ],
    output: [
      {
        name: 'last_hidden_state',
        type: {
          tensorType: {
            elemType: DataType.FLOAT,
            shape: { dim: [...batchBySequence, { dimValue: dimensions }] },
          },
        },
      },
    ],
  };

  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'footnote',
    graph,
  }).finish();
}

/** Little-endian bytes regardless of the host, so builds are byte-identical everywhere. */
function float32LE(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, value] of values.entries()) view.setFloat32(i * 4, value, true);
  return bytes;
}
