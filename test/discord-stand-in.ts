/**
 * A local stand-in of Discord that real discord.js talks to: REST over HTTP (point discord.js's
 * `rest.api` at `${url}/api`) and the gateway over WebSocket (`GET /api/v10/gateway/bot` names
 * it). It speaks HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats and their ACKs, RESUME, and
 * dispatches INTERACTION_CREATE on demand. It knows shards: IDENTIFY's `shard: [id, count]` picks
 * the guilds of that shard (`(guild_id >> 22) % count`, as Discord does), and each interaction
 * goes to its guild's shard (or, to simulate a guild that moved after a re-shard, to the shard
 * a test names). It records interaction callbacks and webhook calls so
 * tests can assert on what a member would see.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export const APPLICATION_ID = '100000000000000001';
export const BOT_USER_ID = '100000000000000001';
export const GUILD_ID = '200000000000000002';
/** A second server, so tests can prove one server's sources never reach another. */
export const OTHER_GUILD_ID = '200000000000000022';
export const GUILD_IDS = [GUILD_ID, OTHER_GUILD_ID];
export const CHANNEL_ID = '300000000000000003';
const BOT_USER = {
  id: BOT_USER_ID,
  username: 'Quarry',
  discriminator: '0',
  avatar: null,
  bot: true,
  global_name: null,
};
export const MODERATOR_ROLE_ID = '500000000000000005';
/** The bot harness lists this member in BOT_OWNER_IDS: the one who may change shared sources. */
export const OWNER_ID = '400000000000000888';
/** The option that makes /reload (and /sources changes) act on the shared sources. */
export const SHARED_OPTION = { name: 'shared', type: 5, value: true };
export const MANAGE_GUILD = 1n << 5n;
export const SEND_MESSAGES = 1n << 11n;

export interface RecordedCall {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
  /** Attachments of a multipart request (files[n] parts), in order. */
  files: { name: string; contentType: string; data: Buffer }[];
  at: number;
}

export interface Member {
  id: string;
  roles?: string[];
  /** Permissions the member has in the channel, as Discord computes them. */
  permissions?: bigint;
}

export interface CommandOption {
  name: string;
  type: number;
  value?: string | boolean;
  focused?: boolean;
  /** A subcommand's own options (type 1). */
  options?: CommandOption[];
}

export interface AttachmentData {
  id: string;
  filename: string;
  size: number;
  url: string;
  content_type?: string;
}

export interface InteractionOptions {
  name: string;
  options?: CommandOption[];
  member?: Member;
  type?: 2 | 4;
  /** Which server the interaction comes from (default GUILD_ID). */
  guildId?: string;
  /** Deliver through this shard instead of the guild's own (a guild that moved shards). */
  shard?: number;
  /** Attachments referenced by attachment options (type 11), by id. */
  attachments?: AttachmentData[];
  /** Application command type: 1 slash command (default), 3 message command. */
  commandType?: 1 | 3;
  /** For a message command: the message it was used on (resolved.messages[target_id]). */
  targetMessage?: { id?: string; content: string; authorId?: string };
}

/** A button click (interaction type 3) on a message the bot sent earlier. */
export interface ComponentOptions {
  customId: string;
  member?: Member;
  /** Which server the click comes from (default GUILD_ID). */
  guildId?: string;
  /** The shard whose connection receives it (default: the server's shard, as Discord routes). */
  shard?: number;
  /** The message the button is on; flags 64 for an ephemeral one. */
  message?: { id?: string; content?: string; flags?: number; components?: unknown[] };
}

