// A raw socket.io broadcast server: the baseline that bench/suite.py compares chatapp with.
//
//     node bench/node/raw_server.js [PORT]      (or CHATAPP_PORT=PORT node ...)
//
// No database, no sessions, no checks: a client emits `join` {room} to enter a room, and `send`
// {room, message, ...} to have the whole payload broadcast as `message` to everyone in the room
// (the sender included, as chatapp's message_created reaches the sender's own socket); both
// events are acknowledged with {ok: true}, the ack of `send` after the broadcast was handed to
// the sockets. GET /healthz answers {"status": "ok"}, so tests/live_server.py's LiveServer can
// start it and wait for it. socket.io's defaults are kept (permessage-deflate off on the
// server); TCP_NODELAY is on, and the listen backlog is the one chatapp's wsgi.py asks for.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || process.env.CHATAPP_PORT || 5000);
const host = process.env.CHATAPP_HOST || "127.0.0.1";

const server = http.createServer({ noDelay: true }, (request, response) => {
  if (request.url === "/healthz") {
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end('{"status": "ok"}');
    return;
  }
  response.writeHead(404);
  response.end();
});

const io = new Server(server);

io.on("connection", (socket) => {
  socket.on("join", (data, ack) => {
    socket.join(String(data.room));
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("send", (data, ack) => {
    io.to(String(data.room)).emit("message", data);
    if (typeof ack === "function") ack({ ok: true });
  });
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}

server.listen(port, host, 4096, () => {
  console.log(`raw socket.io server on http://${host}:${port}`);
});
