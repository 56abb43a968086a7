/**
 * Reads .safetensors files: an 8-byte little-endian header length, a JSON header mapping tensor
 * names to dtype, shape and byte offsets, then the raw little-endian data.
 */
import { readFile } from 'node:fs/promises';
import { UserFacingError } from '../errors.ts';

export interface Tensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

const HALF_EXPONENT_BIAS = 15;

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** (1 - HALF_EXPONENT_BIAS) * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - HALF_EXPONENT_BIAS) * (1 + fraction / 1024);
}

function toFloat32(dtype: string, bytes: Buffer): Float32Array {
  const count = (size: number) => bytes.length / size;
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count(4));
      for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count(2));
      for (let i = 0; i < out.length; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count(2));
      const view = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < out.length; i++) {
        view.setUint32(0, bytes.readUInt16LE(i * 2) << 16, true);
        out[i] = view.getFloat32(0, true);
      }
      return out;
    }
    default:
      throw new UserFacingError(
        'import',
        `tensor dtype ${dtype} is not supported (F32, F16 or BF16 expected)`,
      );
  }
}

export async function readSafetensors(path: string): Promise<Map<string, Tensor>> {
  const bytes = await readFile(path);
  if (bytes.length < 8) throw new UserFacingError('import', `${path} is not a safetensors file (too short)`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength <= 0 || 8 + headerLength > bytes.length)
    throw new UserFacingError('import', `${path} has a damaged safetensors header`);
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!['F32', 'F16', 'BF16'].includes(info.dtype)) continue; // e.g. I64 position_ids buffers
    const [start, end] = info.data_offsets;
    tensors.set(name, {
      dtype: info.dtype,
      shape: info.shape,
      data: toFloat32(info.dtype, bytes.subarray(base + start, base + end)),
    });
  }
  return tensors;
}
