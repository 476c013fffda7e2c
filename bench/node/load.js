// Load client of bench/suite.py: real socket.io-client sockets (as browsers would open them) and
// fetch() HTTP clients, all in this one process, so every latency is measured on one clock.
//
//     node bench/node/load.js      (driven by bench/suite.py through stdin and stdout)
//
// The first line on stdin is the configuration (JSON): {mode, url, kind, deflate, ...}, where
// kind is "chatapp" (send_message -> message_created, logged in by session cookies) or "raw"
// (the baseline servers of bench/raw_flask_socketio.py and bench/node/raw_server.js: join a
// room, send -> message). Further lines are commands ({"cmd": ...}); every answer is one JSON
// line on stdout with an "event" field. Diagnostics go to stderr. Modes:
//
// - fanout: every socket in one chat/room; the first one sends messages one after another,
//   each only after all sockets received the previous; per message, the time from emit to the
//   last socket's receipt.
// - sustained: groups of sockets; each group's first socket sends, open loop, at a fixed
//   aggregate rate for a step; per message, the time from emit to the last member's receipt,
//   and the deliveries still missing after a grace period (lost).
// - idle: open N sockets (cookies round-robin), hold them, close them; on command, in cycles.
// - contention: concurrent writers into one chat, half over HTTP POST and half over
//   send_message, each sending its next message when the previous one was answered.
// - http: concurrent GET clients against each endpoint in turn, for a fixed time each.
//
// Socket options: websocket transport only, no reconnection, cookies as an extraHeaders Cookie
// (the websocket transport of Node's client sends them on the upgrade request). permessage-
// deflate is offered as socket.io-client does by default, unless the configuration says
// deflate: false.
"use strict";

const readline = require("node:readline");
const { performance } = require("node:perf_hooks");
const { io } = require("socket.io-client");

const RECEIPT_TIMEOUT_MS = 10_000; // fanout: a message not everywhere by then is an error

