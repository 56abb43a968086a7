/**
 * Reading jars and wheels (zip files) with yauzl, which streams entries instead of loading a
 * 130 MB ONNX file into memory, and rejects entry names that would escape the target folder.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/** Copies the named entries to their destinations; returns the names the zip did not have. */
export async function extractEntries(zipPath: string, wanted: Record<string, string>): Promise<string[]> {
  const missing = new Set(Object.keys(wanted));
  await forEachFile(zipPath, async (name, open) => {
    const destination = wanted[name];
    if (destination === undefined) return;
    await writeStream(await open(), destination);
    missing.delete(name);
  });
  return [...missing];
}

/** Unpacks every file of the zip under `into`. */
export async function extractAll(zipPath: string, into: string): Promise<void> {
  await forEachFile(zipPath, async (name, open) => writeStream(await open(), join(into, name)));
}

async function forEachFile(
  zipPath: string,
  visit: (name: string, open: () => Promise<NodeJS.ReadableStream>) => Promise<void>,
): Promise<void> {
  const zip = await yauzl.openPromise(zipPath);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      await visit(entry.fileName, () => zip.openReadStreamPromise(entry));
    }
  } finally {
    zip.close();
  }
}

async function writeStream(stream: NodeJS.ReadableStream, destination: string): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  await pipeline(stream, createWriteStream(destination));
}
