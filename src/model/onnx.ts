/**
 * Builds ONNX models (ModelProto) in memory. Field numbers follow onnx/onnx.proto3.
 * Used by the fixture-model generator and by the checkpoint importer, so both emit the
 * same layout that transformers.js loads through onnxruntime.
 */
import { ProtoWriter } from './protobuf.ts';

export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type TensorTypeCode = (typeof TensorType)[keyof typeof TensorType];

type AttributeValue = number | number[] | string | { floats: number[] } | { tensor: Initializer };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface Initializer {
  name: string;
  type: TensorTypeCode;
  dims: number[];
  /** Little-endian raw bytes, e.g. new Uint8Array(float32Array.buffer). */
  raw: Uint8Array;
}

export interface ValueInfo {
  name: string;
  type: TensorTypeCode;
  /** A number is a fixed size, a string a symbolic one (e.g. 'batch_size'). */
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export function floatTensor(name: string, dims: number[], values: Float32Array | number[]): Initializer {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  assertSize(name, dims, data.length);
  return {
    name,
    type: TensorType.FLOAT,
    dims,
    raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function int64Tensor(name: string, dims: number[], values: number[]): Initializer {
  assertSize(name, dims, values.length);
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, type: TensorType.INT64, dims, raw: new Uint8Array(data.buffer) };
}

function assertSize(name: string, dims: number[], length: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) throw new Error(`onnx: tensor ${name} has ${length} values for dims [${dims}]`);
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.type);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number') {
    if (Number.isInteger(value)) w.int(3, value).int(20, ATTRIBUTE_TYPE.INT);
    else w.float(2, value).int(20, ATTRIBUTE_TYPE.FLOAT);
  } else if (typeof value === 'string') {
    w.string(4, value).int(20, ATTRIBUTE_TYPE.STRING);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, ATTRIBUTE_TYPE.INTS);
  } else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, ATTRIBUTE_TYPE.FLOATS);
  } else {
    w.message(5, (t) => writeTensor(t, value.tensor)).int(20, ATTRIBUTE_TYPE.TENSOR);
  }
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.type);
      tensor.message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

function writeNode(w: ProtoWriter, node: OnnxNode, index: number): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name ?? `${node.op}_${index}`);
  w.string(4, node.op);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(5, (a) => writeAttribute(a, name, value));
  }
  if (node.domain) w.string(7, node.domain);
}

/** Serialises a graph as an ONNX model file (IR version 8, default opset 17). */
export function encodeModel(graph: OnnxGraph, opset = 17, producer = 'quarry'): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8); // ir_version
  w.string(2, producer);
  w.message(7, (g) => {
    graph.nodes.forEach((node, i) => {
      g.message(1, (n) => writeNode(n, node, i));
    });
    g.string(2, graph.name);
    for (const init of graph.initializers) g.message(5, (t) => writeTensor(t, init));
    for (const input of graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
  });
  w.message(8, (o) => o.string(1, '').int(2, opset));
  return w.finish();
}