function say(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

const round2 = (x) => Math.round(x * 100) / 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- stdin: the configuration, then commands --------------------------------------------------

const input = readline.createInterface({ input: process.stdin });
const queued = [];
let waiting = null;
input.on("line", (line) => {
  if (!line.trim()) return;
  if (waiting) {
    const resolve = waiting;
    waiting = null;
    resolve(line);
  } else {
    queued.push(line);
  }
});
input.on("close", () => process.exit(0)); // the orchestrator is gone: so are we

async function nextLine() {
  const line = queued.length ? queued.shift() : await new Promise((r) => { waiting = r; });
  return JSON.parse(line);
}

// --- sockets --------------------------------------------------------------------------------

function connect(config, cookie) {
  const options = {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: config.connectTimeoutMs || 20_000,
  };
  if (cookie) options.extraHeaders = { Cookie: cookie };
  if (config.deflate === false) options.perMessageDeflate = false;
  return new Promise((resolve, reject) => {
    const socket = io(config.url, options);
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

function negotiatedDeflate(socket) {
  const ws = socket.io.engine && socket.io.engine.transport && socket.io.engine.transport.ws;
  return Boolean(ws && String(ws.extensions).includes("permessage-deflate"));
}

async function join(socket, room) {
  const ack = await socket.timeout(RECEIPT_TIMEOUT_MS).emitWithAck("join", { room });
  if (!ack || !ack.ok) throw new Error(`join refused: ${JSON.stringify(ack)}`);
}

// Connect `count` sockets, at most `concurrency` connecting at once; socket i uses cookie
// i % cookies.length (chatapp) or joins room i % rooms (raw). Failures are counted, not thrown.
async function connectMany(config, count, concurrency, roomOf) {
  const sockets = [];
  const errors = {};
  let next = 0;
  async function worker() {
    while (next < count) {
      const i = next++;
      const cookie = config.cookies ? config.cookies[i % config.cookies.length] : null;
      try {
        const socket = await connect(config, cookie);
        if (config.kind === "raw") await join(socket, roomOf(i));
        sockets.push(socket);
      } catch (error) {
        const reason = String(error && error.message ? error.message : error);
        errors[reason] = (errors[reason] || 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { sockets, errors };
}

// --- deliveries: one table of messages in flight, filled by every receiving socket -----------

const inFlight = new Map(); // key -> {started, need, got, last, done}
let payloadBytes = null;
let lateReceipts = 0;

function listen(socket, event) {
  socket.on(event, (payload) => {
    const now = performance.now();
    const key = payload && payload.message && payload.message.client_msg_id;
    if (!key) return; // a notice, or someone else's traffic
    const entry = inFlight.get(key);
    if (!entry) {
      lateReceipts += 1;
      return;
    }
    if (payloadBytes === null) payloadBytes = Buffer.byteLength(JSON.stringify(payload));
    entry.got += 1;
    entry.last = now;
    if (entry.got === entry.need && entry.done) entry.done();
  });
}

// A message shaped and sized like chatapp's message_created payload, for the raw servers.
function rawMessage(config, key, n) {
  const now = Date.now() / 1000;
  const message = {
    msg_id: n + 1, chat_id: 1, seq: n + 1,
    sender: { user_id: 1, user_name: "b00m00", avatar_url: "/users/1/avatar?v=0" },
    msg_type: "text", msg_text: `message ${n}`, create_time: now, update_time: now,
    client_msg_id: key, recalled: false, recalled_at: null,
  };
  const size = Buffer.byteLength(JSON.stringify({ message }));
  message.msg_text += " ".padEnd(Math.max(0, (config.payloadBytes || 0) - size), "x");
  return message;
}

// Emit one message from `socket` into chat/room `target`; resolves with the ack.
function emitMessage(config, socket, target, key, n) {
  const timed = socket.timeout(30_000);
  if (config.kind === "chatapp") {
    return timed.emitWithAck("send_message", {
      chat_id: target, text: `message ${n}`, client_msg_id: key,
    });
  }
  return timed.emitWithAck("send", { room: target, message: rawMessage(config, key, n) });
}

const messageEvent = (config) => (config.kind === "chatapp" ? "message_created" : "message");

function ackError(ack) {
  if (ack && ack.ok) return null;
  return ack && ack.error ? ack.error.code || JSON.stringify(ack.error) : JSON.stringify(ack);
}

// --- modes ----------------------------------------------------------------------------------

async function fanout(config) {
  const count = config.cookies ? config.cookies.length : config.receivers;
  const { sockets, errors } = await connectMany(config, count, 50, () => config.room);
  if (sockets.length !== count) {
    throw new Error(`only ${sockets.length} of ${count} sockets connected: ${JSON.stringify(errors)}`);
  }
  for (const socket of sockets) listen(socket, messageEvent(config));
  const sender = sockets[0];
  const target = config.kind === "chatapp" ? config.chatId : config.room;

  async function one(n) {
    const key = `fanout-${config.deflate ? "d" : "n"}-${n}`;
    const entry = { need: sockets.length, got: 0, last: 0 };
    const everywhere = new Promise((resolve) => { entry.done = resolve; });
    inFlight.set(key, entry);
    entry.started = performance.now();
    const ack = emitMessage(config, sender, target, key, n);
    const timer = new Promise((_, reject) => setTimeout(
      () => reject(new Error(`message ${n} reached ${entry.got} of ${entry.need} sockets`)),
      RECEIPT_TIMEOUT_MS));
    try {
      await Promise.race([everywhere, timer]);
    } finally {
      inFlight.delete(key);
    }
    const error = ackError(await ack);
    if (error) throw new Error(`message ${n} refused: ${error}`);
    return entry.last - entry.started;
  }

  for (let n = 0; n < config.warmup; n++) await one(n);
  say("ready", { sockets: sockets.length, deflate: sockets.filter(negotiatedDeflate).length });
  await nextLine(); // go: the orchestrator has read the server's CPU time
  const latencies = [];
  for (let n = config.warmup; n < config.warmup + config.messages; n++) {
    latencies.push(round2(await one(n)));
  }
  say("result", { latencies, payload_bytes: payloadBytes });
  for (const socket of sockets) socket.disconnect();
}

async function sustained(config) {
  const groups = [];
  for (const [g, group] of config.groups.entries()) {
    const count = group.cookies ? group.cookies.length : group.members;
    const { sockets, errors } = await connectMany(
      { ...config, cookies: group.cookies }, count, 20, () => group.room);
    if (sockets.length !== count) {
      throw new Error(`group ${g}: ${sockets.length} of ${count} connected: ${JSON.stringify(errors)}`);
    }
    for (const socket of sockets) listen(socket, messageEvent(config));
    groups.push({ sockets, target: config.kind === "chatapp" ? group.chatId : group.room });
  }
  say("ready", { sockets: groups.reduce((n, g) => n + g.sockets.length, 0) });

  let serial = 0;
  for (;;) {
    const command = await nextLine();
    if (command.cmd !== "step") break;
    const { rate, seconds } = command;
    const total = Math.max(1, Math.round(rate * seconds));
    const entries = [];
    const ackErrors = {};
    let acked = 0;
    let sent = 0;
    const started = performance.now();
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        while (sent < due) {
          const group = groups[sent % groups.length];
          const n = serial++;
          const key = `s${command.label || ""}-${n}`;
          const entry = { need: group.sockets.length, got: 0, last: 0, started: performance.now() };
          inFlight.set(key, entry);
          entries.push([key, entry]);
          emitMessage(config, group.sockets[0], group.target, key, n).then(
            (ack) => {
              const error = ackError(ack);
              if (error) ackErrors[error] = (ackErrors[error] || 0) + 1;
              else acked += 1;
            },
            (error) => {
              const reason = String(error.message || error);
              ackErrors[reason] = (ackErrors[reason] || 0) + 1;
            });
          sent += 1;
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const sendSeconds = (performance.now() - started) / 1000;
    say("sent", { sent, seconds: round2(sendSeconds) });
    const deadline = performance.now() + command.graceSeconds * 1000;
    while (performance.now() < deadline && entries.some(([, e]) => e.got < e.need)) {
      await sleep(20);
    }
    await sleep(50); // the last acks
    const latencies = [];
    let lost = 0;
    let incomplete = 0;
    for (const [key, entry] of entries) {
      inFlight.delete(key);
      if (entry.got >= entry.need) latencies.push(round2(entry.last - entry.started));
      else {
        incomplete += 1;
        lost += entry.need - entry.got;
      }
    }
    say("step", {
      rate, sent, acked, ack_errors: ackErrors, send_seconds: round2(sendSeconds), latencies,
      lost_deliveries: lost, incomplete_messages: incomplete, late_receipts: lateReceipts,
    });
  }
  for (const group of groups) for (const socket of group.sockets) socket.disconnect();
}

async function idle(config) {
  let sockets = [];
  say("ready", {});
  for (;;) {
    const command = await nextLine();
    if (command.cmd === "open") {
      const started = performance.now();
      const opened = await connectMany(config, config.sockets, config.concurrency || 100,
        (i) => `room-${i % 10}`);
      sockets = opened.sockets;
      say("opened", {
        accepted: sockets.length, refused: config.sockets - sockets.length, errors: opened.errors,
        seconds: round2((performance.now() - started) / 1000),
        deflate: sockets.filter(negotiatedDeflate).length,
      });
    } else if (command.cmd === "close") {
      for (const socket of sockets) socket.disconnect();
      sockets = [];
      await sleep(200);
      say("closed", {});
    } else {
      break;
    }
  }
}

async function contention(config) {
  const sockets = [];
  for (const cookie of config.socketCookies) sockets.push(await connect(config, cookie));
  say("ready", { sockets: sockets.length });
  await nextLine();
  const latencies = [];
  const errors = {};
  let stored = 0;
  const record = (started, error) => {
    latencies.push(round2(performance.now() - started));
    if (error) errors[error] = (errors[error] || 0) + 1;
    else stored += 1;
  };
  async function httpWriter(w, writer) {
    for (let n = 0; n < config.perWriter; n++) {
      const started = performance.now();
      let error = null;
      try {
        const response = await fetch(`${config.url}/api/chats/${config.chatId}/messages`, {
          method: "POST",
          headers: { Cookie: writer.cookie, "X-CSRFToken": writer.csrf,
                     "Content-Type": "application/json" },
          body: JSON.stringify({ text: `http ${w} ${n}`, client_msg_id: `h${w}-${n}` }),
        });
        const text = await response.text();
        if (response.status !== 201) error = `HTTP ${response.status}: ${text.slice(0, 120)}`;
      } catch (e) {
        error = String(e.message || e);
      }
      record(started, error);
    }
  }
  async function socketWriter(w, socket) {
    for (let n = 0; n < config.perWriter; n++) {
      const started = performance.now();
      let error = null;
      try {
        error = ackError(await socket.timeout(30_000).emitWithAck("send_message", {
          chat_id: config.chatId, text: `socket ${w} ${n}`, client_msg_id: `s${w}-${n}`,
        }));
      } catch (e) {
        error = String(e.message || e);
      }
      record(started, error);
    }
  }
  const started = performance.now();
  await Promise.all([
    ...config.httpWriters.map((writer, w) => httpWriter(w, writer)),
    ...sockets.map((socket, w) => socketWriter(w, socket)),
  ]);
  const seconds = (performance.now() - started) / 1000;
  say("result", { latencies, errors, stored, seconds: round2(seconds) });
  for (const socket of sockets) socket.disconnect();
}

async function httpLoad(config) {
  say("ready", {});
  for (const endpoint of config.endpoints) {
    const latencies = [];
    const errors = {};
    const headers = endpoint.cookie ? { Cookie: endpoint.cookie } : {};
    const started = performance.now();
    const end = started + config.seconds * 1000;
    async function client() {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const response = await fetch(config.url + endpoint.path, { headers });
          await response.arrayBuffer();
          if (response.status !== 200) {
            errors[`HTTP ${response.status}`] = (errors[`HTTP ${response.status}`] || 0) + 1;
            continue;
          }
        } catch (e) {
          const reason = String(e.message || e);
          errors[reason] = (errors[reason] || 0) + 1;
          continue;
        }
        latencies.push(round2(performance.now() - t0));
      }
    }
    await Promise.all(Array.from({ length: config.clients }, client));
    const seconds = (performance.now() - started) / 1000;
    say("http", { name: endpoint.name, latencies, errors, seconds: round2(seconds) });
  }
}

const MODES = { fanout, sustained, idle, contention, http: httpLoad };

(async () => {
  const config = await nextLine();
  await MODES[config.mode](config);
  say("done");
  process.exit(0);
})().catch((error) => {
  say("error", { message: String(error && error.stack ? error.stack : error) });
  process.exit(1);
});