export interface StandIn {
  url: string;
  restApi: string;
  calls: RecordedCall[];
  identifies: number;
  resumes: number;
  /** The intents bitfield of the last IDENTIFY. */
  identifyIntents: number | null;
  /** Shard ids that have identified and are connected, ascending. */
  connectedShards: number[];
  /** Makes the next `count` REST calls whose path matches answer with `status` (429 or 500). */
  failNext(pattern: RegExp, status: number, count?: number): void;
  /** Forgets failures set up by failNext that have not happened yet. */
  clearFailures(): void;
  dispatchInteraction(options: InteractionOptions): { id: string; token: string; sentAt: number };
  /** A member clicks a button (type 3, component type 2) on a message of the bot. */
  dispatchComponent(options: ComponentOptions): { id: string; token: string; sentAt: number };
  /** Callbacks and webhook calls made for one interaction, in order. */
  callsFor(interaction: { id: string; token: string }): RecordedCall[];
  /** Resolves when a call for the interaction matches `predicate`. */
  waitFor(
    interaction: { id: string; token: string },
    predicate: (call: RecordedCall) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedCall>;
  dropConnection(): void;
  /** Sends INVALID_SESSION (opcode 9); `resumable` is its d field. */
  invalidateSession(resumable: boolean): void;
  waitForIdentify(count: number, timeoutMs?: number): Promise<void>;
  waitForResume(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

let snowflakeCounter = 0n;
function snowflake(): string {
  snowflakeCounter++;
  return ((BigInt(Date.now() - 1420070400000) << 22n) + snowflakeCounter).toString();
}

/** The shard Discord delivers a guild's events on. */
export function shardOf(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}

function memberUser(id: string): Record<string, unknown> {
  return { id, username: `member${id.slice(-3)}`, discriminator: '0', avatar: null, global_name: null };
}

function guildPayload(guildId = GUILD_ID): Record<string, unknown> {
  const channelId = channelOf(guildId);
  return {
    id: guildId,
    name: guildId === GUILD_ID ? 'Quarry Test Server' : 'Quarry Other Server',
    icon: null,
    owner_id: '900000000000000009',
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      {
        id: guildId,
        name: '@everyone',
        permissions: '0',
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
      {
        id: MODERATOR_ROLE_ID,
        name: 'Moderators',
        permissions: '0',
        position: 1,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: true,
        flags: 0,
      },
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_flags: 0,
    premium_tier: 0,
    preferred_locale: 'en-US',
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: new Date().toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [],
    channels: [
      {
        id: channelId,
        type: 0,
        name: 'general',
        position: 0,
        permission_overwrites: [],
        guild_id: guildId,
      },
    ],
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
  };
}

/** Each server has its own #general. */
function channelOf(guildId: string): string {
  return guildId === GUILD_ID ? CHANNEL_ID : `3${guildId.slice(1)}`;
}

function memberPayload(member: Member): Record<string, unknown> {
  return {
    user: memberUser(member.id),
    roles: member.roles ?? [],
    permissions: String(member.permissions ?? 0n),
    joined_at: new Date().toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
  };
}

function messagePayload(body: Record<string, unknown> | null, id = snowflake()): Record<string, unknown> {
  return {
    id,
    type: 0,
    channel_id: CHANNEL_ID,
    content: body?.content ?? '',
    embeds: body?.embeds ?? [],
    components: [],
    attachments: [],
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    flags: body?.flags ?? 0,
    author: BOT_USER,
    webhook_id: APPLICATION_ID,
    application_id: APPLICATION_ID,
  };
}

async function readBody(
  req: IncomingMessage,
): Promise<{ body: Record<string, unknown> | null; files: RecordedCall['files'] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return { body: null, files: [] };
  const raw = Buffer.concat(chunks);
  const contentType = req.headers['content-type'] ?? '';
  if (contentType.includes('multipart/form-data')) {
    // Node's own (undici) multipart parser: binary attachments stay byte-exact.
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const files: RecordedCall['files'] = [];
    for (const [key, value] of form.entries()) {
      if (key.startsWith('files[') && typeof value !== 'string') {
        files.push({
          name: value.name,
          contentType: value.type,
          data: Buffer.from(await value.arrayBuffer()),
        });
      }
    }
    const json = form.get('payload_json');
    return { body: typeof json === 'string' ? (JSON.parse(json) as Record<string, unknown>) : null, files };
  }
  const text = raw.toString('utf8');
  return { body: text ? (JSON.parse(text) as Record<string, unknown>) : null, files: [] };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Discord sends no body (and no content-type) for 204; discord.js would fail to parse one. */
function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** `acceptToken`: when set, REST calls with another bot token get 401 like Discord's. */
export async function startDiscordStandIn(
  options: {
    acceptToken?: string;
    /** What GET /gateway/bot recommends (default 1). */
    shards?: number;
    /** The servers the bot is in (default GUILD_IDS). */
    guildIds?: string[];
  } = {},
): Promise<StandIn> {
  const guildIds = options.guildIds ?? GUILD_IDS;
  const calls: RecordedCall[] = [];
  const failures: { pattern: RegExp; status: number; count: number }[] = [];
  const sessionId = randomBytes(8).toString('hex');
  let sequence = 0;
  // Waiters are checked only against calls of their own interaction (indexed by token), so a
  // burst of hundreds of interactions does not make the stand-in itself the bottleneck.
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  const callsByToken = new Map<string, RecordedCall[]>();
  const tokenWaiters = new Map<string, Set<() => void>>();
  const tokenOf = (path: string) => /\/(?:interactions\/\d+|webhooks\/\d+)\/([^/]+)/.exec(path)?.[1];
  /** Connected gateway sockets by shard id, and the shard count they identified with. */
  const sockets = new Map<number, WebSocket>();
  let shardCount = 1;
  const state = { identifies: 0, resumes: 0, intents: null as number | null };
  const commands = new Map<string, unknown[]>();

  async function handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    const method = req.method ?? 'GET';
    const { body, files } = await readBody(req);
    const call = { method, path, body, files, at: Date.now() };
    calls.push(call);
    const token = tokenOf(path);
    if (token) {
      const list = callsByToken.get(token) ?? [];
      list.push(call);
      callsByToken.set(token, list);
      for (const waiter of [...(tokenWaiters.get(token) ?? [])]) waiter();
    }
    const auth = req.headers.authorization;
    if (options.acceptToken && auth?.startsWith('Bot ') && auth !== `Bot ${options.acceptToken}`) {
      sendJson(res, 401, { message: '401: Unauthorized', code: 0 });
      return;
    }
    const failure = failures.find((f) => f.count > 0 && f.pattern.test(path));
    if (failure) {
      failure.count--;
      if (failure.status === 429) {
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': '0.2',
          'x-ratelimit-scope': 'user',
        });
        res.end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.2, global: false }));
      } else {
        // The path (with the interaction token) in the message, so tests can prove logs redact it.
        sendJson(res, failure.status, { message: `Simulated failure for ${method} ${path}`, code: 0 });
      }
      return;
    }
    if (method === 'GET' && path === '/api/v10/gateway/bot') {
      sendJson(res, 200, {
        url: `ws://127.0.0.1:${port}`,
        shards: options.shards ?? 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
      return;
    }
    if (method === 'POST' && /^\/api\/v10\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      sendNoContent(res);
      return;
    }
    const webhook = /^\/api\/v10\/webhooks\/\d+\/[^/]+(\/messages\/(@original|\d+))?$/.exec(path);
    if (webhook) {
      if (method === 'DELETE') sendNoContent(res);
      else sendJson(res, 200, messagePayload(body));
      return;
    }
    const commandList = /^\/api\/v10\/applications\/\d+(\/guilds\/\d+)?\/commands$/.exec(path);
    if (commandList) {
      if (method === 'PUT') {
        const list = (Array.isArray(body) ? body : []).map((c: Record<string, unknown>) => ({
          id: snowflake(),
          application_id: APPLICATION_ID,
          version: snowflake(),
          ...c,
        }));
        commands.set(path, list);
        sendJson(res, 200, list);
      } else sendJson(res, 200, commands.get(path) ?? []);
      return;
    }
    sendJson(res, 404, { message: `stand-in has no route ${method} ${path}`, code: 0 });
  }

  const server: Server = createServer((req, res) => {
    handleRest(req, res).catch((error) => sendJson(res, 500, { message: String(error) }));
  });
  const wss = new WebSocketServer({ server });
  const sendTo = (ws: WebSocket | undefined, payload: Record<string, unknown>) =>
    ws?.send(JSON.stringify(payload));
  const dispatchTo = (ws: WebSocket | undefined, t: string, d: unknown) =>
    sendTo(ws, { op: 0, t, s: ++sequence, d });

  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 } }));
    ws.on('close', () => {
      for (const [id, open] of sockets) if (open === ws) sockets.delete(id);
    });
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> };
      if (message.op === 1) ws.send(JSON.stringify({ op: 11 }));
      if (message.op === 2) {
        state.identifies++;
        state.intents = Number(message.d.intents);
        const [shard, count] = (message.d.shard as [number, number] | undefined) ?? [0, 1];
        shardCount = count;
        sockets.set(shard, ws);
        const mine = guildIds.filter((id) => shardOf(id, count) === shard);
        dispatchTo(ws, 'READY', {
          v: 10,
          user: { ...BOT_USER, flags: 0 },
          guilds: mine.map((id) => ({ id, unavailable: true })),
          // The shard is in the session id, so a RESUME on a new connection says which it is.
          session_id: `${sessionId}-${shard}`,
          resume_gateway_url: `ws://127.0.0.1:${port}`,
          shard: [shard, count],
          application: { id: APPLICATION_ID, flags: 0 },
        });
        for (const id of mine) dispatchTo(ws, 'GUILD_CREATE', guildPayload(id));
        notify();
      }
      if (message.op === 6) {
        state.resumes++;
        sockets.set(Number(String(message.d.session_id).split('-').at(-1) ?? 0), ws);
        dispatchTo(ws, 'RESUMED', {});
        notify();
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const waitUntil = (check: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`discord stand-in: timed out waiting for ${what}`));
      }, timeoutMs);
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve();
      };
      listeners.add(listener);
    });

  /** INTERACTION_CREATE of any type, in a server's #general, from `member`; `extra` adds fields. */
  function sendInteraction(
    type: number,
    guildId: string,
    data: Record<string, unknown>,
    member: Member,
    extra: Record<string, unknown> = {},
    shard = shardOf(guildId, shardCount),
  ): { id: string; token: string; sentAt: number } {
    const id = snowflake();
    const token = `interaction-token-${randomBytes(24).toString('hex')}`;
    const channelId = channelOf(guildId);
    dispatchTo(sockets.get(shard), 'INTERACTION_CREATE', {
      id,
      application_id: APPLICATION_ID,
      type,
      token,
      version: 1,
      guild_id: guildId,
      channel_id: channelId,
      channel: { id: channelId, type: 0, guild_id: guildId, name: 'general', permission_overwrites: [] },
      data,
      member: memberPayload(member),
      app_permissions: String(1n << 11n),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
      ...extra,
    });
    return { id, token, sentAt: Date.now() };
  }

  return {
    url: `http://127.0.0.1:${port}`,
    restApi: `http://127.0.0.1:${port}/api`,
    calls,
    get identifies() {
      return state.identifies;
    },
    get resumes() {
      return state.resumes;
    },
    get identifyIntents() {
      return state.intents;
    },
    get connectedShards() {
      return [...sockets.keys()].sort((a, b) => a - b);
    },
    failNext(pattern, status, count = 1) {
      failures.push({ pattern, status, count });
    },
    clearFailures() {
      failures.length = 0;
    },
    dispatchInteraction({
      name,
      options = [],
      member = { id: '400000000000000004' },
      type = 2,
      guildId = GUILD_ID,
      shard,
      attachments = [],
      commandType = 1,
      targetMessage,
    }) {
      const data: Record<string, unknown> = { id: snowflake(), name, type: commandType, guild_id: guildId };
      if (commandType === 1) data.options = options;
      if (attachments.length) {
        data.resolved = { attachments: Object.fromEntries(attachments.map((a) => [a.id, a])) };
      }
      if (targetMessage) {
        const id = targetMessage.id ?? snowflake();
        const author = { ...memberUser(targetMessage.authorId ?? '400000000000000444') };
        data.target_id = id;
        data.resolved = {
          messages: {
            [id]: {
              ...messagePayload({ content: targetMessage.content }, id),
              channel_id: channelOf(guildId),
              author,
              webhook_id: undefined,
            },
          },
        };
      }
      return sendInteraction(type, guildId, data, member, {}, shard);
    },
    dispatchComponent({
      customId,
      member = { id: '400000000000000004' },
      guildId = GUILD_ID,
      shard,
      message = {},
    }) {
      const id = message.id ?? snowflake();
      return sendInteraction(
        3,
        guildId,
        { custom_id: customId, component_type: 2 },
        member,
        {
          message: {
            ...messagePayload({ content: message.content ?? '', flags: message.flags ?? 0 }, id),
            channel_id: channelOf(guildId),
            components: message.components ?? [],
            interaction_metadata: {
              id: snowflake(),
              type: 2,
              user: memberUser(member.id),
              authorizing_integration_owners: { '0': guildId },
            },
          },
        },
        shard,
      );
    },
    callsFor(interaction) {
      return [...(callsByToken.get(interaction.token) ?? [])];
    },
    waitFor(interaction, predicate, timeoutMs = 15000) {
      const find = () => callsByToken.get(interaction.token)?.find(predicate);
      const found = find();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiters = tokenWaiters.get(interaction.token) ?? new Set<() => void>();
        tokenWaiters.set(interaction.token, waiters);
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('discord stand-in: timed out waiting for an interaction call'));
        }, timeoutMs);
        function check() {
          const call = find();
          if (!call) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(call);
        }
        waiters.add(check);
      });
    },
    dropConnection() {
      for (const ws of sockets.values()) ws.terminate();
    },
    invalidateSession(resumable) {
      for (const ws of sockets.values()) sendTo(ws, { op: 9, d: resumable });
    },
    waitForIdentify(count, timeoutMs = 10000) {
      return waitUntil(() => state.identifies >= count, timeoutMs, `${count} IDENTIFY`);
    },
    waitForResume(count, timeoutMs = 15000) {
      return waitUntil(() => state.resumes >= count, timeoutMs, `${count} RESUME`);
    },
    close() {
      for (const client of wss.clients) client.terminate();
      return new Promise((resolve) => {
        wss.close(() => server.close(() => resolve()));
      });
    },
  };
}

/**
 * A local stand-in of Discord's attachment CDN: serves the given files by path, with the content
 * type given (Discord sets one from the file name). Point ATTACHMENT_HOSTS at its host.
 */
export async function startAttachmentHost(): Promise<{
  host: string;
  /** Publishes a file; returns the attachment data an interaction carries. */
  add(filename: string, body: Buffer | string, contentType: string): AttachmentData;
  requests: string[];
  close(): Promise<void>;
}> {
  const files = new Map<string, { body: Buffer; contentType: string }>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push(path);
    const file = files.get(path);
    if (!file) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    add(filename, body, contentType) {
      const id = snowflake();
      const path = `/attachments/${CHANNEL_ID}/${id}/${encodeURIComponent(filename)}`;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
      files.set(path, { body: bytes, contentType });
      return { id, filename, size: bytes.length, url: `http://${host}${path}`, content_type: contentType };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
