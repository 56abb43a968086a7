/**
 * A local stand-in of Discord that real discord.js talks to: REST over HTTP (point discord.js's
 * `rest.api` at `${url}/api`) and the gateway over WebSocket (`GET /api/v10/gateway/bot` names
 * it). It speaks HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats and their ACKs, RESUME, and
 * dispatches INTERACTION_CREATE on demand. It records interaction callbacks and webhook calls so
 * tests can assert on what a member would see.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export const APPLICATION_ID = '100000000000000001';
export const BOT_USER_ID = '100000000000000001';
export const GUILD_ID = '200000000000000002';
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
export const MANAGE_GUILD = 1n << 5n;
export const SEND_MESSAGES = 1n << 11n;

export interface RecordedCall {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
  at: number;
}

export interface Member {
  id: string;
  roles?: string[];
  /** Permissions the member has in the channel, as Discord computes them. */
  permissions?: bigint;
}

export interface InteractionOptions {
  name: string;
  options?: { name: string; type: number; value: string | boolean; focused?: boolean }[];
  member?: Member;
  type?: 2 | 4;
}

export interface StandIn {
  url: string;
  restApi: string;
  calls: RecordedCall[];
  identifies: number;
  resumes: number;
  /** The intents bitfield of the last IDENTIFY. */
  identifyIntents: number | null;
  /** Makes the next `count` REST calls whose path matches answer with `status` (429 or 500). */
  failNext(pattern: RegExp, status: number, count?: number): void;
  /** Forgets failures set up by failNext that have not happened yet. */
  clearFailures(): void;
  dispatchInteraction(options: InteractionOptions): { id: string; token: string; sentAt: number };
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

function guildPayload(): Record<string, unknown> {
  return {
    id: GUILD_ID,
    name: 'Quarry Test Server',
    icon: null,
    owner_id: '900000000000000009',
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      {
        id: GUILD_ID,
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
        id: CHANNEL_ID,
        type: 0,
        name: 'general',
        position: 0,
        permission_overwrites: [],
        guild_id: GUILD_ID,
      },
    ],
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
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

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return null;
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('multipart/form-data')) {
    const json = /name="payload_json"\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/.exec(text);
    return json?.[1] ? (JSON.parse(json[1]) as Record<string, unknown>) : null;
  }
  return text ? (JSON.parse(text) as Record<string, unknown>) : null;
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
export async function startDiscordStandIn(options: { acceptToken?: string } = {}): Promise<StandIn> {
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
  let socket: WebSocket | null = null;
  const state = { identifies: 0, resumes: 0, intents: null as number | null };
  const commands = new Map<string, unknown[]>();

  async function handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const call = { method, path, body, at: Date.now() };
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
        shards: 1,
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
  const send = (payload: Record<string, unknown>) => socket?.send(JSON.stringify(payload));
  const dispatch = (t: string, d: unknown) => send({ op: 0, t, s: ++sequence, d });

  wss.on('connection', (ws) => {
    socket = ws;
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 } }));
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> };
      if (message.op === 1) ws.send(JSON.stringify({ op: 11 }));
      if (message.op === 2) {
        state.identifies++;
        state.intents = Number(message.d.intents);
        dispatch('READY', {
          v: 10,
          user: { ...BOT_USER, flags: 0 },
          guilds: [{ id: GUILD_ID, unavailable: true }],
          session_id: sessionId,
          resume_gateway_url: `ws://127.0.0.1:${port}`,
          shard: [0, 1],
          application: { id: APPLICATION_ID, flags: 0 },
        });
        dispatch('GUILD_CREATE', guildPayload());
        notify();
      }
      if (message.op === 6) {
        state.resumes++;
        dispatch('RESUMED', {});
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
    failNext(pattern, status, count = 1) {
      failures.push({ pattern, status, count });
    },
    clearFailures() {
      failures.length = 0;
    },
    dispatchInteraction({ name, options = [], member = { id: '400000000000000004' }, type = 2 }) {
      const id = snowflake();
      const token = `interaction-token-${randomBytes(24).toString('hex')}`;
      dispatch('INTERACTION_CREATE', {
        id,
        application_id: APPLICATION_ID,
        type,
        token,
        version: 1,
        guild_id: GUILD_ID,
        channel_id: CHANNEL_ID,
        channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: 'general', permission_overwrites: [] },
        data: { id: snowflake(), name, type: 1, guild_id: GUILD_ID, options },
        member: {
          user: {
            id: member.id,
            username: `member${member.id.slice(-3)}`,
            discriminator: '0',
            avatar: null,
            global_name: null,
          },
          roles: member.roles ?? [],
          permissions: String(member.permissions ?? 0n),
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
        app_permissions: String(1n << 11n),
        locale: 'en-US',
        guild_locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: { '0': GUILD_ID },
        context: 0,
      });
      return { id, token, sentAt: Date.now() };
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
      socket?.terminate();
    },
    invalidateSession(resumable) {
      send({ op: 9, d: resumable });
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
